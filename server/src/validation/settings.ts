import type { Db } from "../db/client.js";
import { AppError } from "../errors.js";

/** An organization's pass marks and deployment gates; defaults until an owner changes them. */
export async function qualitySettings(db: Db, orgId: string) {
  return (
    (await db.qualitySettings.findUnique({ where: { orgId } })) ??
    (await db.qualitySettings.upsert({ where: { orgId }, create: { orgId }, update: {} }))
  );
}

export type QualitySettingsInput = Partial<{
  perplexityPassMarkPct: number | null;
  retentionAlertPct: number | null;
  gateMinPerplexityImprovementPct: number | null;
  gateMinRetentionPct: number | null;
  gateMinReviewImprovementPct: number | null;
  gateMinBrandVoicePct: number | null;
  gateRequireApproval: boolean | null;
  reviewMaxNewTokens: number | null;
}>;

const PERCENT_FIELDS = [
  "perplexityPassMarkPct",
  "retentionAlertPct",
  "gateMinPerplexityImprovementPct",
  "gateMinRetentionPct",
  "gateMinReviewImprovementPct",
  "gateMinBrandVoicePct",
] as const;

export async function updateQualitySettings(db: Db, orgId: string, input: QualitySettingsInput) {
  for (const field of PERCENT_FIELDS) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    if (!Number.isFinite(value) || value < -100 || value > 1000)
      throw new AppError("VALIDATION", `${field} must be a percentage between -100 and 1000`, field);
  }
  if (input.perplexityPassMarkPct === null || input.retentionAlertPct === null) {
    throw new AppError(
      "VALIDATION",
      "The pass mark and the retention alert level cannot be empty",
      input.perplexityPassMarkPct === null ? "perplexityPassMarkPct" : "retentionAlertPct",
    );
  }
  if (input.gateRequireApproval === null)
    throw new AppError("VALIDATION", "gateRequireApproval must be true or false", "gateRequireApproval");
  const tokens = input.reviewMaxNewTokens;
  if (tokens !== undefined && (tokens === null || !Number.isInteger(tokens) || tokens < 1 || tokens > 256)) {
    throw new AppError("VALIDATION", "reviewMaxNewTokens must be a whole number from 1 to 256", "reviewMaxNewTokens");
  }
  const data = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  return db.qualitySettings.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
}
