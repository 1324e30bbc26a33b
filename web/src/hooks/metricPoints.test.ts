import { describe, expect, it } from "vitest";
import { lastStep, mergePoints } from "./metricPoints";

const p = (step: number, value = step) => ({ step, value, wallTime: 0 });

describe("mergePoints", () => {
  it("appends in step order, replaces a step seen before and inserts a late one", () => {
    const start = { train_loss: [p(1), p(2), p(4)] };
    const merged = mergePoints(start, [
      { name: "train_loss", ...p(5) },
      { name: "train_loss", ...p(2, 20) },
      { name: "train_loss", ...p(3) },
      { name: "val_loss", ...p(4) },
    ]);
    expect(merged.train_loss.map((x) => [x.step, x.value])).toEqual([
      [1, 1],
      [2, 20],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(merged.val_loss).toHaveLength(1);
    expect(start.train_loss).toHaveLength(3); // the previous state is not changed
    expect(lastStep(merged)).toBe(5);
    expect(lastStep({})).toBeNull();
  });
});
