// Min/max bucket downsampling: a chart at one point per pixel still shows
// every spike, because each bucket keeps its lowest and its highest point
// (LTTB keeps the "most visible" point and can drop a one-step spike).

export type Point = { step: number; value: number };

/** What a bucket of a series holds: how many points, and its extremes. */
export type BucketStats = { count: number; minStep: number; minValue: number; maxStep: number; maxValue: number };

/** The extremes of consecutive buckets taken together. */
export function mergeStats(stats: BucketStats[]): BucketStats | null {
  let merged: BucketStats | null = null;
  for (const s of stats) {
    if (s.count === 0) continue;
    if (!merged) {
      merged = { ...s };
      continue;
    }
    merged.count += s.count;
    if (s.minValue < merged.minValue) Object.assign(merged, { minValue: s.minValue, minStep: s.minStep });
    if (s.maxValue > merged.maxValue) Object.assign(merged, { maxValue: s.maxValue, maxStep: s.maxStep });
  }
  return merged;
}

/**
 * The steps to keep when `stats` (consecutive, in step order) are shown as
 * `buckets` buckets: each bucket's minimum and maximum, plus the first and
 * last step of the range so the line starts and ends where the data does.
 */
export function stepsToKeep(stats: BucketStats[], buckets: number, firstStep: number, lastStep: number): number[] {
  const keep = new Set([firstStep, lastStep]);
  const perBucket = Math.max(1, Math.ceil(stats.length / buckets));
  for (let i = 0; i < stats.length; i += perBucket) {
    const merged = mergeStats(stats.slice(i, i + perBucket));
    if (merged) keep.add(merged.minStep).add(merged.maxStep);
  }
  return [...keep].sort((a, b) => a - b);
}

/** The same selection over points in memory (sorted by step): for ranges short enough to read whole. */
export function downsamplePoints<T extends Point>(points: T[], buckets: number): T[] {
  if (points.length <= 2 * buckets + 2) return points;
  const first = points[0].step;
  const span = points[points.length - 1].step - first + 1;
  const stats: BucketStats[] = Array.from({ length: buckets }, () => ({
    count: 0,
    minStep: 0,
    minValue: Infinity,
    maxStep: 0,
    maxValue: -Infinity,
  }));
  for (const p of points) {
    const s = stats[Math.floor(((p.step - first) * buckets) / span)];
    s.count++;
    if (p.value < s.minValue) Object.assign(s, { minValue: p.value, minStep: p.step });
    if (p.value > s.maxValue) Object.assign(s, { maxValue: p.value, maxStep: p.step });
  }
  const keep = new Set(stepsToKeep(stats, buckets, first, points[points.length - 1].step));
  return points.filter((p) => keep.has(p.step));
}
