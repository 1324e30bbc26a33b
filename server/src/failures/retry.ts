import { z } from "zod";
import type { AppServices } from "../context.js";
import type { Preset, PricingTier } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { failureGuidance, type ConfigChange } from "./guidance.js";
import { setFieldsOf } from "../jobs/config.js";

// A retry starts from the failed job's settings, applies the suggested fix
// (unless asked not to), then the user's own overrides, which win.

/** Settings of a job that are not hyperparameters: they are columns of the job, not keys of its config. */
const settingsSchema = z
  .object({
    preset: z.enum(["CONSERVATIVE", "BALANCED", "AGGRESSIVE", "CUSTOM"]),
    gpuType: z.string().min(1),
    pricingTier: z.enum(["SPOT", "ON_DEMAND"]),
    datasetId: z.string().min(1),
  })
  .partial();
type Settings = { preset: Preset; gpuType: string; pricingTier: PricingTier; datasetId: string };
const SETTING_FIELDS = Object.keys(settingsSchema.shape) as (keyof Settings)[];
/** The hyperparameters a preset decides: a new preset brings its own unless they are set explicitly. */
const PRESET_FIELDS = ["rank", "alpha", "learningRate", "epochs"];

type RetriedJob = Settings & {
  id: string;
  orgId: string;
  config: unknown;
  status: string;
  errorType: string | null;
  errorMessage: string | null;
};

export async function planRetry(
  services: Pick<AppServices, "db" | "gpus">,
  failed: RetriedJob,
  overrides: object | null | undefined,
  applySuggestedFix: boolean,
) {
  const suggested = applySuggestedFix && failed.status === "FAILED" ? (await failureGuidance(services, failed)).suggestedChanges : [];
  const wanted: Record<string, unknown> = { ...Object.fromEntries(suggested.map((c) => [c.field, c.to])), ...setFieldsOf(overrides) };
  const parsed = settingsSchema.safeParse(Object.fromEntries(SETTING_FIELDS.filter((f) => f in wanted).map((f) => [f, wanted[f]])));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("VALIDATION", `overrides.${issue.path.join(".")}: ${issue.message}`, `overrides.${issue.path.join(".")}`);
  }
  const settings: Settings = {
    preset: failed.preset,
    gpuType: failed.gpuType,
    pricingTier: failed.pricingTier,
    datasetId: failed.datasetId,
    ...parsed.data,
  };
  const config: Record<string, unknown> = { ...(failed.config as Record<string, unknown>) };
  for (const [key, value] of Object.entries(wanted)) if (!SETTING_FIELDS.includes(key as keyof Settings)) config[key] = value;
  if (settings.preset !== failed.preset && settings.preset !== "CUSTOM") {
    for (const key of PRESET_FIELDS) if (!(key in wanted)) delete config[key];
  }
  return { ...settings, overrides: config };
}

type ComparableJob = Settings & { config: unknown };

/** What differs between a job and the one it retried: settings first, then hyperparameters. */
export function retryDiff(original: ComparableJob, retry: ComparableJob): ConfigChange[] {
  const changes: ConfigChange[] = [];
  for (const field of SETTING_FIELDS)
    if (original[field] !== retry[field]) changes.push({ field, from: original[field], to: retry[field] });
  const before = original.config as Record<string, unknown>;
  const after = retry.config as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      changes.push({ field: key, from: before[key] ?? null, to: after[key] ?? null });
  }
  return changes;
}
