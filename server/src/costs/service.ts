import type { Db } from "../db/client.js";
import { AppError, notFound } from "../errors.js";
import { resolveJobConfig, type JobConfig, type PresetName } from "../jobs/config.js";
import { DEFAULT_GPU, findGpu, type GpuType } from "./catalog.js";
import { estimateCost, type CostEstimate } from "./estimate.js";
import { throughputCalibration } from "./calibration.js";

export type JobSettings = {
  datasetId: string;
  preset?: PresetName | "CUSTOM" | null;
  overrides?: unknown;
  gpuType?: string | null;
  pricingTier?: "SPOT" | "ON_DEMAND" | null;
};

export type ResolvedSettings = {
  dataset: { id: string; tokenCount: number; status: string; name: string };
  preset: PresetName | "CUSTOM";
  config: JobConfig;
  gpu: GpuType;
  tier: "SPOT" | "ON_DEMAND";
  estimate: CostEstimate;
};

/** Checks a job's settings against the organization's data and estimates its cost. */
export async function resolveSettings(db: Db, orgId: string, settings: JobSettings): Promise<ResolvedSettings> {
  const dataset = await db.dataset.findFirst({ where: { id: settings.datasetId, orgId } });
  if (!dataset) throw notFound("Dataset", "datasetId");
  const preset = settings.preset ?? "BALANCED";
  const config = resolveJobConfig(preset, settings.overrides);
  const gpuId = settings.gpuType ?? DEFAULT_GPU;
  const gpu = findGpu(gpuId);
  if (!gpu) throw new AppError("VALIDATION", `Unknown GPU type ${gpuId}`, "gpuType");
  const tier = settings.pricingTier ?? "SPOT";
  const calibration = await throughputCalibration(db, orgId, preset, gpu.id);
  const estimate = estimateCost({ datasetTokens: dataset.tokenCount, config, gpu, tier, ...calibration });
  return { dataset, preset, config, gpu, tier, estimate };
}
