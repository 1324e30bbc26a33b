import type { AppServices } from "../context.js";
import type { Preset, PricingTier } from "../generated/sqlite/enums.js";
import type { JobConfig } from "../jobs/config.js";
import type { GpuCatalog } from "./catalog.js";
import { estimateCost } from "./estimate.js";

// The estimator learns from finished jobs: for each preset and GPU, how fast
// training really went compared with the catalog's throughput. Computed from
// the last jobs each time, so there is no state to keep in step.

/** How many recent completed jobs of one preset and GPU the correction learns from. */
const HISTORY = 20;
/** An estimate is "accurate" when the actual cost is within this share of it. */
export const ACCURACY_TOLERANCE = 0.15;
/** The share of jobs we aim to estimate accurately. */
export const ACCURACY_TARGET = 0.9;

export type Calibration = { throughputCorrection: number; calibratedJobs: number };

type FinishedJob = {
  config: unknown;
  gpuType: string;
  pricingTier: PricingTier;
  billableSeconds: number;
  dataset: { tokenCount: number };
};

const finishedJobSelect = {
  config: true,
  gpuType: true,
  pricingTier: true,
  billableSeconds: true,
  dataset: { select: { tokenCount: true } },
} as const;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Measured ÷ catalog throughput of one finished job: the uncorrected estimate's
 * training time over the billed time left once the fixed stages are taken out.
 * Null when the job's times say nothing (unknown GPU, nothing billed past the overheads).
 */
export function observedCorrection(gpus: GpuCatalog, job: FinishedJob): number | null {
  const gpu = gpus.find(job.gpuType);
  if (!gpu) return null;
  const raw = estimateCost({ datasetTokens: job.dataset.tokenCount, config: job.config as JobConfig, gpu, tier: job.pricingTier });
  const training = raw.stages.find((s) => s.stage === "training")!.seconds;
  const actualTraining = job.billableSeconds - (raw.durationSeconds - training);
  if (training <= 0 || actualTraining <= 0) return null;
  return Math.min(10, Math.max(0.1, training / actualTraining));
}

/** The throughput correction for new estimates of a preset on a GPU; the median resists one odd job. */
export async function throughputCalibration(
  { db, gpus }: Pick<AppServices, "db" | "gpus">,
  orgId: string,
  preset: Preset,
  gpuType: string,
): Promise<Calibration> {
  const jobs = await db.trainingJob.findMany({
    where: { orgId, preset, gpuType, status: "COMPLETED", billableSeconds: { gt: 0 } },
    orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
    take: HISTORY,
    select: finishedJobSelect,
  });
  const ratios = jobs.map((job) => observedCorrection(gpus, job)).filter((r): r is number => r !== null);
  if (ratios.length === 0) return { throughputCorrection: 1, calibratedJobs: 0 };
  return { throughputCorrection: median(ratios), calibratedJobs: ratios.length };
}

export type EstimatorAccuracy = {
  completedJobs: number;
  withinTolerance: number;
  /** withinTolerance ÷ completedJobs; null with no completed job. */
  share: number | null;
  tolerance: number;
  target: number;
  meetsTarget: boolean;
  /** Mean of |actual − estimate| ÷ estimate. */
  meanAbsoluteErrorPct: number | null;
  groups: { preset: Preset; gpuType: string; completedJobs: number; withinTolerance: number; throughputCorrection: number }[];
};

/** How often completed jobs cost what they were estimated to, within ±15%. */
export async function estimatorAccuracy(
  services: Pick<AppServices, "db" | "gpus">,
  orgId: string,
  since?: Date | null,
): Promise<EstimatorAccuracy> {
  const { db } = services;
  const jobs = await db.trainingJob.findMany({
    where: { orgId, status: "COMPLETED", estimatedCostUsd: { gt: 0 }, ...(since && { finishedAt: { gte: since } }) },
    select: { preset: true, gpuType: true, estimatedCostUsd: true, actualCostUsd: true },
  });
  const error = (j: (typeof jobs)[number]) => Math.abs(j.actualCostUsd - j.estimatedCostUsd) / j.estimatedCostUsd;
  const within = jobs.filter((j) => error(j) <= ACCURACY_TOLERANCE).length;
  const groupKeys = [...new Set(jobs.map((j) => `${j.preset}|${j.gpuType}`))].sort();
  const groups = await Promise.all(
    groupKeys.map(async (key) => {
      const [preset, gpuType] = key.split("|") as [Preset, string];
      const members = jobs.filter((j) => j.preset === preset && j.gpuType === gpuType);
      const { throughputCorrection } = await throughputCalibration(services, orgId, preset, gpuType);
      return {
        preset,
        gpuType,
        completedJobs: members.length,
        withinTolerance: members.filter((j) => error(j) <= ACCURACY_TOLERANCE).length,
        throughputCorrection,
      };
    }),
  );
  const share = jobs.length ? within / jobs.length : null;
  return {
    completedJobs: jobs.length,
    withinTolerance: within,
    share,
    tolerance: ACCURACY_TOLERANCE,
    target: ACCURACY_TARGET,
    meetsTarget: share !== null && share >= ACCURACY_TARGET,
    meanAbsoluteErrorPct: jobs.length ? (100 * jobs.reduce((sum, j) => sum + error(j), 0)) / jobs.length : null,
    groups,
  };
}
