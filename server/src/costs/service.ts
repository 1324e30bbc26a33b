import type { AppServices } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { resolveJobConfig, type JobConfig, type PresetName } from "../jobs/config.js";
import type { GpuType } from "./catalog.js";
import { estimateCost, type CostEstimate } from "./estimate.js";
import { throughputCalibration } from "./calibration.js";
import { baseModelOf, checkFitsGpu } from "../jobs/baseModels.js";

export type JobSettings = {
  datasetId: string;
  preset?: PresetName | "CUSTOM" | null;
  overrides?: unknown;
  gpuType?: string | null;
  pricingTier?: "SPOT" | "ON_DEMAND" | null;
  onDemandFallback?: boolean | null;
  onDemandAfterPreemptions?: number | null;
};

export type ResolvedSettings = {
  dataset: { id: string; tokenCount: number; status: string; name: string };
  preset: PresetName | "CUSTOM";
  config: JobConfig;
  gpu: GpuType;
  tier: "SPOT" | "ON_DEMAND";
  onDemandFallback: boolean;
  onDemandAfterPreemptions: number | null;
  estimate: CostEstimate;
};

/** Checks a job's settings against the organization's data and estimates its cost. */
export async function resolveSettings(
  services: Pick<AppServices, "db" | "gpus">,
  orgId: string,
  settings: JobSettings,
): Promise<ResolvedSettings> {
  const { db, gpus } = services;
  const dataset = await db.dataset.findFirst({ where: { id: settings.datasetId, orgId } });
  if (!dataset) throw notFound("Dataset", "datasetId");
  const preset = settings.preset ?? "BALANCED";
  const config = resolveJobConfig(preset, settings.overrides);
  const gpuId = settings.gpuType ?? gpus.defaultId;
  const gpu = gpus.find(gpuId);
  if (!gpu) throw new AppError("VALIDATION", `Unknown GPU type ${gpuId}`, "gpuType");
  checkFitsGpu(baseModelOf(config.baseModel, config.baseModelParameters), config, gpu);
  const tier = settings.pricingTier ?? "SPOT";
  const onDemandFallback = settings.onDemandFallback ?? false;
  const onDemandAfterPreemptions = settings.onDemandAfterPreemptions ?? null;
  if (onDemandAfterPreemptions !== null && !onDemandFallback) {
    throw new AppError(
      "VALIDATION",
      "Switching to on-demand after preemptions needs the on-demand fallback allowed",
      "onDemandAfterPreemptions",
    );
  }
  if (
    onDemandAfterPreemptions !== null &&
    (!Number.isInteger(onDemandAfterPreemptions) || onDemandAfterPreemptions < 1 || onDemandAfterPreemptions > 100)
  ) {
    throw new AppError("VALIDATION", "Preemptions before on-demand must be between 1 and 100", "onDemandAfterPreemptions");
  }
  const calibration = await throughputCalibration(services, orgId, preset, gpu.id);
  const estimate = estimateCost({ datasetTokens: dataset.tokenCount, config, gpu, tier, ...calibration });
  return { dataset, preset, config, gpu, tier, onDemandFallback, onDemandAfterPreemptions, estimate };
}
