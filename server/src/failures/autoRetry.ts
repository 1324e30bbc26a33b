import type { AppServices, UserViewer } from "../context.js";
import type { ServerConfig } from "../config.js";
import { AppError } from "../errors.js";
import { appendEvent, inTransaction } from "../events/service.js";
import type { JobEventType } from "../events/types.js";
import { queueJobChange, retryJob } from "../jobs/service.js";

// Automatic retry of transient failures (the overview: "Lost connection to GPU
// instance. Automatic retry in 60 seconds."). A transient failure stamps the
// failed job with `autoRetryAt`; every server instance's background tick takes
// due jobs with a conditional update (only one instance wins a job) and starts
// the retry as the one-click retry would, as the job's creator. Bounded by
// AUTO_RETRY_MAX retries in a row; other failures wait for a person. Nobody is
// paged (JOB_FAILED) while a retry is pending or once it started: only when the
// failure is not transient, the bound is reached, or the retry is refused.

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

/** The automatic retry started for a failed job, if any. */
export function automaticRetryOf(services: AppServices, jobId: string) {
  return services.db.trainingJob.findFirst({ where: { retryOfId: jobId, autoRetryAttempt: { gt: 0 } }, select: { id: true, name: true } });
}

const BATCH = 20;
/** How long an instance holds a due retry while it starts it; one that stopped meanwhile leaves it to another after this. */
const CLAIM_MS = 5 * 60_000;

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
    // Taken by moving its time past the claim rather than clearing it, so that
    // until the retry exists the job still shows one pending (and pages nobody).
    const { count } = await services.db.trainingJob.updateMany({
      where: { id: job.id, autoRetryAt: { not: null, lte: now } },
      data: { autoRetryAt: new Date(now.getTime() + CLAIM_MS) },
    });
    if (count === 0) continue; // another instance took it, or a person retried it first
    const attempt = job.autoRetryAttempt + 1;
    const release = () => services.db.trainingJob.updateMany({ where: { id: job.id }, data: { autoRetryAt: null } });
    try {
      const viewer = await creatorViewer(services, job);
      // An instance that stopped right after starting the retry has left its claim behind.
      const retry =
        (await automaticRetryOf(services, job.id)) ?? (await retryJob(services, viewer, job.id, null, true, { autoRetryAttempt: attempt }));
      await release();
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
      // Refused (the budget is spent, the dataset is gone…): said in the log, and now a
      // person's to retry (the JOB_FAILED alert follows this change); the one-click retry stays.
      await release();
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
async function creatorViewer(services: AppServices, job: { orgId: string; createdById: string }): Promise<UserViewer> {
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
  await inTransaction(services, async (tx) => {
    await appendEvent(tx, { jobId: job.id, type, message, payload, source: "system" });
    queueJobChange(tx, job, "updated");
  });
}
