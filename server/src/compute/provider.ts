import type { ComputeLaunchOutcome, ComputeProviderName, PricingTier } from "../generated/sqlite/enums.js";

// The one interface the reconciler knows. A provider starts a machine that runs
// a worker for one job (`--job-id`), reports how that machine is doing and
// releases it. Every call may be repeated: launch is idempotent on the key
// `jobId:attempt`, cancel on the external id.

/** What the worker on the machine needs: which job, which server, and a token that can claim only that job. */
export type LaunchRequest = {
  jobId: string;
  attempt: number;
  gpuType: string;
  tier: PricingTier;
  /** A spot launch may take on-demand capacity when spot has none (the job allows it). */
  onDemandFallback: boolean;
  /** typescript or python (the job's config.backend). */
  backend: string;
  serverUrl: string;
  workerToken: string;
};

export type Quote = {
  provider: ComputeProviderName;
  region: string;
  instanceType: string;
  tier: PricingTier;
  pricePerHourUsd: number;
  simulated: boolean;
};

export type Launched = { externalId: string; region: string; instanceType: string };

/** The machine's state as the provider sees it. */
export type MachineStatus =
  /** RECOVERING: preempted, and a provider that recovers by itself is bringing the machine back (the lease still guards the job). */
  | { state: "PENDING" | "RUNNING" | "RECOVERING" }
  /** `noCapacity`: the provider found no machine for this GPU and tier anywhere it may look (the job fails with GPUProvisioningError). */
  | { state: "ENDED"; outcome: Exclude<ComputeLaunchOutcome, "CANCELLED">; reason: string; noCapacity?: boolean };

/** A machine the provider runs under our label, to find orphans (launched, but not on record). */
export type LabelledMachine = { externalId: string; jobId: string; attempt: number };

export type Capabilities = {
  /** Can run on spot capacity. */
  spot: boolean;
  /** Restarts a preempted machine by itself, with the launch's token (the reconciler then waits rather than launching again). */
  recoversItself: boolean;
  /** How a preemption is learned: a notice before it happens, or only afterwards. */
  preemptionNotice: "signal" | "none";
};

export interface ComputeProvider {
  readonly name: ComputeProviderName;
  readonly capabilities: Capabilities;
  /** Where and at what price a job would run; throws a typed error for a GPU or tier it cannot offer. */
  quote(gpuType: string, tier: PricingTier): Quote;
  launch(request: LaunchRequest): Promise<Launched>;
  poll(externalId: string): Promise<MachineStatus>;
  /** Releases the machine; a machine already gone is not an error. */
  cancel(externalId: string): Promise<void>;
  listLabelled(): Promise<LabelledMachine[]>;
  logs?(externalId: string): Promise<string>;
  /** Stops what this server instance started itself (app shutdown). */
  close?(): Promise<void>;
}

/** No machine for this GPU and tier anywhere the provider may look: the job fails with GPUProvisioningError (and its retry advice). */
export class NoCapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoCapacityError";
  }
}

/** The provider's API cannot be reached or refuses for now (down, rate-limited): try again later, nothing is lost. */
export class ComputeUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "ComputeUnavailableError";
  }
}

/** The worker's exit codes (trainer/src/worker/exitCodes.ts): done, recover me, do not retry. */
export const WORKER_EXIT = { done: 0, recover: 75, doNotRetry: 78 } as const;

/** What a machine's end means for the job, from the worker's exit code (null when it was killed by a signal). */
export function outcomeOfExit(code: number | null, signal: string | null): Extract<MachineStatus, { state: "ENDED" }> {
  if (code === WORKER_EXIT.done) return { state: "ENDED", outcome: "SUCCEEDED", reason: "The worker finished" };
  if (code === WORKER_EXIT.doNotRetry)
    return { state: "ENDED", outcome: "FAILED", reason: "The worker stopped and asked not to be retried" };
  if (code === WORKER_EXIT.recover)
    return { state: "ENDED", outcome: "INTERRUPTED", reason: "The worker was interrupted and asked to be resumed" };
  return {
    state: "ENDED",
    outcome: "INTERRUPTED",
    reason: signal ? `The worker was killed (${signal})` : `The worker exited with code ${code}`,
  };
}
