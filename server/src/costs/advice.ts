// Cost advice from an organization's own history: what its finished and failed
// jobs say about batch sizes that run out of memory, what spot capacity saved,
// and which preset bought the most quality per dollar on datasets of a size.
import type { AppServices } from "../context.js";
import type { Preset } from "../generated/sqlite/enums.js";
import type { JobConfig } from "../jobs/config.js";
import { monthOf, monthRange } from "../budgets/month.js";
import { billableSecondsAt, currentCostUsd, JOB_MONEY_SELECT } from "./live.js";
import { formatUsd } from "./money.js";

export type CostAdvice =
  | {
      kind: "OUT_OF_MEMORY";
      message: string;
      gpuType: string;
      batchSize: number;
      suggestedBatchSize: number;
      failedJobs: number;
      jobs: number;
    }
  | { kind: "SPOT_SAVINGS"; message: string; savingsUsd: number; interruptions: number; jobs: number }
  | { kind: "PRESET_VALUE"; message: string; preset: Preset; datasetSize: string; improvementPct: number; costUsd: number; jobs: number };

/** Dataset sizes compared with each other, in conversations. */
const SIZE_BUCKETS = [
  { label: "under 100 conversations", max: 100 },
  { label: "100–499 conversations", max: 500 },
  { label: "500–1,999 conversations", max: 2000 },
  { label: "2,000 conversations or more", max: Infinity },
];
const bucketOf = (conversations: number) => SIZE_BUCKETS.find((b) => conversations < b.max)!;
const PRESET_NAMES: Record<Preset, string> = {
  CONSERVATIVE: "Conservative",
  BALANCED: "Balanced",
  AGGRESSIVE: "Aggressive",
  CUSTOM: "Custom settings",
};
/** Enough failures to call it a pattern, not bad luck. */
const OOM_MIN_FAILURES = 2;
/** The most recent jobs read. */
const WINDOW = 2000;

export async function costAdvice(
  { db, gpus }: Pick<AppServices, "db" | "gpus">,
  orgId: string,
  options: { datasetId?: string | null; now?: Date } = {},
): Promise<CostAdvice[]> {
  const now = options.now ?? new Date();
  const jobs = await db.trainingJob.findMany({
    where: { orgId, status: { in: ["COMPLETED", "FAILED"] } },
    orderBy: { createdAt: "desc" },
    take: WINDOW,
    select: {
      ...JOB_MONEY_SELECT,
      id: true,
      gpuType: true,
      pricingTier: true,
      preset: true,
      config: true,
      errorType: true,
      recoveryCount: true,
      queuedAt: true,
      dataset: { select: { conversationCount: true } },
    },
  });
  const advice: CostAdvice[] = [];

  // Batch sizes that ran out of memory on a GPU, and the size that worked there.
  const groups = new Map<string, typeof jobs>();
  for (const j of jobs) {
    const key = `${j.gpuType}|${(j.config as JobConfig).batchSize}`;
    groups.set(key, [...(groups.get(key) ?? []), j]);
  }
  for (const [key, group] of groups) {
    const [gpuType, batch] = [key.split("|")[0], Number(key.split("|")[1])];
    const failed = group.filter((j) => j.errorType === "OutOfMemoryError").length;
    if (failed < OOM_MIN_FAILURES || failed * 2 < group.length) continue;
    const worked = jobs
      .filter((j) => j.gpuType === gpuType && j.status === "COMPLETED" && (j.config as JobConfig).batchSize < batch)
      .map((j) => (j.config as JobConfig).batchSize);
    const suggested = worked.length ? Math.max(...worked) : Math.max(1, Math.floor(batch / 2));
    const gpu = gpus.find(gpuType)?.name ?? gpuType;
    advice.push({
      kind: "OUT_OF_MEMORY",
      message: `On ${gpu}, batch ${batch} ran out of memory in ${failed} of ${group.length} jobs: use batch ${suggested}${worked.length ? " (it completed there)" : ""}.`,
      gpuType,
      batchSize: batch,
      suggestedBatchSize: suggested,
      failedJobs: failed,
      jobs: group.length,
    });
  }

  // What this month's spot jobs saved against the on-demand price of the same GPU hours.
  const { start, end } = monthRange(monthOf(now));
  const spot = jobs.filter((j) => j.pricingTier === "SPOT" && j.queuedAt && j.queuedAt >= start && j.queuedAt < end);
  if (spot.length) {
    const savingsUsd = spot.reduce(
      (sum, j) =>
        sum +
        (billableSecondsAt(j, now) / 3600) * Math.max(0, (gpus.find(j.gpuType)?.onDemandUsdPerHour ?? j.hourlyRateUsd) - j.hourlyRateUsd),
      0,
    );
    const interruptions = spot.reduce((sum, j) => sum + j.recoveryCount, 0);
    advice.push({
      kind: "SPOT_SAVINGS",
      message: `Spot saved ${formatUsd(savingsUsd)} this month against on-demand prices, over ${spot.length} job${spot.length > 1 ? "s" : ""} with ${interruptions} interruption${interruptions === 1 ? "" : "s"}.`,
      savingsUsd,
      interruptions,
      jobs: spot.length,
    });
  }

  // Quality per dollar by preset: perplexity improvement of each job's latest finished validation, per dollar of training.
  const wantedSize = options.datasetId
    ? (await db.dataset.findFirst({ where: { id: options.datasetId, orgId }, select: { conversationCount: true } }))?.conversationCount
    : undefined;
  const validated = jobs.filter((j) => j.status === "COMPLETED");
  const runs = await db.validationRun.findMany({
    where: { jobId: { in: validated.map((j) => j.id) }, status: "COMPLETED", perplexityImprovementPct: { not: null } },
    orderBy: { createdAt: "desc" },
    select: { jobId: true, perplexityImprovementPct: true },
  });
  const improvement = new Map<string, number>();
  for (const r of runs) if (!improvement.has(r.jobId)) improvement.set(r.jobId, r.perplexityImprovementPct!);
  const buckets = wantedSize !== undefined ? [bucketOf(wantedSize)] : SIZE_BUCKETS;
  for (const bucket of buckets) {
    const byPreset = new Map<Preset, { improvement: number; cost: number; jobs: number }>();
    for (const j of validated) {
      if (!improvement.has(j.id) || bucketOf(j.dataset.conversationCount) !== bucket) continue;
      const line = byPreset.get(j.preset) ?? { improvement: 0, cost: 0, jobs: 0 };
      byPreset.set(j.preset, {
        improvement: line.improvement + improvement.get(j.id)!,
        cost: line.cost + currentCostUsd(j, now),
        jobs: line.jobs + 1,
      });
    }
    // A comparison needs two presets, each with a measured gain.
    const lines = [...byPreset]
      .map(([preset, l]) => ({ preset, improvementPct: l.improvement / l.jobs, costUsd: l.cost / l.jobs, jobs: l.jobs }))
      .filter((l) => l.improvementPct > 0 && l.costUsd > 0);
    if (lines.length < 2) continue;
    lines.sort((a, b) => b.improvementPct / b.costUsd - a.improvementPct / a.costUsd);
    const [best, next] = lines;
    const size = wantedSize !== undefined ? `datasets of this size (${bucket.label})` : `datasets of ${bucket.label}`;
    advice.push({
      kind: "PRESET_VALUE",
      message: `${PRESET_NAMES[best.preset]} gave the best quality per dollar on ${size}: ${best.improvementPct.toFixed(0)}% perplexity improvement for ${formatUsd(best.costUsd)} a job on average, against ${PRESET_NAMES[next.preset]}'s ${next.improvementPct.toFixed(0)}% for ${formatUsd(next.costUsd)}.`,
      preset: best.preset,
      datasetSize: bucket.label,
      improvementPct: best.improvementPct,
      costUsd: best.costUsd,
      jobs: best.jobs,
    });
  }
  return advice;
}
