import { describe, expect, it } from "vitest";
import { downsamplePoints, mergeStats, stepsToKeep, type BucketStats } from "./downsample.js";

const noisy = (n: number) => Array.from({ length: n }, (_, step) => ({ step, value: Math.sin(step / 50) + ((step * 7919) % 13) / 100 }));

describe("min/max bucket downsampling", () => {
  it("keeps both ends and every spike, within the point budget", () => {
    const points = noisy(100_000);
    const spikes = [777, 31_415, 64_000, 99_001];
    points[spikes[0]].value = 50;
    points[spikes[1]].value = -50;
    points[spikes[2]].value = 49;
    points[spikes[3]].value = -49;
    const kept = downsamplePoints(points, 499);
    expect(kept.length).toBeLessThanOrEqual(1000);
    expect(kept.length).toBeGreaterThan(900);
    expect(kept[0]).toBe(points[0]);
    expect(kept[kept.length - 1]).toBe(points[points.length - 1]);
    for (const step of spikes) expect(kept.map((p) => p.step)).toContain(step);
    // In step order, and each point is a real one.
    kept.forEach((p, i) => {
      expect(p).toBe(points[p.step]);
      if (i) expect(p.step).toBeGreaterThan(kept[i - 1].step);
    });
  });

  it("keeps each bucket's minimum and maximum", () => {
    const points = noisy(10_000);
    const kept = new Set(downsamplePoints(points, 100).map((p) => p.step));
    for (let b = 0; b < 100; b++) {
      const bucket = points.slice(b * 100, (b + 1) * 100);
      const min = bucket.reduce((a, p) => (p.value < a.value ? p : a));
      const max = bucket.reduce((a, p) => (p.value > a.value ? p : a));
      expect(kept.has(min.step) && kept.has(max.step)).toBe(true);
    }
  });

  it("returns a short series untouched", () => {
    const points = noisy(50);
    expect(downsamplePoints(points, 100)).toBe(points);
  });

  it("merges bucket statistics and groups them into the requested buckets", () => {
    const stats: BucketStats[] = [
      { count: 3, minStep: 1, minValue: 0.5, maxStep: 2, maxValue: 3 },
      { count: 0, minStep: 0, minValue: Infinity, maxStep: 0, maxValue: -Infinity },
      { count: 2, minStep: 10, minValue: 0.1, maxStep: 11, maxValue: 2 },
      { count: 4, minStep: 20, minValue: 1, maxStep: 21, maxValue: 9 },
    ];
    expect(mergeStats(stats)).toEqual({ count: 9, minStep: 10, minValue: 0.1, maxStep: 21, maxValue: 9 });
    expect(mergeStats([])).toBeNull();
    // Two groups: [0,1] → steps 1 and 2; [2,3] → 10 and 21; plus both ends.
    expect(stepsToKeep(stats, 2, 0, 30)).toEqual([0, 1, 2, 10, 21, 30]);
  });
});
