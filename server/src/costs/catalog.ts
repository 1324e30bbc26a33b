import { readFileSync } from "node:fs";
import { z } from "zod";

// The GPUs a job can run on, their prices per tier and the figures the
// estimator needs. Override the whole table with GPU_CATALOG_FILE (same JSON shape).
const gpuSchema = z.object({
  id: z.string(),
  name: z.string(),
  memoryGb: z.number().positive(),
  spotUsdPerHour: z.number().nonnegative(),
  onDemandUsdPerHour: z.number().nonnegative(),
  /** Chance per hour that a spot instance is taken back. */
  spotInterruptionsPerHour: z.number().min(0).max(1),
  /** Training throughput for the base model at rank 16, before calibration. */
  tokensPerSecond: z.number().positive(),
  provisioningSeconds: z.number().nonnegative(),
  modelLoadingSeconds: z.number().nonnegative(),
});
export type GpuType = z.infer<typeof gpuSchema>;

const DEFAULT_CATALOG: GpuType[] = [
  {
    id: "H100_PCIE_80GB",
    name: "NVIDIA H100 PCIe 80GB",
    memoryGb: 80,
    spotUsdPerHour: 2.49,
    onDemandUsdPerHour: 7.99,
    spotInterruptionsPerHour: 0.05,
    tokensPerSecond: 2400,
    provisioningSeconds: 20,
    modelLoadingSeconds: 8,
  },
  {
    id: "A100_SXM_80GB",
    name: "NVIDIA A100 SXM 80GB",
    memoryGb: 80,
    spotUsdPerHour: 1.39,
    onDemandUsdPerHour: 4.09,
    spotInterruptionsPerHour: 0.08,
    tokensPerSecond: 1500,
    provisioningSeconds: 25,
    modelLoadingSeconds: 10,
  },
  {
    id: "L40S_48GB",
    name: "NVIDIA L40S 48GB",
    memoryGb: 48,
    spotUsdPerHour: 0.79,
    onDemandUsdPerHour: 1.99,
    spotInterruptionsPerHour: 0.1,
    tokensPerSecond: 900,
    provisioningSeconds: 30,
    modelLoadingSeconds: 12,
  },
];

export function loadGpuCatalog(file = process.env.GPU_CATALOG_FILE): GpuType[] {
  if (!file) return DEFAULT_CATALOG;
  return z
    .array(gpuSchema)
    .min(1)
    .parse(JSON.parse(readFileSync(file, "utf8")));
}

export const gpuCatalog = loadGpuCatalog();
export const DEFAULT_GPU = gpuCatalog[0].id;

export function findGpu(id: string): GpuType | undefined {
  return gpuCatalog.find((g) => g.id === id);
}

export function hourlyRate(gpu: GpuType, tier: "SPOT" | "ON_DEMAND"): number {
  return tier === "SPOT" ? gpu.spotUsdPerHour : gpu.onDemandUsdPerHour;
}
