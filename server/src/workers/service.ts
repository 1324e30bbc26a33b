import type { AppServices, TrainerViewer, Viewer } from "../context.js";
import type { Db } from "../db/client.js";
import type { Prisma } from "../generated/sqlite/client.js";
import { AppError } from "../errors.js";
import { createTrainerToken } from "../auth/service.js";
import { readDatasetText } from "../datasets/service.js";
import { appendEvent, inTransaction } from "../events/service.js";
import { transitionJob } from "../jobs/service.js";
import { artifactDownloadUrl } from "../artifacts/service.js";
import { LEASED_STATUSES } from "./lease.js";

export { LEASED_STATUSES };

/** The job a trainer token was made for; any other job is refused. */
export function requireTrainerOf(viewer: Viewer | null, jobId: string): TrainerViewer {
  if (viewer?.kind !== "trainer" || viewer.jobId !== jobId)
    throw new AppError("FORBIDDEN", "This trainer token is for another job", "jobId");
  return viewer;
}

function claimable(now: Date, orgId?: string, gpuTypes?: string[] | null): Prisma.TrainingJobWhereInput {
  return {
    ...(orgId && { orgId }),
    ...(gpuTypes?.length && { gpuType: { in: gpuTypes } }),
    OR: [{ status: "QUEUED" }, { status: "RECOVERING", OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lt: now } }] }],
  };
}

/** Tries to take one job; null when another worker got it first. Its watchers hear of it once the claim commits (transitionJob). */
async function claimOne(services: AppServices, jobId: string, orgId: string, workerId: string) {
  const now = new Date();
  const leaseExpiresAt = new Date(now.getTime() + services.config.leaseSeconds * 1000);
  return inTransaction(services, async (tx) => {
    // The claim itself: one conditional UPDATE. Of two workers racing for the
    // job, the second finds the row no longer claimable and updates nothing.
    // The previous holder's webhook secret goes too; the new trainer asks for a fresh one.
    const { count } = await tx.trainingJob.updateMany({
      where: { id: jobId, ...claimable(now) },
      data: { workerId, leaseExpiresAt, webhookSecret: null },
    });
    if (count === 0) return null;
    const before = await tx.trainingJob.findUniqueOrThrow({ where: { id: jobId }, select: { status: true } });
    const job = await transitionJob(services, jobId, "PROVISIONING", {
      tx,
      message: before.status === "RECOVERING" ? `Worker ${workerId} took over the interrupted job` : `Worker ${workerId} claimed the job`,
      payload: { workerId },
    });
    // One live trainer token per job: a worker that lost its lease can no longer report.
    // The launch's own token stays: a machine its provider restarts claims with it again.
    await tx.apiKey.updateMany({ where: { jobId, revokedAt: null, launchId: null }, data: { revokedAt: now } });
    const trainerToken = await createTrainerToken(tx as unknown as Db, orgId, jobId);
    return { job, trainerToken, leaseExpiresAt };
  });
}

const CLAIM_PAGE = 20;

/** `jobId`: a machine launched for one job claims only that job. */
export type ClaimFilter = { gpuTypes?: string[] | null; backends?: string[] | null; jobId?: string | null };

/** The trainer a job asks for (config.backend); jobs made before the setting existed use the TypeScript one. */
export const backendOf = (config: unknown) => (config as { backend?: string } | null)?.backend ?? "typescript";

/**
 * Gives the worker the oldest claimable job of its organization — a RECOVERING
 * one (interrupted, lease expired) or a QUEUED one — with what it needs to run
 * it: a job-scoped token, the dataset and the checkpoint to resume from.
 */
export async function claimNextJob(services: AppServices, orgId: string, workerId: string, filter: ClaimFilter, baseUrl: string) {
  if (!/^[A-Za-z0-9._:@-]{1,100}$/.test(workerId)) {
    throw new AppError("VALIDATION", "The worker id must be 1–100 letters, digits or . _ : @ -", "workerId");
  }
  const accepts = (config: unknown) => !filter.backends?.length || filter.backends.includes(backendOf(config));
  for (;;) {
    let contended = false;
    // Oldest first, a page at a time; the backend lives in the JSON config, so it is checked here (one query for both databases).
    for (let skip = 0; ; skip += CLAIM_PAGE) {
      const page = await services.db.trainingJob.findMany({
        where: { ...claimable(new Date(), orgId, filter.gpuTypes), ...(filter.jobId && { id: filter.jobId }) },
        orderBy: [{ queuedAt: "asc" }, { createdAt: "asc" }, { id: "asc" }],
        skip,
        take: CLAIM_PAGE,
        select: { id: true, config: true },
      });
      for (const { id, config } of page) {
        if (!accepts(config)) continue;
        const claimed = await claimOne(services, id, orgId, workerId);
        if (claimed) return { ...claimed, ...(await runInputs(services, claimed.job, baseUrl)) };
        contended = true;
      }
      if (page.length < CLAIM_PAGE) break;
    }
    // Nothing left, unless faster workers took the jobs we tried: then look again.
    if (!contended) return null;
  }
}

async function runInputs(services: AppServices, job: { id: string; datasetId: string; lastSequence: number }, baseUrl: string) {
  const dataset = await services.db.dataset.findUniqueOrThrow({ where: { id: job.datasetId } });
  const checkpoint = await services.db.checkpoint.findFirst({
    where: { jobId: job.id, artifactId: { not: null } },
    orderBy: { step: "desc" },
    include: { artifact: true },
  });
  return {
    datasetContent: await readDatasetText(services, dataset),
    lastSequence: job.lastSequence,
    resumeFrom: checkpoint?.artifact
      ? {
          step: checkpoint.step,
          epoch: checkpoint.epoch,
          artifactId: checkpoint.artifact.id,
          sha256: checkpoint.artifact.sha256,
          sizeBytes: checkpoint.artifact.sizeBytes,
          downloadUrl: artifactDownloadUrl(services, baseUrl, checkpoint.artifact.id, null),
        }
      : null,
  };
}

/** Renews the lease of a running job and tells the worker whether to stop. */
export async function heartbeat(services: AppServices, jobId: string) {
  const leaseExpiresAt = new Date(Date.now() + services.config.leaseSeconds * 1000);
  const { count } = await services.db.trainingJob.updateMany({
    where: { id: jobId, status: { in: LEASED_STATUSES } },
    data: { leaseExpiresAt },
  });
  const job = await services.db.trainingJob.findUniqueOrThrow({ where: { id: jobId }, select: { status: true } });
  return { leaseExpiresAt: count ? leaseExpiresAt : null, status: job.status, cancelRequested: job.status === "CANCELLED" };
}

/**
 * Takes back jobs whose worker stopped sending heartbeats: they become
 * RECOVERING, and the next worker to claim one resumes it from its last checkpoint.
 */
export async function expireLeases(services: AppServices): Promise<string[]> {
  const now = new Date();
  const expired = await services.db.trainingJob.findMany({
    where: { status: { in: LEASED_STATUSES }, leaseExpiresAt: { lt: now } },
    select: { id: true, workerId: true },
  });
  const recovered: string[] = [];
  for (const { id, workerId } of expired) {
    const recovering = await inTransaction(services, async (tx) => {
      // Guarded like a claim: a heartbeat that renewed the lease in the meantime wins.
      const { count } = await tx.trainingJob.updateMany({
        where: { id, status: { in: LEASED_STATUSES }, leaseExpiresAt: { lt: now } },
        data: { leaseExpiresAt: null },
      });
      if (count === 0) return false;
      const reason = `Worker ${workerId ?? "?"} stopped sending heartbeats`;
      await transitionJob(services, id, "RECOVERING", {
        tx,
        message: `${reason}; waiting for a worker to resume from the last checkpoint`,
        payload: { reason: "lease_expired", workerId },
      });
      await appendEvent(tx, {
        jobId: id,
        type: "lease_expired",
        message: reason,
        payload: { workerId, leaseSeconds: services.config.leaseSeconds },
        source: "system",
      });
      return true;
    });
    if (recovering) recovered.push(id);
  }
  return recovered;
}
