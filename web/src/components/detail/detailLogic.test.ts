import { describe, expect, it } from "vitest";
import { timeInStatus } from "./useStageTimings";
import { plannedChanges } from "./RetryDialog";

describe("timeInStatus", () => {
  it("adds up each status's intervals, a stage entered twice included", () => {
    const at = (s: number) => s * 1000;
    const spent = timeInStatus(
      [
        { at: at(0), to: "PREPROCESSING" },
        { at: at(10), to: "TRAINING" },
        { at: at(50), to: "RECOVERING" },
        { at: at(60), to: "TRAINING" },
      ],
      at(100),
    );
    expect(spent).toEqual({ PREPROCESSING: 10, TRAINING: 80, RECOVERING: 10 });
  });
});

describe("plannedChanges", () => {
  it("lays the user's edits over the suggested fix and drops no-op changes", () => {
    const config = { batchSize: 8, epochs: 3, rank: 16 };
    const suggested = [
      { field: "batchSize", from: 8, to: 4 },
      { field: "pricingTier", from: "SPOT", to: "ON_DEMAND" },
    ];
    expect(plannedChanges(config, suggested, { batchSize: 2, rank: 16 })).toEqual([
      { field: "batchSize", from: 8, to: 2 },
      { field: "pricingTier", from: "SPOT", to: "ON_DEMAND" },
    ]);
    expect(plannedChanges(config, [], {})).toEqual([]);
  });
});
