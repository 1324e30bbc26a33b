import { readFileSync } from "node:fs";
import { z } from "zod";

// The GPUs a job can run on, their prices per tier and the figures the
// estimator needs. GPU_CATALOG_FILE replaces the whole table (same JSON shape);
// each app reads it once at start (AppServices.gpus).
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

/** The GPUs one server offers; the first is the default for a job that names none. */
export class GpuCatalog {
  constructor(readonly all: GpuType[]) {}

  get defaultId(): string {
    return this.all[0].id;
  }

  find(id: string): GpuType | undefined {
    return this.all.find((g) => g.id === id);
  }
}

/** The table in `file` (GPU_CATALOG_FILE), or the default one. */
export function loadGpuCatalog(file?: string): GpuCatalog {
  if (!file) return new GpuCatalog(DEFAULT_CATALOG);
  return new GpuCatalog(
    z
      .array(gpuSchema)
      .min(1)
      .parse(JSON.parse(readFileSync(file, "utf8"))),
  );
}

export function hourlyRate(gpu: GpuType, tier: "SPOT" | "ON_DEMAND"): number {
  return tier === "SPOT" ? gpu.spotUsdPerHour : gpu.onDemandUsdPerHour;
}
