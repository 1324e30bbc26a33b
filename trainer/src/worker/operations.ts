// Every GraphQL operation the workers send, the TypeScript one and the python one
// (trainer/python). `pnpm codegen` turns these into typed documents under ./graphql
// and into the python worker's operations.py (both committed; `pnpm test` checks they are current).
import { graphql } from "./graphql";

export const ClaimTrainingJob = graphql(`
  mutation ClaimTrainingJob($workerId: String!, $gpuTypes: [String!], $backends: [String!]!, $jobId: ID) {
    claimTrainingJob(workerId: $workerId, gpuTypes: $gpuTypes, backends: $backends, jobId: $jobId) {
      __typename
      ... on AppError { code message field }
      ... on ClaimTrainingJobSuccess {
        data {
          pollAfterSeconds
          claim {
            trainerToken
            leaseExpiresAt
            lastSequence
            datasetContent
            job { id name config }
            resumeFrom { step epoch artifactId sha256 sizeBytes downloadUrl }
          }
        }
      }
    }
  }
`);

export const HeartbeatTrainingJob = graphql(`
  mutation HeartbeatTrainingJob($jobId: ID!) {
    heartbeatTrainingJob(jobId: $jobId) {
      __typename
      ... on AppError { code message field }
      ... on HeartbeatTrainingJobSuccess { data { leaseExpiresAt status cancelRequested } }
    }
  }
`);

export const UploadArtifact = graphql(`
  mutation UploadArtifact($jobId: ID!, $kind: String!, $file: Upload!) {
    uploadArtifact(jobId: $jobId, kind: $kind, file: $file) {
      __typename
      ... on AppError { code message field }
      ... on UploadArtifactSuccess { data { id sha256 sizeBytes } }
    }
  }
`);

export const ReportMetrics = graphql(`
  mutation ReportMetrics($jobId: ID!, $points: [MetricPointInput!]!) {
    reportMetrics(jobId: $jobId, points: $points) {
      __typename
      ... on AppError { code message field }
      ... on ReportMetricsSuccess { data }
    }
  }
`);

export const ReportTrainingStatus = graphql(`
  mutation ReportTrainingStatus(
    $jobId: ID!
    $sequence: Int!
    $status: JobStatus!
    $message: String
    $totalSteps: Int
    $stagePercent: Float
    $stageSecondsLeft: Float
    $unbilledSeconds: Float
  ) {
    reportTrainingStatus(
      jobId: $jobId
      sequence: $sequence
      status: $status
      message: $message
      totalSteps: $totalSteps
      stagePercent: $stagePercent
      stageSecondsLeft: $stageSecondsLeft
      unbilledSeconds: $unbilledSeconds
    ) {
      __typename
      ... on AppError { code message field }
      ... on ReportTrainingStatusSuccess { data { id status } }
    }
  }
`);

export const ReportCheckpoint = graphql(`
  mutation ReportCheckpoint($jobId: ID!, $sequence: Int!, $step: Int!, $epoch: Float, $artifactId: ID, $trainLoss: Float, $valLoss: Float) {
    reportCheckpoint(jobId: $jobId, sequence: $sequence, step: $step, epoch: $epoch, artifactId: $artifactId, trainLoss: $trainLoss, valLoss: $valLoss) {
      __typename
      ... on AppError { code message field }
      ... on ReportCheckpointSuccess { data { id step } }
    }
  }
`);

export const ReportInterrupted = graphql(`
  mutation ReportInterrupted($jobId: ID!, $sequence: Int!, $step: Int!, $reason: String) {
    reportInterrupted(jobId: $jobId, sequence: $sequence, step: $step, reason: $reason) {
      __typename
      ... on AppError { code message field }
      ... on ReportInterruptedSuccess { data { id status } }
    }
  }
`);

export const ReportResumed = graphql(`
  mutation ReportResumed($jobId: ID!, $sequence: Int!, $fromStep: Int!) {
    reportResumed(jobId: $jobId, sequence: $sequence, fromStep: $fromStep) {
      __typename
      ... on AppError { code message field }
      ... on ReportResumedSuccess { data { id status } }
    }
  }
`);

export const ReportTrainingError = graphql(`
  mutation ReportTrainingError($jobId: ID!, $sequence: Int!, $errorType: String!, $message: String!, $details: JSON, $facts: FailureFactsInput, $outputLines: [String!]) {
    reportTrainingError(jobId: $jobId, sequence: $sequence, errorType: $errorType, message: $message, details: $details, facts: $facts, outputLines: $outputLines) {
      __typename
      ... on AppError { code message field }
      ... on ReportTrainingErrorSuccess { data { id status } }
    }
  }
`);

export const CompleteTrainingJob = graphql(`
  mutation CompleteTrainingJob($jobId: ID!, $sequence: Int!, $summary: JSON, $validationFollows: Boolean) {
    completeTrainingJob(jobId: $jobId, sequence: $sequence, summary: $summary, validationFollows: $validationFollows) {
      __typename
      ... on AppError { code message field }
      ... on CompleteTrainingJobSuccess { data { id status } }
    }
  }
`);

export const ClaimValidationRun = graphql(`
  mutation ClaimValidationRun($workerId: String!, $gpuTypes: [String!], $backends: [String!]!, $jobId: ID) {
    claimValidationRun(workerId: $workerId, gpuTypes: $gpuTypes, backends: $backends, jobId: $jobId) {
      __typename
      ... on AppError { code message field }
      ... on ClaimValidationRunSuccess {
        data {
          pollAfterSeconds
          claim {
            run { id }
            job { id name config }
            settings
            reviewSeed
            datasetContent
            adapterModel { downloadUrl sha256 }
            adapterConfig { downloadUrl sha256 }
            tasks { key kind model questions { id question options } prompts { scenarioId messages { role content } } }
          }
        }
      }
    }
  }
`);

export const ReportValidationResult = graphql(`
  mutation ReportValidationResult($runId: ID!, $workerId: String!, $key: String!, $result: JSON!) {
    reportValidationResult(runId: $runId, workerId: $workerId, key: $key, result: $result) {
      __typename
      ... on AppError { code message field }
      ... on ReportValidationResultSuccess { data { id status progress } }
    }
  }
`);

export const FailValidationRun = graphql(`
  mutation FailValidationRun($runId: ID!, $workerId: String!, $message: String!) {
    failValidationRun(runId: $runId, workerId: $workerId, message: $message) {
      __typename
      ... on AppError { code message field }
      ... on FailValidationRunSuccess { data { id status } }
    }
  }
`);

export const HeartbeatValidationRun = graphql(`
  mutation HeartbeatValidationRun($runId: ID!, $workerId: String!) {
    heartbeatValidationRun(runId: $runId, workerId: $workerId) {
      __typename
      ... on AppError { code message field }
      ... on HeartbeatValidationRunSuccess { data { leaseExpiresAt } }
    }
  }
`);
