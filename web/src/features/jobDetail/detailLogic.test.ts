import { describe, expect, it } from "vitest";
import { timeInStatus, withStageProgress } from "./useStageTimings";
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

describe("withStageProgress", () => {
  it("counts the trainer's time left (a base model build) in the stage's expected time, down since the report", () => {
    const reportedAt = "2026-12-06T10:00:00.000Z";
    const now = new Date(reportedAt).getTime() + 30_000;
    const progress = { status: "MODEL_LOADING", percent: 20, secondsLeft: 200, reportedAt };
    // The estimator's 8 s did not know about the build: 60 s spent, 200 − 30 s left.
    expect(withStageProgress({ elapsed: 60, expected: 8 }, progress, now)).toEqual({ elapsed: 60, expected: 230, percent: 20 });
    // No pace yet: the expected time is unknown rather than the estimator's.
    expect(withStageProgress({ elapsed: 2, expected: 8 }, { ...progress, secondsLeft: null }, now)).toEqual({
      elapsed: 2,
      expected: null,
      percent: 20,
    });
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
