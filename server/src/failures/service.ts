import type { Db } from "../db/client.js";
import { classifyFailure, type ErrorType } from "./guidance.js";

type Count = { key: string; count: number };
export type Combination = { errorType: ErrorType; preset: string; gpuType: string; count: number; lastSeenAt: Date | null };
export type CommonFailures = {
  totalFailed: number;
  byErrorType: Count[];
  byPreset: Count[];
  byGpuType: Count[];
  combinations: Combination[];
};

const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;

function countBy(keys: string[]): Count[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => byCount(a, b) || a.key.localeCompare(b.key));
}

/** How the organization's jobs fail, per error type, preset and GPU: where presets and docs need work. */
export async function commonFailures(db: Db, orgId: string, since?: Date | null): Promise<CommonFailures> {
  const jobs = await db.trainingJob.findMany({
    where: { orgId, status: "FAILED", ...(since && { finishedAt: { gte: since } }) },
    select: { errorType: true, errorMessage: true, preset: true, gpuType: true, finishedAt: true },
  });
  const failures = jobs.map((j) => ({ ...j, errorType: classifyFailure(j.errorType, j.errorMessage) }));
  const combinations = new Map<string, Combination>();
  for (const f of failures) {
    const key = `${f.errorType}|${f.preset}|${f.gpuType}`;
    const entry = combinations.get(key) ?? { errorType: f.errorType, preset: f.preset, gpuType: f.gpuType, count: 0, lastSeenAt: null };
    entry.count += 1;
    if (f.finishedAt && (!entry.lastSeenAt || f.finishedAt > entry.lastSeenAt)) entry.lastSeenAt = f.finishedAt;
    combinations.set(key, entry);
  }
  return {
    totalFailed: failures.length,
    byErrorType: countBy(failures.map((f) => f.errorType)),
    byPreset: countBy(failures.map((f) => f.preset)),
    byGpuType: countBy(failures.map((f) => f.gpuType)),
    combinations: [...combinations.values()].sort(byCount),
  };
}
