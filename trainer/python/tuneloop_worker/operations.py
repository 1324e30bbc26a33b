"""The GraphQL operations the worker sends (the same as trainer/src/worker/operations.ts)."""

CLAIM = """
mutation ClaimTrainingJob($workerId: String!, $gpuTypes: [String!], $jobId: ID) {
  claimTrainingJob(workerId: $workerId, gpuTypes: $gpuTypes, backends: ["python"], jobId: $jobId) {
    __typename
    ... on AppError { code message field }
    ... on ClaimTrainingJobSuccess {
      data {
        pollAfterSeconds
        claim {
          trainerToken leaseExpiresAt lastSequence datasetContent
          job { id name config }
          resumeFrom { step epoch artifactId sha256 sizeBytes downloadUrl }
        }
      }
    }
  }
}"""

HEARTBEAT = """
mutation HeartbeatTrainingJob($jobId: ID!) {
  heartbeatTrainingJob(jobId: $jobId) {
    __typename
    ... on AppError { code message field }
    ... on HeartbeatTrainingJobSuccess { data { leaseExpiresAt status cancelRequested } }
  }
}"""

UPLOAD_ARTIFACT = """
mutation UploadArtifact($jobId: ID!, $kind: String!, $file: Upload!) {
  uploadArtifact(jobId: $jobId, kind: $kind, file: $file) {
    __typename
    ... on AppError { code message field }
    ... on UploadArtifactSuccess { data { id sha256 sizeBytes } }
  }
}"""


def _report(name, args, result):
    """A report mutation: `name(jobId, sequence, …)` returning AppError | …Success."""
    params = ", ".join(f"${a}: {t}" for a, t in args)
    call = ", ".join(f"{a}: ${a}" for a, _ in args)
    return f"mutation {name[0].upper() + name[1:]}({params}) {{ {name}({call}) {{ __typename ... on AppError {{ code message field }} ... on {result} }} }}"


REPORT_METRICS = _report("reportMetrics", [("jobId", "ID!"), ("points", "[MetricPointInput!]!")], "ReportMetricsSuccess { data }")
REPORT_STATUS = _report(
    "reportTrainingStatus",
    [("jobId", "ID!"), ("sequence", "Int!"), ("status", "JobStatus!"), ("message", "String"), ("totalSteps", "Int")],
    "ReportTrainingStatusSuccess { data { id status } }",
)
REPORT_CHECKPOINT = _report(
    "reportCheckpoint",
    [
        ("jobId", "ID!"),
        ("sequence", "Int!"),
        ("step", "Int!"),
        ("epoch", "Float"),
        ("artifactId", "ID"),
        ("trainLoss", "Float"),
        ("valLoss", "Float"),
    ],
    "ReportCheckpointSuccess { data { id step } }",
)
REPORT_INTERRUPTED = _report(
    "reportInterrupted",
    [("jobId", "ID!"), ("sequence", "Int!"), ("step", "Int!"), ("reason", "String")],
    "ReportInterruptedSuccess { data { id status } }",
)
REPORT_RESUMED = _report(
    "reportResumed", [("jobId", "ID!"), ("sequence", "Int!"), ("fromStep", "Int!")], "ReportResumedSuccess { data { id status } }"
)
REPORT_ERROR = _report(
    "reportTrainingError",
    [
        ("jobId", "ID!"),
        ("sequence", "Int!"),
        ("errorType", "String!"),
        ("message", "String!"),
        ("details", "JSON"),
        ("facts", "FailureFactsInput"),
        ("outputLines", "[String!]"),
    ],
    "ReportTrainingErrorSuccess { data { id status } }",
)
COMPLETE = _report(
    "completeTrainingJob",
    [("jobId", "ID!"), ("sequence", "Int!"), ("summary", "JSON"), ("validationFollows", "Boolean")],
    "CompleteTrainingJobSuccess { data { id status } }",
)

CLAIM_VALIDATION = """
mutation ClaimValidationRun($workerId: String!, $gpuTypes: [String!], $jobId: ID) {
  claimValidationRun(workerId: $workerId, gpuTypes: $gpuTypes, backends: ["python"], jobId: $jobId) {
    __typename
    ... on AppError { code message field }
    ... on ClaimValidationRunSuccess {
      data {
        pollAfterSeconds
        claim {
          run { id }
          job { id name config }
          settings reviewSeed datasetContent
          adapterModel { downloadUrl sha256 }
          adapterConfig { downloadUrl sha256 }
          tasks { key kind model questions { id question options } prompts { scenarioId messages { role content } } }
        }
      }
    }
  }
}"""

REPORT_VALIDATION_RESULT = """
mutation ReportValidationResult($runId: ID!, $workerId: String!, $key: String!, $result: JSON!) {
  reportValidationResult(runId: $runId, workerId: $workerId, key: $key, result: $result) {
    __typename
    ... on AppError { code message field }
    ... on ReportValidationResultSuccess { data { id status progress } }
  }
}"""

FAIL_VALIDATION = """
mutation FailValidationRun($runId: ID!, $workerId: String!, $message: String!) {
  failValidationRun(runId: $runId, workerId: $workerId, message: $message) {
    __typename
    ... on AppError { code message field }
    ... on FailValidationRunSuccess { data { id status } }
  }
}"""

HEARTBEAT_VALIDATION = """
mutation HeartbeatValidationRun($runId: ID!, $workerId: String!) {
  heartbeatValidationRun(runId: $runId, workerId: $workerId) {
    __typename
    ... on AppError { code message field }
    ... on HeartbeatValidationRunSuccess { data { leaseExpiresAt } }
  }
}"""
