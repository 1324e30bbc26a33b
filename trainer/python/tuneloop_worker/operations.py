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
    [("jobId", "ID!"), ("sequence", "Int!"), ("step", "Int!"), ("epoch", "Float"), ("artifactId", "ID"), ("trainLoss", "Float"), ("valLoss", "Float")],
    "ReportCheckpointSuccess { data { id step } }",
)
REPORT_INTERRUPTED = _report(
    "reportInterrupted", [("jobId", "ID!"), ("sequence", "Int!"), ("step", "Int!"), ("reason", "String")], "ReportInterruptedSuccess { data { id status } }"
)
REPORT_RESUMED = _report("reportResumed", [("jobId", "ID!"), ("sequence", "Int!"), ("fromStep", "Int!")], "ReportResumedSuccess { data { id status } }")
REPORT_ERROR = _report(
    "reportTrainingError",
    [("jobId", "ID!"), ("sequence", "Int!"), ("errorType", "String!"), ("message", "String!"), ("details", "JSON"), ("facts", "FailureFactsInput")],
    "ReportTrainingErrorSuccess { data { id status } }",
)
COMPLETE = _report(
    "completeTrainingJob",
    [("jobId", "ID!"), ("sequence", "Int!"), ("summary", "JSON"), ("validationFollows", "Boolean")],
    "CompleteTrainingJobSuccess { data { id status } }",
)
