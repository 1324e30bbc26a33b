import type { Db } from "../db/client.js";
import type { Preset, PricingTier } from "../generated/sqlite/enums.js";
import type { JobConfig } from "../jobs/config.js";
import { findGpu, gpuCatalog, hourlyRate } from "../costs/catalog.js";
import { formatUsd } from "../costs/money.js";

// Why a job failed, in words a user can act on, and the configuration change
// most likely to make the retry succeed.

export const ERROR_TYPES = ["OutOfMemoryError", "DatasetFormatError", "GPUProvisioningError", "TimeoutError", "NetworkError", "UnknownError"] as const;
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
  orgId: string;
  errorType: string | null;
  errorMessage: string | null;
  config: unknown;
  preset: Preset;
  gpuType: string;
  pricingTier: PricingTier;
  datasetId: string;
};

const said = (job: FailedJob) => (job.errorMessage ? ` The trainer said: "${job.errorMessage.slice(0, 300)}".` : "");

function outOfMemory(job: FailedJob, config: JobConfig): FailureGuidance {
  const gpu = findGpu(job.gpuType);
  const memory = gpu ? `the ${gpu.memoryGb} GB of the ${gpu.name}` : "the GPU's memory";
  const changes: ConfigChange[] = [];
  if (config.batchSize > 1) {
    changes.push({ field: "batchSize", from: config.batchSize, to: Math.max(1, Math.floor(config.batchSize / 2)) });
  } else {
    if (config.maxSeqLength > 64) changes.push({ field: "maxSeqLength", from: config.maxSeqLength, to: Math.max(32, config.maxSeqLength / 2) });
    if (job.preset !== "CONSERVATIVE") changes.push({ field: "preset", from: job.preset, to: "CONSERVATIVE" });
  }
  const how =
    config.batchSize > 1
      ? `Halving the batch size to ${changes[0].to} halves the memory the activations take; each example still counts the same.`
      : "The batch is already 1: shorter sequences and the Conservative preset (rank 8) take less memory.";
  return {
    errorType: "OutOfMemoryError",
    explanation: `Training ran out of ${memory} with batch size ${config.batchSize} and sequences of up to ${config.maxSeqLength} tokens. ${how}${said(job)}`,
    suggestedChanges: changes,
  };
}

async function datasetFormat(db: Db, job: FailedJob): Promise<FailureGuidance> {
  const dataset = await db.dataset.findUnique({ where: { id: job.datasetId }, select: { name: true, createdAt: true } });
  // A fixed file uploaded again under the same name is the fix: the retry uses it.
  const fixed = dataset
    ? await db.dataset.findFirst({ where: { orgId: job.orgId, name: dataset.name, status: "VALID", createdAt: { gt: dataset.createdAt }, id: { not: job.datasetId } }, orderBy: { createdAt: "desc" } })
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

function provisioning(job: FailedJob): FailureGuidance {
  const gpu = findGpu(job.gpuType);
  if (job.pricingTier === "SPOT") {
    const rates = gpu ? ` (${formatUsd(hourlyRate(gpu, "ON_DEMAND"))}/h instead of ${formatUsd(hourlyRate(gpu, "SPOT"))}/h)` : "";
    return {
      errorType: "GPUProvisioningError",
      explanation: `No ${gpu?.name ?? job.gpuType} was available on the spot market. Retry in 5 minutes, or switch to on-demand${rates}: it is always available and never interrupted.${said(job)}`,
      suggestedChanges: [{ field: "pricingTier", from: "SPOT", to: "ON_DEMAND" }],
    };
  }
  // Already on-demand: another GPU with as much memory, else the largest other one.
  const others = gpuCatalog.filter((g) => g.id !== job.gpuType).sort((a, b) => b.memoryGb - a.memoryGb);
  const alternative = others.find((g) => g.memoryGb >= (gpu?.memoryGb ?? 0)) ?? others[0];
  return {
    errorType: "GPUProvisioningError",
    explanation: `No ${gpu?.name ?? job.gpuType} was available, even on-demand. Retry in a few minutes${alternative ? `, or train on the ${alternative.name}` : ""}.${said(job)}`,
    suggestedChanges: alternative ? [{ field: "gpuType", from: job.gpuType, to: alternative.id }] : [],
  };
}

function timeout(job: FailedJob, config: JobConfig): FailureGuidance {
  const change: ConfigChange | null =
    config.epochs > 1
      ? { field: "epochs", from: config.epochs, to: config.epochs - 1 }
      : config.batchSize < 64
        ? { field: "batchSize", from: config.batchSize, to: Math.min(64, config.batchSize * 2) }
        : null;
  const how = change?.field === "epochs" ? `${config.epochs - 1} epoch(s) instead of ${config.epochs} cut the training time by ${Math.round(100 / config.epochs)}%.` : "A larger batch makes fewer, faster steps.";
  return {
    errorType: "TimeoutError",
    explanation: `Training ran past its time limit.${said(job)} ${change ? how : "Split the dataset or shorten its conversations."}`,
    suggestedChanges: change ? [change] : [],
  };
}

export async function failureGuidance(db: Db, job: FailedJob): Promise<FailureGuidance> {
  const config = job.config as JobConfig;
  switch (classifyFailure(job.errorType, job.errorMessage)) {
    case "OutOfMemoryError":
      return outOfMemory(job, config);
    case "DatasetFormatError":
      return datasetFormat(db, job);
    case "GPUProvisioningError":
      return provisioning(job);
    case "TimeoutError":
      return timeout(job, config);
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
