import type { AppServices } from "../context.js";
import type { ComputeLaunchOutcome, ComputeProviderName } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { createTrainerToken } from "../auth/service.js";
import { appendEvent, publishEvent } from "../events/service.js";
import { transitionJob } from "../jobs/service.js";
import { FINAL_STATUSES } from "../jobs/stateMachine.js";
import { LEASED_STATUSES } from "../workers/service.js";
import { billableSecondsAt } from "../costs/live.js";
import { costForSeconds } from "../costs/estimate.js";
import { ComputeUnavailableError, type ComputeProvider } from "./provider.js";

// Brings machines in line with jobs, on every server instance at once: each
// step is a conditional write (a unique launch per job and attempt, a launch
// taken by one instance at a time, an end recorded once), so instances never
// launch twice, and a restart picks up where the last one stopped.

export type Providers = Partial<Record<ComputeProviderName, ComputeProvider>>;

/** An instance launching a machine holds the launch this long; after that another may take over (it died mid-launch). */
const LAUNCH_LOCK_MS = 60_000;
/** A finished job's worker gets this long to exit by itself before its machine is released. */
const EXIT_GRACE_MS = 30_000;
const MAX_BACKOFF_SECONDS = 300;

async function emit(services: AppServices, jobId: string, type: string, message: string, payload: Record<string, unknown>) {
  const event = await appendEvent(services.db, { jobId, type, message, payload, source: "system" });
  publishEvent(services.pubsub, jobId, event.id);
}

/** Ends a job the provider cannot run, with a typed reason (the failure advice reads errorType). */
async function failJob(services: AppServices, jobId: string, errorType: string, message: string) {
  try {
    await transitionJob(services, jobId, "FAILED", { message, data: { errorType, errorMessage: message } });
  } catch (error) {
    if (!(error instanceof AppError && error.code === "INVALID_TRANSITION")) throw error;
  }
}

/** Jobs waiting for a machine (queued, or interrupted and out of lease) with none launched: one launch record each. */
async function planLaunches(services: AppServices, providers: Providers) {
  const now = new Date();
  const waiting = await services.db.trainingJob.findMany({
    where: {
      org: { computeProvider: { in: Object.keys(providers) as ComputeProviderName[] } },
      OR: [{ status: "QUEUED" }, { status: "RECOVERING", OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lt: now } }] }],
      computeLaunches: { none: { state: { not: "ENDED" } } },
    },
    select: { id: true, gpuType: true, pricingTier: true, org: { select: { computeProvider: true } }, _count: { select: { computeLaunches: true } } },
  });
  for (const job of waiting) {
    const attempt = job._count.computeLaunches + 1;
    if (attempt > services.config.computeMaxAttempts) {
      await failJob(services, job.id, "GPUProvisioningError", `${attempt - 1} machines were launched for this job and none finished it`);
      continue;
    }
    const provider = providers[job.org.computeProvider]!;
    let quote;
    try {
      quote = provider.quote(job.gpuType, job.pricingTier);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await failJob(services, job.id, "GPUProvisioningError", `${provider.name}: ${error.message}`);
      continue;
    }
    try {
      await services.db.computeLaunch.create({
        data: { jobId: job.id, attempt, provider: provider.name, tier: quote.tier, pricePerHourUsd: quote.pricePerHourUsd, simulated: quote.simulated, region: quote.region, instanceType: quote.instanceType },
      });
    } catch (error) {
      // Another instance planned this attempt first.
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
  }
}

/** Calls the provider for launches not started yet, one instance per launch; API trouble backs off and leaves the job queued. */
async function startLaunches(services: AppServices, providers: Providers) {
  const serverUrl = services.listeningUrl;
  if (!serverUrl) return;
  const now = new Date();
  const due = await services.db.computeLaunch.findMany({
    where: { state: "LAUNCHING", OR: [{ retryAt: null }, { retryAt: { lte: now } }], AND: [{ OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] }] },
    include: { job: { select: { orgId: true, status: true, config: true, gpuType: true } } },
  });
  for (const launch of due) {
    const { count } = await services.db.computeLaunch.updateMany({
      where: { id: launch.id, state: "LAUNCHING", OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      data: { lockedUntil: new Date(now.getTime() + LAUNCH_LOCK_MS) },
    });
    if (count === 0) continue;
    if (FINAL_STATUSES.includes(launch.job.status)) {
      await services.db.computeLaunch.update({ where: { id: launch.id }, data: { state: "ENDED", outcome: "CANCELLED", reason: "The job ended before a machine was launched", endedAt: now, lockedUntil: null } });
      continue;
    }
    const provider = providers[launch.provider]!;
    try {
      const workerToken = await createTrainerToken(services.db, launch.job.orgId, launch.jobId);
      const backend = (launch.job.config as { backend?: string } | null)?.backend ?? "typescript";
      const machine = await provider.launch({ jobId: launch.jobId, attempt: launch.attempt, gpuType: launch.job.gpuType, tier: launch.tier, backend, serverUrl, workerToken });
      const startedAt = new Date();
      const started = await services.db.$transaction(async (tx) => {
        const { count } = await tx.computeLaunch.updateMany({
          where: { id: launch.id, state: "LAUNCHING" },
          data: { state: "RUNNING", externalId: machine.externalId, region: machine.region, instanceType: machine.instanceType, startedAt, lockedUntil: null, reason: null },
        });
        if (count) await tx.trainingJob.update({ where: { id: launch.jobId }, data: { machineSince: startedAt } });
        return count > 0;
      });
      const price = `$${launch.pricePerHourUsd.toFixed(2)}/h${launch.simulated ? " (simulated)" : ""}`;
      if (started) await emit(services, launch.jobId, "machine_launched", `Attempt ${launch.attempt}: ${provider.name.toLowerCase()} machine ${machine.externalId} in ${machine.region} (${machine.instanceType}), ${price}`, { attempt: launch.attempt, provider: provider.name, externalId: machine.externalId });
    } catch (error) {
      if (error instanceof AppError) {
        await services.db.computeLaunch.update({ where: { id: launch.id }, data: { state: "ENDED", outcome: "FAILED", reason: error.message, endedAt: new Date(), lockedUntil: null } });
        await failJob(services, launch.jobId, "GPUProvisioningError", `${provider.name}: ${error.message}`);
        continue;
      }
      const waitSeconds = Math.min(MAX_BACKOFF_SECONDS, (error as ComputeUnavailableError).retryAfterSeconds ?? 2 ** (launch.launchTries + 1));
      const reason = error instanceof ComputeUnavailableError ? error.message : `unexpected error: ${(error as Error).message}`;
      await services.db.computeLaunch.update({ where: { id: launch.id }, data: { launchTries: { increment: 1 }, retryAt: new Date(Date.now() + waitSeconds * 1000), reason, lockedUntil: null } });
      await emit(services, launch.jobId, "compute_unavailable", `${provider.name.toLowerCase()} could not launch a machine (${reason}); trying again in ${waitSeconds} s`, { attempt: launch.attempt, tries: launch.launchTries + 1, waitSeconds });
    }
  }
}

/** Records a machine's end once and bills its interval; a job that already ended gets its final bill corrected. */
async function endLaunch(services: AppServices, launch: { id: string; jobId: string; startedAt: Date | null }, outcome: ComputeLaunchOutcome, reason: string) {
  const endedAt = new Date();
  const heldSeconds = launch.startedAt ? (endedAt.getTime() - launch.startedAt.getTime()) / 1000 : 0;
  return services.db.$transaction(async (tx) => {
    const { count } = await tx.computeLaunch.updateMany({ where: { id: launch.id, state: "RUNNING" }, data: { state: "ENDED", endedAt, outcome, reason } });
    if (count === 0) return false;
    const job = await tx.trainingJob.update({ where: { id: launch.jobId }, data: { machineSeconds: { increment: heldSeconds }, machineSince: null } });
    if (FINAL_STATUSES.includes(job.status)) {
      const billableSeconds = billableSecondsAt(job, endedAt);
      await tx.trainingJob.update({ where: { id: job.id }, data: { billableSeconds, actualCostUsd: costForSeconds(billableSeconds, job.hourlyRateUsd) } });
    }
    return true;
  });
}

/** Asks the provider about every running machine and acts on what ended: a lost machine sends its job to recovery at once. */
async function pollMachines(services: AppServices, providers: Providers) {
  const running = await services.db.computeLaunch.findMany({ where: { state: "RUNNING" }, include: { job: { select: { status: true, finishedAt: true, updatedAt: true } } } });
  for (const launch of running) {
    const provider = providers[launch.provider];
    if (!provider) continue;
    const jobEnded = FINAL_STATUSES.includes(launch.job.status);
    try {
      const machine = await provider.poll(launch.externalId!);
      if (machine.state !== "ENDED") {
        // A job taken back (lease expired) from a machine that still runs: its worker hangs, and the next attempt waits for the release.
        const hung = launch.job.status === "RECOVERING" && Date.now() - launch.job.updatedAt.getTime() > EXIT_GRACE_MS;
        const overdue = launch.job.status === "CANCELLED" || hung || (jobEnded && Date.now() - launch.job.finishedAt!.getTime() > EXIT_GRACE_MS);
        if (!overdue) continue;
        await provider.cancel(launch.externalId!);
        const reason = hung ? "The worker stopped sending heartbeats: machine released" : `The job is ${launch.job.status.toLowerCase()}: machine released`;
        if (await endLaunch(services, launch, hung ? "LOST" : "CANCELLED", reason)) {
          await emit(services, launch.jobId, "machine_released", `Attempt ${launch.attempt}: ${reason}`, { attempt: launch.attempt });
        }
        continue;
      }
      if (!(await endLaunch(services, launch, machine.outcome, machine.reason))) continue;
      await emit(services, launch.jobId, "machine_ended", `Attempt ${launch.attempt}: ${machine.reason}`, { attempt: launch.attempt, outcome: machine.outcome });
      await actOnEnd(services, launch.jobId, launch.job.status, machine.outcome, machine.reason);
    } catch (error) {
      if (!(error instanceof ComputeUnavailableError)) throw error;
    }
  }
}

async function actOnEnd(services: AppServices, jobId: string, status: string, outcome: ComputeLaunchOutcome, reason: string) {
  if ((outcome === "INTERRUPTED" || outcome === "LOST") && LEASED_STATUSES.includes(status as never)) {
    // No need to wait for the lease: the machine is known to be gone.
    try {
      await transitionJob(services, jobId, "RECOVERING", { message: `${reason}; launching a machine to resume from the last checkpoint`, data: { leaseExpiresAt: null }, payload: { reason: "machine_lost" } });
    } catch (error) {
      if (!(error instanceof AppError && error.code === "INVALID_TRANSITION")) throw error;
    }
  }
  if (outcome === "FAILED" && !FINAL_STATUSES.includes(status as never)) await failJob(services, jobId, "UnknownError", reason);
}

/** Machines under our label with no live launch on record (launched by an instance that then lost its record): released and logged. */
async function releaseOrphans(services: AppServices, providers: Providers) {
  for (const provider of Object.values(providers)) {
    for (const machine of await provider.listLabelled()) {
      const launch = await services.db.computeLaunch.findUnique({ where: { jobId_attempt: { jobId: machine.jobId, attempt: machine.attempt } } });
      if (launch && launch.state !== "ENDED") continue;
      await provider.cancel(machine.externalId);
      console.warn(`compute: released orphan ${provider.name.toLowerCase()} machine ${machine.externalId} (job ${machine.jobId}, attempt ${machine.attempt})`);
      if (launch) await emit(services, machine.jobId, "orphan_released", `Machine ${machine.externalId} was still running after its attempt ended; released`, { attempt: machine.attempt });
    }
  }
}

const ORPHAN_SCAN_EVERY = 10;

/** One pass; `tick` counts passes so that the orphan scan (a provider listing) runs less often. */
export async function reconcile(services: AppServices, providers: Providers, tick = 0) {
  await planLaunches(services, providers);
  await startLaunches(services, providers);
  await pollMachines(services, providers);
  if (tick % ORPHAN_SCAN_EVERY === 0) await releaseOrphans(services, providers);
}

/** The reconciler as a background worker: a pass every COMPUTE_TICK_MS, never two at once; stopping waits for the pass and the provider. */
export function startComputeReconciler(services: AppServices, providers: Providers): () => Promise<void> {
  let tick = 0;
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = reconcile(services, providers, tick++)
      .catch((error) => console.error("compute reconciler failed", error))
      .finally(() => (running = null));
  }, services.config.computeTickMs);
  return async () => {
    clearInterval(timer);
    await running;
    await Promise.all(Object.values(providers).map((p) => p.close?.()));
  };
}
