import type { JobConfig } from "../jobs/config.js";
import { type GpuType, hourlyRate } from "./catalog.js";
import { baseModelOf } from "../jobs/baseModels.js";

const REFERENCE_PARAMETERS = 8.1e9;

export type CostEstimate = {
  trainingTokens: number;
  durationSeconds: number;
  durationLowSeconds: number;
  durationHighSeconds: number;
  costUsd: number;
  costLowUsd: number;
  costHighUsd: number;
  hourlyRateUsd: number;
  /** How far the range reaches each side of the estimate, e.g. 0.2 for ±20%. */
  uncertainty: number;
  confidence: "LOW" | "MEDIUM" | "HIGH";
  /** Measured ÷ catalog throughput learned from finished jobs (1 without history). */
  throughputCorrection: number;
  /** How many finished jobs of this preset and GPU the correction comes from. */
  calibratedJobs: number;
  stages: { stage: string; seconds: number }[];
};

/** What billable time costs at an hourly rate, to a hundredth of a cent. */
export function costForSeconds(seconds: number, hourlyRateUsd: number): number {
  return Math.round((seconds / 3600) * hourlyRateUsd * 10000) / 10000;
}

/** The held-out share of conversations never trained on. */
export const VALIDATION_SHARE = 0.2;

/**
 * Duration = stage overheads + training time (dataset tokens × epochs ÷ throughput);
 * cost = billable time × hourly rate. `throughputCorrection` is actual/estimated
 * speed learned from finished jobs (1 until there is history).
 */
export function estimateCost(input: {
  datasetTokens: number;
  config: JobConfig;
  gpu: GpuType;
  tier: "SPOT" | "ON_DEMAND";
  throughputCorrection?: number;
  calibratedJobs?: number;
}): CostEstimate {
  const { datasetTokens, config, gpu, tier } = input;
  const correction = input.throughputCorrection ?? 1;
  // Higher rank costs a little more per token; the rest of a LoRA step is the frozen base.
  const rankSlowdown = 1 + config.rank / 256;
  // The catalog's throughput is for models up to 8B parameters; a larger base is proportionally slower.
  const sizeSlowdown = Math.max(1, baseModelOf(config.baseModel, config.baseModelParameters).parameters / REFERENCE_PARAMETERS);
  const tokensPerSecond = (gpu.tokensPerSecond * correction) / rankSlowdown / sizeSlowdown;
  const trainingTokens = Math.round(datasetTokens * (1 - VALIDATION_SHARE) * config.epochs);
  const trainingSeconds = trainingTokens / tokensPerSecond;
  const evaluationSeconds = (datasetTokens * VALIDATION_SHARE * config.epochs) / (tokensPerSecond * 3);

  const stages = [
    { stage: "provisioning", seconds: gpu.provisioningSeconds },
    { stage: "preprocessing", seconds: 2 + datasetTokens / 200_000 },
    { stage: "model_loading", seconds: gpu.modelLoadingSeconds },
    { stage: "training", seconds: trainingSeconds + evaluationSeconds },
    { stage: "finalization", seconds: 3 },
  ];
  let durationSeconds = stages.reduce((sum, s) => sum + s.seconds, 0);
  if (tier === "SPOT") {
    // Expected time lost to interruptions: each one costs a re-provision and a
    // model reload, plus on average half a checkpoint interval of recomputation.
    const expectedInterruptions = (durationSeconds / 3600) * gpu.spotInterruptionsPerHour;
    durationSeconds += expectedInterruptions * (gpu.provisioningSeconds + gpu.modelLoadingSeconds + 30);
  }

  const calibrated = input.calibratedJobs ?? 0;
  const confidence = calibrated >= 10 ? "HIGH" : calibrated >= 3 ? "MEDIUM" : "LOW";
  const uncertainty = confidence === "HIGH" ? 0.1 : confidence === "MEDIUM" ? 0.15 : 0.25;
  const rate = hourlyRate(gpu, tier);
  const cost = (seconds: number) => costForSeconds(seconds, rate);
  return {
    trainingTokens,
    durationSeconds,
    durationLowSeconds: durationSeconds * (1 - uncertainty),
    durationHighSeconds: durationSeconds * (1 + uncertainty),
    costUsd: cost(durationSeconds),
    costLowUsd: cost(durationSeconds * (1 - uncertainty)),
    costHighUsd: cost(durationSeconds * (1 + uncertainty)),
    hourlyRateUsd: rate,
    uncertainty,
    confidence,
    throughputCorrection: correction,
    calibratedJobs: calibrated,
    stages,
  };
}
