import type { AppServices } from "../context.js";
import type { ComputeLaunchOutcome, ComputeProviderName, PricingTier } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { createTrainerToken } from "../auth/service.js";
import { appendEvent, inTransaction } from "../events/service.js";
import type { JobEventType } from "../events/types.js";
import { transitionJob } from "../jobs/service.js";
import { FINAL_STATUSES } from "../jobs/stateMachine.js";
import { LEASED_STATUSES } from "../workers/service.js";
import { billableSecondsAt, billedCostUsd } from "../costs/live.js";
import { costForSeconds } from "../costs/estimate.js";
import { ComputeUnavailableError, NoCapacityError, type ComputeProvider, type MachineStatus } from "./provider.js";
import type { Db } from "../db/client.js";
import { providerSource, type Providers, type ProviderSource } from "./credentials.js";

// Brings machines in line with jobs, on every server instance at once: each
// step is a conditional write (a unique launch per job and attempt, a launch
// taken by one instance at a time, an end recorded once), so instances never
// launch twice, and a restart picks up where the last one stopped.

export type { Providers };

/** An instance launching a machine holds the launch this long; after that another may take over (it died mid-launch). */
const LAUNCH_LOCK_MS = 60_000;
/** A finished job's worker gets this long to exit by itself before its machine is released. */
const EXIT_GRACE_MS = 30_000;
/** How long a machine restarted by its provider may take to claim its job again before it counts as hung. */
const RESTART_GRACE_MS = 10 * 60_000;
const MAX_BACKOFF_SECONDS = 300;
const POLLS_IN_FLIGHT = 8;

async function emit(services: AppServices, jobId: string, type: JobEventType, message: string, payload: Record<string, unknown>) {
  await inTransaction(services, (tx) => appendEvent(tx, { jobId, type, message, payload, source: "system" }));
}

/** Ends a job the provider cannot run, with a typed reason (the failure advice reads errorType). */
async function failJob(services: AppServices, jobId: string, errorType: string, message: string) {
  try {
    await transitionJob(services, jobId, "FAILED", { message, data: { errorType, errorMessage: message } });
  } catch (error) {
    if (!(error instanceof AppError && error.code === "INVALID_TRANSITION")) throw error;
  }
}

/** Spot, until the job has lost `onDemandAfterPreemptions` spot machines and allows on-demand: then on-demand. */
export function tierOfNextAttempt(job: {
  pricingTier: PricingTier;
  onDemandFallback: boolean;
  onDemandAfterPreemptions: number | null;
  computeLaunches: { outcome: ComputeLaunchOutcome | null; tier: PricingTier }[];
}): PricingTier {
  if (job.pricingTier !== "SPOT" || !job.onDemandFallback || job.onDemandAfterPreemptions == null) return job.pricingTier;
  const preemptions = job.computeLaunches.filter((l) => l.tier === "SPOT" && (l.outcome === "INTERRUPTED" || l.outcome === "LOST")).length;
  return preemptions >= job.onDemandAfterPreemptions ? "ON_DEMAND" : "SPOT";
}

/** Jobs waiting for a machine (queued, interrupted and out of lease, or with a validation nobody runs) with none launched: one launch record each. */
async function planLaunches(services: AppServices, providers: ProviderSource) {
  const now = new Date();
  const waiting = await services.db.trainingJob.findMany({
    where: {
      org: { computeProvider: { not: "WORKERS" } },
      OR: [
        { status: "QUEUED" },
        { status: "RECOVERING", OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lt: now } }] },
        // A validation no worker holds, once the machine that trained the job is gone: a machine launched for the job takes it (worker --job-id).
        {
          status: "VALIDATION",
          validationRuns: {
            some: { automaticForJobId: { not: null }, OR: [{ status: "PENDING" }, { status: "RUNNING", leaseExpiresAt: { lt: now } }] },
          },
        },
      ],
      computeLaunches: { none: { state: { not: "ENDED" } } },
    },
    select: {
      id: true,
      orgId: true,
      gpuType: true,
      pricingTier: true,
      onDemandFallback: true,
      onDemandAfterPreemptions: true,
      org: { select: { computeProvider: true } },
      computeLaunches: { select: { outcome: true, tier: true } },
    },
  });
  for (const job of waiting) {
    // An organization on a provider this server has no settings for (and no credentials of its own): nothing to launch with.
    const provider = providers.get(job.orgId, job.org.computeProvider);
    if (!provider) continue;
    const attempt = job.computeLaunches.length + 1;
    if (attempt > services.config.computeMaxAttempts) {
      await failJob(services, job.id, "GPUProvisioningError", `${attempt - 1} machines were launched for this job and none finished it`);
      continue;
    }
    const tier = tierOfNextAttempt(job);
    let quote;
    try {
      quote = provider.quote(job.gpuType, tier);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await failJob(services, job.id, "GPUProvisioningError", `${provider.name}: ${error.message}`);
      continue;
    }
    try {
      await services.db.computeLaunch.create({
        data: {
          jobId: job.id,
          attempt,
          provider: provider.name,
          tier: quote.tier,
          pricePerHourUsd: quote.pricePerHourUsd,
          simulated: quote.simulated,
          region: quote.region,
          instanceType: quote.instanceType,
        },
      });
    } catch (error) {
      // Another instance planned this attempt first.
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
  }
}

/** Calls the provider for launches not started yet, one instance per launch; API trouble backs off and leaves the job queued. */
async function startLaunches(services: AppServices, providers: ProviderSource) {
  const serverUrl = services.listeningUrl;
  if (!serverUrl) return;
  const now = new Date();
  const due = await services.db.computeLaunch.findMany({
    where: {
      state: "LAUNCHING",
      OR: [{ retryAt: null }, { retryAt: { lte: now } }],
      AND: [{ OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] }],
    },
    include: { job: { select: { orgId: true, status: true, config: true, gpuType: true, onDemandFallback: true } } },
  });
  for (const launch of due) {
    const { count } = await services.db.computeLaunch.updateMany({
      where: { id: launch.id, state: "LAUNCHING", OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      data: { lockedUntil: new Date(now.getTime() + LAUNCH_LOCK_MS) },
    });
    if (count === 0) continue;
    if (FINAL_STATUSES.includes(launch.job.status)) {
      await services.db.computeLaunch.update({
        where: { id: launch.id },
        data: {
          state: "ENDED",
          outcome: "CANCELLED",
          reason: "The job ended before a machine was launched",
          endedAt: now,
          lockedUntil: null,
        },
      });
      await revokeLaunchTokens(services.db, launch.id);
      continue;
    }
    const provider = providers.get(launch.job.orgId, launch.provider);
    if (!provider) {
      await services.db.computeLaunch.update({ where: { id: launch.id }, data: { lockedUntil: null } });
      continue;
    }
    try {
      // Valid for this launch until it ends: a machine the provider restarts by itself claims the job with it again.
      const workerToken = await createTrainerToken(services.db, launch.job.orgId, launch.jobId, launch.id);
      const backend = (launch.job.config as { backend?: string } | null)?.backend ?? "typescript";
      const onDemandFallback = launch.tier === "SPOT" && launch.job.onDemandFallback;
      const machine = await provider.launch({
        jobId: launch.jobId,
        attempt: launch.attempt,
        gpuType: launch.job.gpuType,
        tier: launch.tier,
        onDemandFallback,
        backend,
        serverUrl,
        workerToken,
      });
      const startedAt = new Date();
      const started = await services.db.$transaction(async (tx) => {
        const { count } = await tx.computeLaunch.updateMany({
          where: { id: launch.id, state: "LAUNCHING" },
          data: {
            state: "RUNNING",
            externalId: machine.externalId,
            region: machine.region,
            instanceType: machine.instanceType,
            startedAt,
            lockedUntil: null,
            reason: null,
          },
        });
        if (count)
          await tx.trainingJob.update({
            where: { id: launch.jobId },
            data: { machineSince: startedAt, machineRateUsd: launch.pricePerHourUsd },
          });
        return count > 0;
      });
      const price = `$${launch.pricePerHourUsd.toFixed(2)}/h${launch.simulated ? " (simulated)" : ""}`;
      if (started)
        await emit(
          services,
          launch.jobId,
          "machine_launched",
          `Attempt ${launch.attempt}: ${provider.name.toLowerCase()} machine ${machine.externalId} in ${machine.region} (${machine.instanceType}), ${price}`,
          { attempt: launch.attempt, provider: provider.name, externalId: machine.externalId },
        );
    } catch (error) {
      if (error instanceof AppError || error instanceof NoCapacityError) {
        await services.db.computeLaunch.update({
          where: { id: launch.id },
          data: { state: "ENDED", outcome: "FAILED", reason: error.message, endedAt: new Date(), lockedUntil: null },
        });
        await revokeLaunchTokens(services.db, launch.id);
        await failJob(services, launch.jobId, "GPUProvisioningError", `${provider.name}: ${error.message}`);
        continue;
      }
      const waitSeconds = Math.min(
        MAX_BACKOFF_SECONDS,
        (error as ComputeUnavailableError).retryAfterSeconds ?? 2 ** (launch.launchTries + 1),
      );
      const reason = error instanceof ComputeUnavailableError ? error.message : `unexpected error: ${(error as Error).message}`;
      await services.db.computeLaunch.update({
        where: { id: launch.id },
        data: { launchTries: { increment: 1 }, retryAt: new Date(Date.now() + waitSeconds * 1000), reason, lockedUntil: null },
      });
      await emit(
        services,
        launch.jobId,
        "compute_unavailable",
        `${provider.name.toLowerCase()} could not launch a machine (${reason}); trying again in ${waitSeconds} s`,
        { attempt: launch.attempt, tries: launch.launchTries + 1, waitSeconds },
      );
    }
  }
}

/** A launch that ended takes its machine's token with it: nothing can claim the job with it any more. */
async function revokeLaunchTokens(db: Db, launchId: string) {
  await db.apiKey.updateMany({ where: { launchId, revokedAt: null }, data: { revokedAt: new Date() } });
}

/** Records a machine's end once and bills its interval; a job that already ended gets its final bill corrected. */
async function endLaunch(
  services: AppServices,
  launch: { id: string; jobId: string; startedAt: Date | null; pricePerHourUsd: number },
  outcome: ComputeLaunchOutcome,
  reason: string,
) {
  const endedAt = new Date();
  const heldSeconds = launch.startedAt ? (endedAt.getTime() - launch.startedAt.getTime()) / 1000 : 0;
  return services.db.$transaction(async (tx) => {
    const { count } = await tx.computeLaunch.updateMany({
      where: { id: launch.id, state: "RUNNING" },
      data: { state: "ENDED", endedAt, outcome, reason },
    });
    if (count === 0) return false;
    await revokeLaunchTokens(tx as unknown as Db, launch.id);
    const job = await tx.trainingJob.update({
      where: { id: launch.jobId },
      data: {
        machineSeconds: { increment: heldSeconds },
        machineCostUsd: { increment: costForSeconds(heldSeconds, launch.pricePerHourUsd) },
        machineSince: null,
        machineRateUsd: null,
      },
    });
    if (FINAL_STATUSES.includes(job.status)) {
      await tx.trainingJob.update({
        where: { id: job.id },
        data: { billableSeconds: billableSecondsAt(job, endedAt), actualCostUsd: billedCostUsd(job, endedAt) },
      });
    }
    return true;
  });
}

/** Asks the provider about every running machine and acts on what ended: a lost machine sends its job to recovery at once. */
async function pollMachines(services: AppServices, providers: ProviderSource) {
  const running = await runningLaunches(services.db);
  // Provider APIs answer over the network: several polls in flight at once, each launch acted on as its answer comes.
  let next = 0;
  const pollNext = async (): Promise<void> => {
    for (let launch = running[next++]; launch; launch = running[next++]) {
      const provider = providers.get(launch.job.orgId, launch.provider);
      if (!provider) continue;
      try {
        const machine = await provider.poll(launch.externalId!);
        if (machine.state === "ENDED") await actOnEnd(services, launch, machine);
        else await actOnLive(services, provider, launch, machine.state);
      } catch (error) {
        if (!(error instanceof ComputeUnavailableError)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: POLLS_IN_FLIGHT }, pollNext));
}

type RunningLaunch = {
  id: string;
  jobId: string;
  attempt: number;
  provider: ComputeProviderName;
  externalId: string | null;
  startedAt: Date | null;
  pricePerHourUsd: number;
  job: { orgId: string; status: string; workerId: string | null; finishedAt: Date | null; updatedAt: Date };
};

/** SQLite hands dates to raw queries as text or epoch milliseconds; PostgreSQL as Dates. */
const dateOf = (value: unknown) => (value == null ? null : new Date(value as string | number | Date));

/**
 * Every running launch with its job's state, in one joined query: the tick's
 * largest read (the relation query Prisma would make is a second round trip and
 * took three times as long with 1,000 launches; scripts/bench/compute.ts).
 */
async function runningLaunches(db: Db): Promise<RunningLaunch[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT l."id", l."jobId", l."attempt", l."provider", l."externalId", l."startedAt", l."pricePerHourUsd", j."orgId", j."status", j."workerId", j."finishedAt", j."updatedAt"
    FROM "ComputeLaunch" l JOIN "TrainingJob" j ON j."id" = l."jobId" WHERE l."state" = 'RUNNING'`;
  return rows.map((row) => ({
    id: row.id as string,
    jobId: row.jobId as string,
    attempt: Number(row.attempt),
    provider: row.provider as ComputeProviderName,
    externalId: row.externalId as string | null,
    startedAt: dateOf(row.startedAt),
    pricePerHourUsd: Number(row.pricePerHourUsd),
    job: {
      orgId: row.orgId as string,
      status: row.status as string,
      workerId: row.workerId as string | null,
      finishedAt: dateOf(row.finishedAt),
      updatedAt: dateOf(row.updatedAt)!,
    },
  }));
}

/** A machine still held: released once its job no longer needs it; a provider restarting it hands the job back at once. */
async function actOnLive(
  services: AppServices,
  provider: ComputeProvider,
  launch: RunningLaunch,
  state: "PENDING" | "RUNNING" | "RECOVERING",
) {
  const { job } = launch;
  if (state === "RECOVERING" && LEASED_STATUSES.includes(job.status as never)) {
    // Preempted; the provider brings a machine back, which claims the job with the launch's token once the lease is gone.
    await toRecovering(
      services,
      launch.jobId,
      `Attempt ${launch.attempt}: the machine was preempted and ${provider.name.toLowerCase()} is restarting it`,
    );
    return;
  }
  // A job taken back (lease expired) from a machine that still runs: its worker hangs, and the next attempt waits for the release.
  // A provider that restarts machines gets longer: its new machine may still be starting the worker.
  const hungAfter = provider.capabilities.recoversItself ? RESTART_GRACE_MS : EXIT_GRACE_MS;
  // Only a machine whose worker claimed the job: one that has not yet is still starting (every provider names
  // its worker …-<job id>-<attempt>: local-…, the Kubernetes Job's name, the SkyPilot task's name).
  const heldIt = job.workerId?.toLowerCase().endsWith(`${launch.jobId.toLowerCase()}-${launch.attempt}`) ?? false;
  const hung = state === "RUNNING" && heldIt && job.status === "RECOVERING" && Date.now() - job.updatedAt.getTime() > hungAfter;
  const jobEnded = FINAL_STATUSES.includes(job.status as never);
  const overdue = job.status === "CANCELLED" || hung || (jobEnded && Date.now() - job.finishedAt!.getTime() > EXIT_GRACE_MS);
  if (!overdue) return;
  await provider.cancel(launch.externalId!);
  const reason = hung
    ? "The worker stopped sending heartbeats: machine released"
    : `The job is ${job.status.toLowerCase()}: machine released`;
  if (await endLaunch(services, launch, hung ? "LOST" : "CANCELLED", reason)) {
    await emit(services, launch.jobId, "machine_released", `Attempt ${launch.attempt}: ${reason}`, { attempt: launch.attempt });
  }
}

async function toRecovering(services: AppServices, jobId: string, message: string) {
  try {
    await transitionJob(services, jobId, "RECOVERING", { message, data: { leaseExpiresAt: null }, payload: { reason: "machine_lost" } });
  } catch (error) {
    if (!(error instanceof AppError && error.code === "INVALID_TRANSITION")) throw error;
  }
}

async function actOnEnd(services: AppServices, launch: RunningLaunch, machine: Extract<MachineStatus, { state: "ENDED" }>) {
  if (!(await endLaunch(services, launch, machine.outcome, machine.reason))) return;
  await emit(services, launch.jobId, "machine_ended", `Attempt ${launch.attempt}: ${machine.reason}`, {
    attempt: launch.attempt,
    outcome: machine.outcome,
  });
  const { status } = launch.job;
  if ((machine.outcome === "INTERRUPTED" || machine.outcome === "LOST") && LEASED_STATUSES.includes(status as never)) {
    // No need to wait for the lease: the machine is known to be gone.
    await toRecovering(services, launch.jobId, `${machine.reason}; launching a machine to resume from the last checkpoint`);
  }
  if (machine.outcome === "FAILED" && !FINAL_STATUSES.includes(status as never)) {
    await failJob(services, launch.jobId, machine.noCapacity ? "GPUProvisioningError" : "UnknownError", machine.reason);
  }
}

/** Machines under our label with no live launch on record (launched by an instance that then lost its record): released and logged. */
async function releaseOrphans(services: AppServices, providers: ProviderSource) {
  for (const provider of providers.all()) {
    for (const machine of await provider.listLabelled()) {
      const launch = await services.db.computeLaunch.findUnique({
        where: { jobId_attempt: { jobId: machine.jobId, attempt: machine.attempt } },
      });
      if (launch && launch.state !== "ENDED") continue;
      await provider.cancel(machine.externalId);
      console.warn(
        `compute: released orphan ${provider.name.toLowerCase()} machine ${machine.externalId} (job ${machine.jobId}, attempt ${machine.attempt})`,
      );
      if (launch)
        await emit(
          services,
          machine.jobId,
          "orphan_released",
          `Machine ${machine.externalId} was still running after its attempt ended; released`,
          { attempt: machine.attempt },
        );
    }
  }
}

const ORPHAN_SCAN_EVERY = 10;

/** One pass; `tick` counts passes so that the orphan scan (a provider listing) runs less often. `timings` (ms per phase) is for the benchmark. */
export async function reconcile(services: AppServices, serverProviders: Providers, tick = 0, timings?: Record<string, number>) {
  const phase = async (name: string, run: () => Promise<unknown>) => {
    const started = performance.now();
    await run();
    if (timings) timings[name] = (timings[name] ?? 0) + performance.now() - started;
  };
  let providers!: ProviderSource;
  await phase("credentials", async () => (providers = await providerSource(services, serverProviders)));
  await phase("plan", () => planLaunches(services, providers));
  await phase("start", () => startLaunches(services, providers));
  await phase("poll", () => pollMachines(services, providers));
  if (tick % ORPHAN_SCAN_EVERY === 0) await phase("orphans", () => releaseOrphans(services, providers));
}

/** The reconciler as a background worker: a pass every COMPUTE_TICK_MS, never two at once; stopping waits for the pass (the app then closes the providers). */
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
  };
}
