/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation ClaimTrainingJob($workerId: String!, $gpuTypes: [String!], $jobId: ID) {\n    claimTrainingJob(workerId: $workerId, gpuTypes: $gpuTypes, backends: [\"typescript\"], jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on ClaimTrainingJobSuccess {\n        data {\n          pollAfterSeconds\n          claim {\n            trainerToken\n            leaseExpiresAt\n            lastSequence\n            datasetContent\n            job { id name config }\n            resumeFrom { step epoch artifactId sha256 sizeBytes downloadUrl }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ClaimTrainingJobDocument,
    "\n  mutation HeartbeatTrainingJob($jobId: ID!) {\n    heartbeatTrainingJob(jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on HeartbeatTrainingJobSuccess { data { leaseExpiresAt status cancelRequested } }\n    }\n  }\n": typeof types.HeartbeatTrainingJobDocument,
    "\n  mutation UploadArtifact($jobId: ID!, $kind: String!, $file: Upload!) {\n    uploadArtifact(jobId: $jobId, kind: $kind, file: $file) {\n      __typename\n      ... on AppError { code message field }\n      ... on UploadArtifactSuccess { data { id sha256 sizeBytes } }\n    }\n  }\n": typeof types.UploadArtifactDocument,
    "\n  mutation ReportMetrics($jobId: ID!, $points: [MetricPointInput!]!) {\n    reportMetrics(jobId: $jobId, points: $points) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportMetricsSuccess { data }\n    }\n  }\n": typeof types.ReportMetricsDocument,
    "\n  mutation ReportTrainingStatus($jobId: ID!, $sequence: Int!, $status: JobStatus!, $message: String, $totalSteps: Int, $stagePercent: Float, $stageSecondsLeft: Float) {\n    reportTrainingStatus(jobId: $jobId, sequence: $sequence, status: $status, message: $message, totalSteps: $totalSteps, stagePercent: $stagePercent, stageSecondsLeft: $stageSecondsLeft) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingStatusSuccess { data { id status } }\n    }\n  }\n": typeof types.ReportTrainingStatusDocument,
    "\n  mutation ReportCheckpoint($jobId: ID!, $sequence: Int!, $step: Int!, $epoch: Float, $artifactId: ID, $trainLoss: Float, $valLoss: Float) {\n    reportCheckpoint(jobId: $jobId, sequence: $sequence, step: $step, epoch: $epoch, artifactId: $artifactId, trainLoss: $trainLoss, valLoss: $valLoss) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportCheckpointSuccess { data { id step } }\n    }\n  }\n": typeof types.ReportCheckpointDocument,
    "\n  mutation ReportInterrupted($jobId: ID!, $sequence: Int!, $step: Int!, $reason: String) {\n    reportInterrupted(jobId: $jobId, sequence: $sequence, step: $step, reason: $reason) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportInterruptedSuccess { data { id status } }\n    }\n  }\n": typeof types.ReportInterruptedDocument,
    "\n  mutation ReportResumed($jobId: ID!, $sequence: Int!, $fromStep: Int!) {\n    reportResumed(jobId: $jobId, sequence: $sequence, fromStep: $fromStep) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportResumedSuccess { data { id status } }\n    }\n  }\n": typeof types.ReportResumedDocument,
    "\n  mutation ReportTrainingError($jobId: ID!, $sequence: Int!, $errorType: String!, $message: String!, $details: JSON, $facts: FailureFactsInput) {\n    reportTrainingError(jobId: $jobId, sequence: $sequence, errorType: $errorType, message: $message, details: $details, facts: $facts) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingErrorSuccess { data { id status } }\n    }\n  }\n": typeof types.ReportTrainingErrorDocument,
    "\n  mutation CompleteTrainingJob($jobId: ID!, $sequence: Int!, $summary: JSON, $validationFollows: Boolean) {\n    completeTrainingJob(jobId: $jobId, sequence: $sequence, summary: $summary, validationFollows: $validationFollows) {\n      __typename\n      ... on AppError { code message field }\n      ... on CompleteTrainingJobSuccess { data { id status } }\n    }\n  }\n": typeof types.CompleteTrainingJobDocument,
};
const documents: Documents = {
    "\n  mutation ClaimTrainingJob($workerId: String!, $gpuTypes: [String!], $jobId: ID) {\n    claimTrainingJob(workerId: $workerId, gpuTypes: $gpuTypes, backends: [\"typescript\"], jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on ClaimTrainingJobSuccess {\n        data {\n          pollAfterSeconds\n          claim {\n            trainerToken\n            leaseExpiresAt\n            lastSequence\n            datasetContent\n            job { id name config }\n            resumeFrom { step epoch artifactId sha256 sizeBytes downloadUrl }\n          }\n        }\n      }\n    }\n  }\n": types.ClaimTrainingJobDocument,
    "\n  mutation HeartbeatTrainingJob($jobId: ID!) {\n    heartbeatTrainingJob(jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on HeartbeatTrainingJobSuccess { data { leaseExpiresAt status cancelRequested } }\n    }\n  }\n": types.HeartbeatTrainingJobDocument,
    "\n  mutation UploadArtifact($jobId: ID!, $kind: String!, $file: Upload!) {\n    uploadArtifact(jobId: $jobId, kind: $kind, file: $file) {\n      __typename\n      ... on AppError { code message field }\n      ... on UploadArtifactSuccess { data { id sha256 sizeBytes } }\n    }\n  }\n": types.UploadArtifactDocument,
    "\n  mutation ReportMetrics($jobId: ID!, $points: [MetricPointInput!]!) {\n    reportMetrics(jobId: $jobId, points: $points) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportMetricsSuccess { data }\n    }\n  }\n": types.ReportMetricsDocument,
    "\n  mutation ReportTrainingStatus($jobId: ID!, $sequence: Int!, $status: JobStatus!, $message: String, $totalSteps: Int, $stagePercent: Float, $stageSecondsLeft: Float) {\n    reportTrainingStatus(jobId: $jobId, sequence: $sequence, status: $status, message: $message, totalSteps: $totalSteps, stagePercent: $stagePercent, stageSecondsLeft: $stageSecondsLeft) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingStatusSuccess { data { id status } }\n    }\n  }\n": types.ReportTrainingStatusDocument,
    "\n  mutation ReportCheckpoint($jobId: ID!, $sequence: Int!, $step: Int!, $epoch: Float, $artifactId: ID, $trainLoss: Float, $valLoss: Float) {\n    reportCheckpoint(jobId: $jobId, sequence: $sequence, step: $step, epoch: $epoch, artifactId: $artifactId, trainLoss: $trainLoss, valLoss: $valLoss) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportCheckpointSuccess { data { id step } }\n    }\n  }\n": types.ReportCheckpointDocument,
    "\n  mutation ReportInterrupted($jobId: ID!, $sequence: Int!, $step: Int!, $reason: String) {\n    reportInterrupted(jobId: $jobId, sequence: $sequence, step: $step, reason: $reason) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportInterruptedSuccess { data { id status } }\n    }\n  }\n": types.ReportInterruptedDocument,
    "\n  mutation ReportResumed($jobId: ID!, $sequence: Int!, $fromStep: Int!) {\n    reportResumed(jobId: $jobId, sequence: $sequence, fromStep: $fromStep) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportResumedSuccess { data { id status } }\n    }\n  }\n": types.ReportResumedDocument,
    "\n  mutation ReportTrainingError($jobId: ID!, $sequence: Int!, $errorType: String!, $message: String!, $details: JSON, $facts: FailureFactsInput) {\n    reportTrainingError(jobId: $jobId, sequence: $sequence, errorType: $errorType, message: $message, details: $details, facts: $facts) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingErrorSuccess { data { id status } }\n    }\n  }\n": types.ReportTrainingErrorDocument,
    "\n  mutation CompleteTrainingJob($jobId: ID!, $sequence: Int!, $summary: JSON, $validationFollows: Boolean) {\n    completeTrainingJob(jobId: $jobId, sequence: $sequence, summary: $summary, validationFollows: $validationFollows) {\n      __typename\n      ... on AppError { code message field }\n      ... on CompleteTrainingJobSuccess { data { id status } }\n    }\n  }\n": types.CompleteTrainingJobDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClaimTrainingJob($workerId: String!, $gpuTypes: [String!], $jobId: ID) {\n    claimTrainingJob(workerId: $workerId, gpuTypes: $gpuTypes, backends: [\"typescript\"], jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on ClaimTrainingJobSuccess {\n        data {\n          pollAfterSeconds\n          claim {\n            trainerToken\n            leaseExpiresAt\n            lastSequence\n            datasetContent\n            job { id name config }\n            resumeFrom { step epoch artifactId sha256 sizeBytes downloadUrl }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ClaimTrainingJob($workerId: String!, $gpuTypes: [String!], $jobId: ID) {\n    claimTrainingJob(workerId: $workerId, gpuTypes: $gpuTypes, backends: [\"typescript\"], jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on ClaimTrainingJobSuccess {\n        data {\n          pollAfterSeconds\n          claim {\n            trainerToken\n            leaseExpiresAt\n            lastSequence\n            datasetContent\n            job { id name config }\n            resumeFrom { step epoch artifactId sha256 sizeBytes downloadUrl }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation HeartbeatTrainingJob($jobId: ID!) {\n    heartbeatTrainingJob(jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on HeartbeatTrainingJobSuccess { data { leaseExpiresAt status cancelRequested } }\n    }\n  }\n"): (typeof documents)["\n  mutation HeartbeatTrainingJob($jobId: ID!) {\n    heartbeatTrainingJob(jobId: $jobId) {\n      __typename\n      ... on AppError { code message field }\n      ... on HeartbeatTrainingJobSuccess { data { leaseExpiresAt status cancelRequested } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UploadArtifact($jobId: ID!, $kind: String!, $file: Upload!) {\n    uploadArtifact(jobId: $jobId, kind: $kind, file: $file) {\n      __typename\n      ... on AppError { code message field }\n      ... on UploadArtifactSuccess { data { id sha256 sizeBytes } }\n    }\n  }\n"): (typeof documents)["\n  mutation UploadArtifact($jobId: ID!, $kind: String!, $file: Upload!) {\n    uploadArtifact(jobId: $jobId, kind: $kind, file: $file) {\n      __typename\n      ... on AppError { code message field }\n      ... on UploadArtifactSuccess { data { id sha256 sizeBytes } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportMetrics($jobId: ID!, $points: [MetricPointInput!]!) {\n    reportMetrics(jobId: $jobId, points: $points) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportMetricsSuccess { data }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportMetrics($jobId: ID!, $points: [MetricPointInput!]!) {\n    reportMetrics(jobId: $jobId, points: $points) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportMetricsSuccess { data }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportTrainingStatus($jobId: ID!, $sequence: Int!, $status: JobStatus!, $message: String, $totalSteps: Int, $stagePercent: Float, $stageSecondsLeft: Float) {\n    reportTrainingStatus(jobId: $jobId, sequence: $sequence, status: $status, message: $message, totalSteps: $totalSteps, stagePercent: $stagePercent, stageSecondsLeft: $stageSecondsLeft) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingStatusSuccess { data { id status } }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportTrainingStatus($jobId: ID!, $sequence: Int!, $status: JobStatus!, $message: String, $totalSteps: Int, $stagePercent: Float, $stageSecondsLeft: Float) {\n    reportTrainingStatus(jobId: $jobId, sequence: $sequence, status: $status, message: $message, totalSteps: $totalSteps, stagePercent: $stagePercent, stageSecondsLeft: $stageSecondsLeft) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingStatusSuccess { data { id status } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportCheckpoint($jobId: ID!, $sequence: Int!, $step: Int!, $epoch: Float, $artifactId: ID, $trainLoss: Float, $valLoss: Float) {\n    reportCheckpoint(jobId: $jobId, sequence: $sequence, step: $step, epoch: $epoch, artifactId: $artifactId, trainLoss: $trainLoss, valLoss: $valLoss) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportCheckpointSuccess { data { id step } }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportCheckpoint($jobId: ID!, $sequence: Int!, $step: Int!, $epoch: Float, $artifactId: ID, $trainLoss: Float, $valLoss: Float) {\n    reportCheckpoint(jobId: $jobId, sequence: $sequence, step: $step, epoch: $epoch, artifactId: $artifactId, trainLoss: $trainLoss, valLoss: $valLoss) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportCheckpointSuccess { data { id step } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportInterrupted($jobId: ID!, $sequence: Int!, $step: Int!, $reason: String) {\n    reportInterrupted(jobId: $jobId, sequence: $sequence, step: $step, reason: $reason) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportInterruptedSuccess { data { id status } }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportInterrupted($jobId: ID!, $sequence: Int!, $step: Int!, $reason: String) {\n    reportInterrupted(jobId: $jobId, sequence: $sequence, step: $step, reason: $reason) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportInterruptedSuccess { data { id status } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportResumed($jobId: ID!, $sequence: Int!, $fromStep: Int!) {\n    reportResumed(jobId: $jobId, sequence: $sequence, fromStep: $fromStep) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportResumedSuccess { data { id status } }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportResumed($jobId: ID!, $sequence: Int!, $fromStep: Int!) {\n    reportResumed(jobId: $jobId, sequence: $sequence, fromStep: $fromStep) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportResumedSuccess { data { id status } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportTrainingError($jobId: ID!, $sequence: Int!, $errorType: String!, $message: String!, $details: JSON, $facts: FailureFactsInput) {\n    reportTrainingError(jobId: $jobId, sequence: $sequence, errorType: $errorType, message: $message, details: $details, facts: $facts) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingErrorSuccess { data { id status } }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportTrainingError($jobId: ID!, $sequence: Int!, $errorType: String!, $message: String!, $details: JSON, $facts: FailureFactsInput) {\n    reportTrainingError(jobId: $jobId, sequence: $sequence, errorType: $errorType, message: $message, details: $details, facts: $facts) {\n      __typename\n      ... on AppError { code message field }\n      ... on ReportTrainingErrorSuccess { data { id status } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CompleteTrainingJob($jobId: ID!, $sequence: Int!, $summary: JSON, $validationFollows: Boolean) {\n    completeTrainingJob(jobId: $jobId, sequence: $sequence, summary: $summary, validationFollows: $validationFollows) {\n      __typename\n      ... on AppError { code message field }\n      ... on CompleteTrainingJobSuccess { data { id status } }\n    }\n  }\n"): (typeof documents)["\n  mutation CompleteTrainingJob($jobId: ID!, $sequence: Int!, $summary: JSON, $validationFollows: Boolean) {\n    completeTrainingJob(jobId: $jobId, sequence: $sequence, summary: $summary, validationFollows: $validationFollows) {\n      __typename\n      ... on AppError { code message field }\n      ... on CompleteTrainingJobSuccess { data { id status } }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;