import type { AppServices, Viewer } from "../context.js";
import type { ServerConfig } from "../config.js";
import { AppError } from "../errors.js";
import { appendEvent, publishEvent } from "../events/service.js";
import type { JobEventType } from "../events/types.js";
import { publishJobChange, retryJob } from "../jobs/service.js";

// Automatic retry of transient failures (the overview: "Lost connection to GPU
// instance. Automatic retry in 60 seconds."). A transient failure stamps the
// failed job with `autoRetryAt`; every server instance's background tick takes
// due jobs with a conditional update (only one instance wins a job) and starts
// the retry as the one-click retry would, as the job's creator. Bounded by
// AUTO_RETRY_MAX retries in a row; other failures wait for a person.

/** NetworkError always passes; other failures when the trainer says so. */
export function isTransient(errorType: string, transient: boolean | null | undefined): boolean {
  return transient === true || errorType === "NetworkError";
}

export type AutoRetryPlan = { at: Date; attempt: number; of: number };

/** When the failed job is retried by itself, or null (not transient, or the bound is reached). */
export function planAutoRetry(
  config: Pick<ServerConfig, "autoRetryDelaySeconds" | "autoRetryMax">,
  job: { autoRetryAttempt: number },
  errorType: string,
  transient: boolean | null | undefined,
  now: Date,
): AutoRetryPlan | null {
  if (!isTransient(errorType, transient) || job.autoRetryAttempt >= config.autoRetryMax) return null;
  return { at: new Date(now.getTime() + config.autoRetryDelaySeconds * 1000), attempt: job.autoRetryAttempt + 1, of: config.autoRetryMax };
}

export function describeAutoRetry(plan: AutoRetryPlan, now: Date): string {
  const seconds = Math.round((plan.at.getTime() - now.getTime()) / 1000);
  return `transient: retried automatically in ${seconds} s (automatic retry ${plan.attempt} of ${plan.of})`;
}

const BATCH = 20;

/** Starts the retries that are due. Safe on several instances: each job is taken by one conditional update. */
export async function runDueAutoRetries(services: AppServices): Promise<number> {
  const now = new Date();
  const due = await services.db.trainingJob.findMany({
    where: { autoRetryAt: { lte: now }, status: "FAILED" },
    select: { id: true, orgId: true, createdById: true, autoRetryAttempt: true },
    orderBy: { autoRetryAt: "asc" },
    take: BATCH,
  });
  let started = 0;
  for (const job of due) {
    const { count } = await services.db.trainingJob.updateMany({
      where: { id: job.id, autoRetryAt: { not: null, lte: now } },
      data: { autoRetryAt: null },
    });
    if (count === 0) continue; // another instance took it, or a person retried it first
    const attempt = job.autoRetryAttempt + 1;
    try {
      const viewer = await creatorViewer(services, job);
      const retry = await retryJob(services, viewer, job.id, null, true, { autoRetryAttempt: attempt });
      await logOnFailedJob(
        services,
        job,
        "auto_retry",
        `Retried automatically as “${retry.name}” (automatic retry ${attempt} of ${services.config.autoRetryMax})`,
        { retryJobId: retry.id, attempt },
      );
      started++;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Refused (the budget is spent, the dataset is gone…): said in the log; the one-click retry stays.
      await logOnFailedJob(services, job, "auto_retry_failed", `Automatic retry refused: ${error.message}`, {
        code: error.code,
        field: error.field,
        attempt,
      });
    }
  }
  return started;
}

/** The retry is made in the name of whoever created the job, with their role today; a removed member's jobs are not retried. */
async function creatorViewer(
  services: AppServices,
  job: { orgId: string; createdById: string },
): Promise<Extract<Viewer, { kind: "user" }>> {
  const membership = await services.db.membership.findFirst({
    where: { userId: job.createdById, orgId: job.orgId, deactivatedAt: null },
    select: { role: true },
  });
  if (!membership) throw new AppError("FORBIDDEN", "The job's creator is no longer a member of the organization", "createdById");
  return { kind: "user", userId: job.createdById, orgId: job.orgId, role: membership.role, scopes: null, credentialId: "auto-retry" };
}

async function logOnFailedJob(
  services: AppServices,
  job: { id: string; orgId: string },
  type: JobEventType,
  message: string,
  payload: Record<string, unknown>,
) {
  const event = await appendEvent(services.db, { jobId: job.id, type, message, payload, source: "system" });
  publishEvent(services.pubsub, job.id, event.id);
  publishJobChange(services, job, "updated");
}
