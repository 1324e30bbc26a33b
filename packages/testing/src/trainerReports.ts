// Helpers for tests and benches that play a trainer against a real server.
import { Webhook } from "standardwebhooks";
import type { TestApp } from "./app.js";
import type { AppServices } from "../../../server/src/context.js";
import { createJob, demoDatasetId } from "./fixtures.js";
import { createTrainerToken } from "../../../server/src/auth/service.js";
import { transitionJob } from "../../../server/src/jobs/service.js";

export type RunningJob = { jobId: string; orgId: string; trainerToken: string; session: string };

/**
 * A job created and queued by the demo engineer through GraphQL, then claimed
 * as a worker's claim would (see claimForTest).
 */
export async function startRunningJob(app: TestApp, name = "live progress test"): Promise<RunningJob> {
  const session = await app.session("engineer");
  const created = await createJob(app, session, { name, start: true, settings: { datasetId: await demoDatasetId(app, session) } });
  const job = created.data?.createTrainingJob?.data;
  if (!job) throw new Error(`createTrainingJob failed: ${JSON.stringify(created)}`);
  return { jobId: job.id, session, ...(await claimForTest(app.services, job.id)) };
}

/**
 * Moves a queued job to PROVISIONING under a test worker's lease (one that
 * outlasts any test, as heartbeats would keep it) with a trainer token for it.
 */
export async function claimForTest(services: AppServices, jobId: string) {
  const leaseExpiresAt = new Date(Date.now() + 3600_000);
  const job = await transitionJob(services, jobId, "PROVISIONING", {
    message: "claimed by a test worker",
    data: { workerId: "test-worker", leaseExpiresAt },
  });
  return { orgId: job.orgId, trainerToken: await createTrainerToken(services.db, job.orgId, jobId) };
}

const OUTCOME = `__typename ... on AppError { code message field }`;
const JOB = `id status stage progress currentStep currentEpoch totalSteps latestLoss latestValLoss latestLearningRate latestPerplexity
  recoveryCount errorType errorMessage billableSeconds actualCostUsd hourlyRateUsd lastReportAt stalledAt startedAt finishedAt`;

export const REPORT = {
  metrics: `mutation($j:ID!,$p:[MetricPointInput!]!,$s:Int){ reportMetrics(jobId:$j, points:$p, sequence:$s){ ${OUTCOME} ... on ReportMetricsSuccess { data } } }`,
  status: `mutation($j:ID!,$s:Int!,$st:JobStatus!,$m:String,$t:Int,$sp:Float,$sl:Float,$ub:Float){ reportTrainingStatus(jobId:$j, sequence:$s, status:$st, message:$m, totalSteps:$t, stagePercent:$sp, stageSecondsLeft:$sl, unbilledSeconds:$ub){ ${OUTCOME} ... on ReportTrainingStatusSuccess { data { ${JOB} } } } }`,
  checkpoint: `mutation($j:ID!,$s:Int!,$step:Int!,$e:Float,$a:ID,$tl:Float,$vl:Float){ reportCheckpoint(jobId:$j, sequence:$s, step:$step, epoch:$e, artifactId:$a, trainLoss:$tl, valLoss:$vl){ ${OUTCOME} ... on ReportCheckpointSuccess { data { id step epoch trainLoss valLoss artifact { id } } } } }`,
  interrupted: `mutation($j:ID!,$s:Int!,$step:Int!,$r:String){ reportInterrupted(jobId:$j, sequence:$s, step:$step, reason:$r){ ${OUTCOME} ... on ReportInterruptedSuccess { data { ${JOB} } } } }`,
  resumed: `mutation($j:ID!,$s:Int!,$f:Int!){ reportResumed(jobId:$j, sequence:$s, fromStep:$f){ ${OUTCOME} ... on ReportResumedSuccess { data { ${JOB} } } } }`,
  error: `mutation($j:ID!,$s:Int!,$t:String!,$m:String!,$d:JSON,$f:FailureFactsInput){ reportTrainingError(jobId:$j, sequence:$s, errorType:$t, message:$m, details:$d, facts:$f){ ${OUTCOME} ... on ReportTrainingErrorSuccess { data { ${JOB} } } } }`,
  complete: `mutation($j:ID!,$s:Int!,$sum:JSON,$v:Boolean){ completeTrainingJob(jobId:$j, sequence:$s, summary:$sum, validationFollows:$v){ ${OUTCOME} ... on CompleteTrainingJobSuccess { data { ${JOB} } } } }`,
  webhookSecret: `mutation($j:ID!){ trainerWebhookSecret(jobId:$j){ ${OUTCOME} ... on TrainerWebhookSecretSuccess { data } } }`,
} as const;

/** The report mutation's result (AppError or the success's data), from a raw GraphQL response. */
export function outcome(response: { data?: any; errors?: unknown }) {
  if (!response.data) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  const result = Object.values(response.data)[0] as { __typename: string; data?: any; code?: string; message?: string; field?: string };
  return result;
}

/** Points of the usual series at consecutive steps, as a trainer reports them. */
export function trainingPoints(
  fromStep: number,
  toStep: number,
  names = ["train_loss", "learning_rate"],
  wallTimeAt = (step: number) => 1_700_000_000 + step,
) {
  const points = [];
  for (let step = fromStep; step <= toStep; step++) {
    for (const name of names)
      points.push({ name, step, value: name === "learning_rate" ? 2e-4 : 3 - step / 1000, epoch: step / 100, wallTime: wallTimeAt(step) });
  }
  return points;
}

/** POSTs a report to the webhook door, signed with `secret` (or with the given headers). */
export async function postWebhook(
  url: string,
  jobId: string,
  secret: string,
  body: unknown,
  options: { id?: string; timestamp?: Date; signature?: string } = {},
) {
  const payload = JSON.stringify(body);
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = options.timestamp ?? new Date();
  const signature = options.signature ?? new Webhook(secret).sign(id, timestamp, payload);
  const response = await fetch(`${url}/api/webhooks/trainer/${jobId}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as any };
}
