// What GraphiQL (/graphql in a browser) opens on: a working example of this
// API and, in the headers pane, where the token goes.

export const GRAPHIQL_DEFAULT_QUERY = `# Tuneloop GraphQL API
#
# 1. Sign in: run the Login mutation below (demo users: engineer@demo.tuneloop.dev,
#    password "demo"), or create an API key in the web app's Settings page.
# 2. Put the token in the Headers pane (below this editor), replacing the placeholder:
#      { "Authorization": "Bearer tls_… or tlk_…" }
#    Subscriptions send the same header over the WebSocket.
# 3. Pick an operation with the ▶ button: RecentJobs, then JobMetrics with
#    { "jobId": "<an id from RecentJobs>" } in the Variables pane.

mutation Login {
  login(email: "engineer@demo.tuneloop.dev", password: "demo") {
    token
  }
}

query RecentJobs {
  jobs(first: 5, sort: { field: CREATED_AT, direction: DESC }) {
    totalCount
    edges {
      node {
        ...JobSummary
      }
    }
  }
}

fragment JobSummary on TrainingJob {
  id
  name
  status
  progress
  currentStep
  totalSteps
  latestLoss
  estimatedCostUsd
  currentCostUsd
}

# Live training metrics of one job, as the trainer reports them.
subscription JobMetrics($jobId: ID!) {
  metricPointsAdded(jobId: $jobId, names: ["train_loss", "val_loss"]) {
    jobId
    points {
      name
      step
      value
    }
  }
}
`;

/** A placeholder the server reads as no token at all, so the schema still loads before it is replaced. */
export const GRAPHIQL_DEFAULT_HEADERS = JSON.stringify({ Authorization: "Bearer paste-your-token-here" }, null, 2);
