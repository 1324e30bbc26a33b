import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { demoDatasetId } from "@tuneloop/testing/fixtures";
import { alertsOf, createMoneyJob, jobMoney, sleep, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";
import { waitFor } from "@tuneloop/testing/waitFor";

const ESTIMATE = `query($i: JobSettingsInput!){ costEstimate(input:$i){ durationSeconds costUsd costLowUsd costHighUsd confidence uncertainty calibratedJobs throughputCorrection stages { stage seconds } } }`;
const ACCURACY = `{ estimatorAccuracy { completedJobs withinTolerance share tolerance target meetsTarget meanAbsoluteErrorPct groups { preset gpuType completedJobs withinTolerance throughputCorrection } } }`;

/** Runs a claimed job through its stages and completes it `seconds` after it started (its billable time). */
async function runFor(app: TestApp, jobId: string, seconds: number) {
  const trainer = await TestTrainer.claim(app, jobId);
  await trainer.startTraining();
  await trainer.metrics(1, 5);
  const { startedAt } = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
  await sleep(Math.max(0, startedAt!.getTime() + seconds * 1000 - Date.now()));
  await trainer.metrics(6, 10);
  await trainer.complete();
  return trainer;
}

describe(`estimates against actuals, and calibration (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let engineer: string;
  let settings: Record<string, unknown>;
  beforeAll(async () => {
    app = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE });
    engineer = await app.login("engineer");
    settings = { datasetId: await demoDatasetId(app, engineer), preset: "BALANCED", gpuType: "TEST_GPU", pricingTier: "ON_DEMAND" };
  });
  afterAll(() => app.stop());

  it("estimates duration from stage overheads plus tokens × epochs ÷ throughput, as a range, and follows the configuration", async () => {
    const base = (await app.gql(ESTIMATE, { i: settings }, engineer)).data.costEstimate;
    const stage = (name: string) => base.stages.find((s: any) => s.stage === name).seconds;
    expect(base.stages.map((s: any) => s.stage)).toEqual(["provisioning", "preprocessing", "model_loading", "training", "finalization"]);
    expect(base.durationSeconds).toBeCloseTo(
      base.stages.reduce((sum: number, s: any) => sum + s.seconds, 0),
      6,
    );
    // $72/h on-demand: cost = billable time × rate.
    expect(base.costUsd).toBeCloseTo((base.durationSeconds / 3600) * 72, 3);
    expect(base).toMatchObject({ confidence: "LOW", uncertainty: 0.25, calibratedJobs: 0, throughputCorrection: 1 });
    expect(base.costLowUsd).toBeCloseTo(base.costUsd * 0.75, 3);
    expect(base.costHighUsd).toBeCloseTo(base.costUsd * 1.25, 3);

    // Twice the epochs, twice the training time; the fixed stages stay.
    const longer = (await app.gql(ESTIMATE, { i: { ...settings, overrides: { epochs: 6 } } }, engineer)).data.costEstimate;
    expect(longer.stages.find((s: any) => s.stage === "training").seconds).toBeCloseTo(2 * stage("training"), 6);
    expect(longer.stages.find((s: any) => s.stage === "finalization").seconds).toBe(stage("finalization"));
    // Spot costs half here, for the same time.
    const spot = (await app.gql(ESTIMATE, { i: { ...settings, pricingTier: "SPOT" } }, engineer)).data.costEstimate;
    expect(spot.costUsd).toBeCloseTo(base.costUsd / 2, 3);
  });

  it("learns the real throughput from completed jobs, so the next estimate holds within ±15%; a job over 120% alerts once", async () => {
    // First job: the GPU is slower than the catalog says; it takes 1.3× its estimate.
    const first = (await createMoneyJob(app, engineer, { name: "calibration 1", start: true, settings })).data;
    await runFor(app, first.id, first.estimatedDurationSec * 1.3);
    const done = await jobMoney(app, engineer, first.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.billableSeconds / first.estimatedDurationSec).toBeGreaterThan(1.29);
    expect(done.actualCostUsd).toBeCloseTo((done.billableSeconds / 3600) * 72, 3);
    expect(done).toMatchObject({ costOverrun: true, remainingCostUsd: 0, spendRateUsdPerHour: 0 });
    expect(done.currentCostUsd).toBeCloseTo(done.actualCostUsd, 4);
    expect(done.costVariancePct).toBeGreaterThan(25);

    const overruns = await waitFor(
      "the overrun alert",
      async () => {
        const found = await alertsOf(app, engineer, ["COST_OVERRUN"]);
        return found.length ? found : null;
      },
      5000,
    );
    expect(overruns).toHaveLength(1);
    expect(overruns[0]).toMatchObject({ jobId: first.id });
    expect(overruns[0].message).toMatch(/more than 120% of its \$/);

    // The next estimate for the same preset and GPU has learnt: it predicts what the first job took.
    const learnt = (await app.gql(ESTIMATE, { i: settings }, engineer)).data.costEstimate;
    expect(learnt.calibratedJobs).toBe(1);
    expect(learnt.throughputCorrection).toBeLessThan(1);
    expect(Math.abs(learnt.durationSeconds - done.billableSeconds) / done.billableSeconds).toBeLessThan(0.03);
    // Another GPU has no history: its estimate is unchanged.
    const other = (await app.gql(ESTIMATE, { i: { ...settings, gpuType: "H100_PCIE_80GB" } }, engineer)).data.costEstimate;
    expect(other).toMatchObject({ calibratedJobs: 0, throughputCorrection: 1 });

    // Second job, estimated with the correction, runs as slowly as the first: the estimate holds.
    const second = (await createMoneyJob(app, engineer, { name: "calibration 2", start: true, settings })).data;
    expect(second.estimatedDurationSec).toBeCloseTo(learnt.durationSeconds, 6);
    await runFor(app, second.id, done.billableSeconds);
    const secondDone = await jobMoney(app, engineer, second.id);
    expect(Math.abs(secondDone.actualCostUsd - second.estimatedCostUsd) / second.estimatedCostUsd).toBeLessThan(0.15);
    expect(secondDone.costOverrun).toBe(false);

    const accuracy = (await app.gql(ACCURACY, {}, engineer)).data.estimatorAccuracy;
    expect(accuracy).toMatchObject({ completedJobs: 2, withinTolerance: 1, share: 0.5, tolerance: 0.15, target: 0.9, meetsTarget: false });
    expect(accuracy.groups).toEqual([
      { preset: "BALANCED", gpuType: "TEST_GPU", completedJobs: 2, withinTolerance: 1, throughputCorrection: expect.any(Number) },
    ]);
    expect(accuracy.groups[0].throughputCorrection).toBeLessThan(1);
    // Still exactly one overrun alert: the second job never passed 120%.
    expect(await alertsOf(app, engineer, ["COST_OVERRUN"])).toHaveLength(1);
  });
});
