import type { Db } from "../db/client.js";
import type { AppServices } from "../context.js";
import type { Preset, PricingTier } from "../generated/sqlite/enums.js";
import { MAX_DURATION_SECONDS, type JobConfig } from "../jobs/config.js";
import { hourlyRate, type GpuCatalog } from "../costs/catalog.js";
import { formatUsd } from "../costs/money.js";
import { formatBytes } from "../../../shared/memoryModel.js";
import { failureFactsOf, type FailureFacts } from "./facts.js";
import { memoryFix } from "./memoryFix.js";

// Why a job failed, in words a user can act on, and the configuration change
// most likely to make the retry succeed.

export const ERROR_TYPES = [
  "OutOfMemoryError",
  "DatasetFormatError",
  "GPUProvisioningError",
  "TimeoutError",
  "NetworkError",
  "UnknownError",
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** A setting of the job and what the retry changes it to. */
export type ConfigChange = { field: string; from: unknown; to: unknown };
export type FailureGuidance = { errorType: ErrorType; explanation: string; suggestedChanges: ConfigChange[] };

// Trainers report one of ERROR_TYPES; older or foreign ones send free text, read here.
const MESSAGE_PATTERNS: [RegExp, ErrorType][] = [
  [/out of memory|\boom\b|cuda error: out|memory exhausted|allocat\w* .*(failed|memory)/i, "OutOfMemoryError"],
  [/dataset|jsonl|line \d+|missing .*field|invalid json|unexpected token|format/i, "DatasetFormatError"],
  [/no .*(gpu|capacity|instance)s? .*available|insufficient capacity|provision/i, "GPUProvisioningError"],
  [/timed? ?out|time limit|deadline exceeded|exceeded .*hour/i, "TimeoutError"],
  [/network|connection (reset|refused|lost|closed)|econnreset|econnrefused|etimedout|socket hang up|unreachable/i, "NetworkError"],
];

export function classifyFailure(errorType: string | null | undefined, message: string | null | undefined): ErrorType {
  if (errorType && (ERROR_TYPES as readonly string[]).includes(errorType) && errorType !== "UnknownError") return errorType as ErrorType;
  const text = `${errorType ?? ""} ${message ?? ""}`;
  return MESSAGE_PATTERNS.find(([pattern]) => pattern.test(text))?.[1] ?? "UnknownError";
}

type FailedJob = {
  id: string;
  orgId: string;
  errorType: string | null;
  errorMessage: string | null;
  config: unknown;
  preset: Preset;
  gpuType: string;
  pricingTier: PricingTier;
  datasetId: string;
};

/** The largest divisor of n that is at most max (0 when max < 1). */
const largestDivisor = (n: number, max: number) => {
  for (let d = max; d >= 1; d--) if (n % d === 0) return d;
  return 0;
};

const said = (job: FailedJob) => (job.errorMessage ? ` The trainer said: "${job.errorMessage.slice(0, 300)}".` : "");

function outOfMemory(job: FailedJob, config: JobConfig, facts: FailureFacts | null, gpus: GpuCatalog): FailureGuidance {
  const memory = facts?.memory;
  const accumulation = config.gradientAccumulationSteps ?? 1;
  if (!facts || !memory) {
    // A trainer that says only "out of memory": no figures to size a fix with, so the first step
    // the memory model would take too, half the micro-batch (or less, to divide it), the same effective batch.
    const micro = largestDivisor(config.batchSize, Math.floor(config.batchSize / 2));
    const steps = (config.batchSize / micro) * accumulation;
    return {
      errorType: "OutOfMemoryError",
      explanation:
        `Training ran out of memory with batch size ${config.batchSize} and sequences of up to ${config.maxSeqLength} tokens.${said(job)} ` +
        (micro
          ? `The trainer did not report how much memory it needed, so this cannot be sized exactly: batch size ${micro} with ${steps} accumulation steps takes at most half the activations and keeps the effective batch.`
          : "The trainer did not report how much memory it needed; try shorter sequences or a lower rank."),
      suggestedChanges: micro
        ? [
            { field: "batchSize", from: config.batchSize, to: micro },
            { field: "gradientAccumulationSteps", from: accumulation, to: steps },
          ]
        : [],
    };
  }
  const had =
    memory.limit === "WORKER_BUDGET"
      ? `${facts.where} allows ${formatBytes(memory.availableBytes)}`
      : `the ${facts.where} has ${formatBytes(memory.availableBytes)}`;
  const fix = memoryFix(config, memory, job.gpuType, gpus);
  const needed =
    memory.requiredBytes > memory.availableBytes
      ? `needed ${formatBytes(memory.requiredBytes)}`
      : `ran out of memory (the estimate was ${formatBytes(memory.requiredBytes)})`;
  return {
    errorType: "OutOfMemoryError",
    explanation:
      `Training with batch size ${config.batchSize}, sequences of up to ${memory.seqLength} tokens and rank ${config.rank} ${needed}, but ${had}. ` +
      (fix?.how ??
        (memory.limit === "WORKER_BUDGET"
          ? "Nothing smaller fits: run it on a worker with a larger memory budget."
          : "Nothing smaller fits, and no GPU in the catalog has enough memory.")) +
      said(job),
    suggestedChanges: fix?.changes ?? [],
  };
}

async function datasetFormat(db: Db, job: FailedJob): Promise<FailureGuidance> {
  const dataset = await db.dataset.findUnique({ where: { id: job.datasetId }, select: { name: true, createdAt: true } });
  // A fixed file uploaded again under the same name is the fix: the retry uses it.
  const fixed = dataset
    ? await db.dataset.findFirst({
        where: { orgId: job.orgId, name: dataset.name, status: "VALID", createdAt: { gt: dataset.createdAt }, id: { not: job.datasetId } },
        orderBy: { createdAt: "desc" },
      })
    : null;
  return {
    errorType: "DatasetFormatError",
    explanation:
      `The trainer could not read the dataset${dataset ? ` "${dataset.name}"` : ""}.${said(job)} ` +
      (fixed
        ? `A newer upload of "${fixed.name}" passed validation; the retry trains on it.`
        : "Fix the conversation it names (each needs user and assistant turns with text) and upload the file again; the retry can then use the new upload."),
    suggestedChanges: fixed ? [{ field: "datasetId", from: job.datasetId, to: fixed.id }] : [],
  };
}

function provisioning(job: FailedJob, gpus: GpuCatalog): FailureGuidance {
  const gpu = gpus.find(job.gpuType);
  if (job.pricingTier === "SPOT") {
    const rates = gpu ? ` (${formatUsd(hourlyRate(gpu, "ON_DEMAND"))}/h instead of ${formatUsd(hourlyRate(gpu, "SPOT"))}/h)` : "";
    return {
      errorType: "GPUProvisioningError",
      explanation: `No ${gpu?.name ?? job.gpuType} was available on the spot market. Retry in 5 minutes, or switch to on-demand${rates}: it is always available and never interrupted.${said(job)}`,
      suggestedChanges: [{ field: "pricingTier", from: "SPOT", to: "ON_DEMAND" }],
    };
  }
  // Already on-demand: another GPU with as much memory, else the largest other one.
  const others = gpus.all.filter((g) => g.id !== job.gpuType).sort((a, b) => b.memoryGb - a.memoryGb);
  const alternative = others.find((g) => g.memoryGb >= (gpu?.memoryGb ?? 0)) ?? others[0];
  return {
    errorType: "GPUProvisioningError",
    explanation: `No ${gpu?.name ?? job.gpuType} was available, even on-demand. Retry in a few minutes${alternative ? `, or train on the ${alternative.name}` : ""}.${said(job)}`,
    suggestedChanges: alternative ? [{ field: "gpuType", from: job.gpuType, to: alternative.id }] : [],
  };
}

function timeout(job: FailedJob, config: JobConfig, facts: FailureFacts | null): FailureGuidance {
  const time = facts?.time;
  if (!time) {
    // No step time reported: one epoch fewer is the smallest cut, but cannot be sized.
    const change = config.epochs > 1 ? { field: "epochs", from: config.epochs, to: config.epochs - 1 } : null;
    return {
      errorType: "TimeoutError",
      explanation: `Training ran past its time limit.${said(job)} ${change ? `${config.epochs - 1} epoch(s) instead of ${config.epochs} cut the training time by ${Math.round(100 / config.epochs)}%.` : "Split the dataset, shorten its conversations or allow more time."}`,
      suggestedChanges: change ? [change] : [],
    };
  }
  const fix = timeFix(config, time);
  const measured = `Training was stopped at its limit of ${formatSeconds(time.limitSeconds)} after ${time.stepsDone} of ${time.totalSteps} steps at ${time.secondsPerStep.toFixed(2)} s a step (${formatSeconds(time.overheadSeconds)} to start); all of it needs about ${formatSeconds(fix.fullSeconds)}.`;
  return { errorType: "TimeoutError", explanation: `${measured} ${fix.how}${said(job)}`, suggestedChanges: fix.changes };
}

/** Leaves room for the step time to vary a little between runs. */
const TIME_MARGIN = 0.9;

function timeFix(
  config: JobConfig,
  time: NonNullable<FailureFacts["time"]>,
): { changes: ConfigChange[]; how: string; fullSeconds: number } {
  const stepsPerEpoch = time.totalSteps / config.epochs;
  const seconds = (epochs: number) => time.overheadSeconds + epochs * stepsPerEpoch * time.secondsPerStep;
  const fullSeconds = seconds(config.epochs);
  const budget = time.limitSeconds * TIME_MARGIN;
  for (let epochs = config.epochs - 1; epochs >= 1; epochs--) {
    if (seconds(epochs) <= budget) {
      return {
        fullSeconds,
        changes: [{ field: "epochs", from: config.epochs, to: epochs }],
        how: `${epochs} epoch(s) instead of ${config.epochs} take about ${formatSeconds(seconds(epochs))}, inside the limit.`,
      };
    }
  }
  // Not even one epoch fits: more time, where the job's own limit was the one that stopped it.
  const wanted = Math.ceil(fullSeconds / TIME_MARGIN / 60) * 60;
  if (config.maxDurationSeconds <= time.limitSeconds && wanted <= MAX_DURATION_SECONDS) {
    return {
      fullSeconds,
      changes: [{ field: "maxDurationSeconds", from: config.maxDurationSeconds, to: wanted }],
      how: `Not even one epoch fits; a limit of ${formatSeconds(wanted)} lets the run finish.`,
    };
  }
  return {
    fullSeconds,
    changes: [],
    how: "Not even one epoch fits the worker's limit: split the dataset, shorten its conversations, or run it on a worker that allows more time.",
  };
}

function formatSeconds(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 120 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

export async function failureGuidance({ db, gpus }: Pick<AppServices, "db" | "gpus">, job: FailedJob): Promise<FailureGuidance> {
  const config = job.config as JobConfig;
  const errorType = classifyFailure(job.errorType, job.errorMessage);
  const facts = errorType === "OutOfMemoryError" || errorType === "TimeoutError" ? await failureFactsOf(db, job.id) : null;
  switch (errorType) {
    case "OutOfMemoryError":
      return outOfMemory(job, config, facts, gpus);
    case "DatasetFormatError":
      return datasetFormat(db, job);
    case "GPUProvisioningError":
      return provisioning(job, gpus);
    case "TimeoutError":
      return timeout(job, config, facts);
    case "NetworkError":
      return {
        errorType: "NetworkError",
        explanation: `The connection to the GPU instance was lost.${said(job)} Nothing in the configuration caused it: retry as it is.`,
        suggestedChanges: [],
      };
    default:
      return {
        errorType: "UnknownError",
        explanation: `The job failed for a reason Tuneloop does not recognise.${said(job)} Look at the event log for the last steps; retry as it is, or with the Conservative preset if it failed while training.`,
        suggestedChanges: [],
      };
  }
}
