import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { uploadDataset } from "@tuneloop/testing/fixtures";
import { demoDatasetJsonl } from "../datasets/demoDataset.js";
import { alertsOf, cancelLiveJobs, createMoneyJob, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";
import { waitFor } from "@tuneloop/testing/waitFor";

const ERR = `__typename ... on AppError { code message field }`;
const GUIDANCE = `query($id:ID!){ job(id:$id){ status errorType failureGuidance { errorType explanation suggestedChanges { field from to } } } }`;
const RETRY = `mutation($id:ID!,$o:RetryOverrides,$a:Boolean){ retryTrainingJob(id:$id, overrides:$o, applySuggestedFix:$a){ ${ERR}
  ... on RetryTrainingJobSuccess { data { id name status preset gpuType pricingTier config retryCount retryOf { id } dataset { id }
    retryDiff { field from to } } } } }`;

describe(`failure guidance and retry with the suggested fix (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let engineer: string;

  /** A job that a real trainer reports as failed with `errorType`. */
  async function failedJob(name: string, errorType: string, message: string, settings: Record<string, unknown> = {}) {
    const job = (await createMoneyJob(app, engineer, { name, start: true, settings })).data;
    const trainer = await TestTrainer.claim(app, job.id);
    await trainer.status("PREPROCESSING");
    await trainer.fail(errorType, message);
    return job.id as string;
  }
  const guidance = async (id: string) => (await app.gql(GUIDANCE, { id }, engineer)).data.job;
  /** Retries, then cancels the new job so the next test's worker claims its own. */
  async function retry(id: string, overrides: Record<string, unknown> | null = null, applySuggestedFix?: boolean) {
    const result = (await app.gql(RETRY, { id, o: overrides, a: applySuggestedFix }, engineer)).data.retryTrainingJob;
    if (result.data) await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: result.data.id }, engineer);
    return result;
  }

  beforeAll(async () => {
    app = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE });
    engineer = await app.login("engineer");
  });
  afterAll(() => app.stop());
  afterEach(() => cancelLiveJobs(app));

  it("out of memory without figures: halves the micro-batch and accumulates to the same effective batch; names no GPU", async () => {
    const id = await failedJob("oom", "OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB");
    const failed = await guidance(id);
    expect(failed).toMatchObject({ status: "FAILED", errorType: "OutOfMemoryError" });
    const halved = [
      { field: "batchSize", from: 4, to: 2 },
      { field: "gradientAccumulationSteps", from: 1, to: 2 },
    ];
    expect(failed.failureGuidance.suggestedChanges).toEqual(halved);
    // The job asked for a Test GPU, but nothing says it ran on one.
    expect(failed.failureGuidance.explanation).not.toContain("Test GPU");
    expect(failed.failureGuidance.explanation).toContain("did not report how much memory it needed");
    expect(failed.failureGuidance.explanation).toContain("CUDA out of memory");

    const retried = (await retry(id)).data;
    expect(retried).toMatchObject({ status: "QUEUED", retryCount: 1, retryOf: { id }, name: "oom (retry 1)" });
    expect(retried.config).toMatchObject({ batchSize: 2, gradientAccumulationSteps: 2 });
    expect(retried.retryDiff).toEqual(halved);
    // The user's own overrides win over the suggestion; declining the fix changes nothing.
    expect((await retry(id, { batchSize: 1, gradientAccumulationSteps: 4 })).data.retryDiff).toEqual([
      { field: "batchSize", from: 4, to: 1 },
      { field: "gradientAccumulationSteps", from: 1, to: 4 },
    ]);
    expect((await retry(id, null, false)).data.retryDiff).toEqual([]);
    // The input's types refuse an unknown tier before the retry's own checks, which name the setting.
    const cheap = await app.gql(RETRY, { id, o: { pricingTier: "CHEAP" } }, engineer);
    expect(cheap.errors?.[0].message).toContain('Value "CHEAP" does not exist in "PricingTier" enum');
    expect(await retry(id, { gpuType: "" })).toMatchObject({ code: "VALIDATION", field: "overrides.gpuType" });

    // At batch 1 and no figures there is nothing to size: advice in words, no change offered.
    const tight = await failedJob("oom at batch 1", "OutOfMemoryError", "OOM", { preset: "AGGRESSIVE", overrides: { batchSize: 1 } });
    expect((await guidance(tight)).failureGuidance.suggestedChanges).toEqual([]);
    // A Conservative retry brings the preset's own rank, learning rate and epochs.
    const conservative = (await retry(tight, { preset: "CONSERVATIVE" })).data;
    expect(conservative.config).toMatchObject({ rank: 8, alpha: 16, learningRate: 1e-4, epochs: 2, batchSize: 1 });
    expect(conservative.retryDiff.map((c: any) => c.field)).toEqual(["preset", "alpha", "epochs", "learningRate", "rank"]);
  });

  it("no GPU available: switches spot to on-demand, then on-demand to another GPU", async () => {
    const spot = await failedJob("no spot", "GPUProvisioningError", "No TEST_GPU capacity in region", { pricingTier: "SPOT" });
    const g = (await guidance(spot)).failureGuidance;
    expect(g.suggestedChanges).toEqual([{ field: "pricingTier", from: "SPOT", to: "ON_DEMAND" }]);
    expect(g.explanation).toMatch(/Retry in 5 minutes, or switch to on-demand \(\$72\.00\/h instead of \$36\.00\/h\)/);
    expect((await retry(spot)).data).toMatchObject({
      pricingTier: "ON_DEMAND",
      retryDiff: [{ field: "pricingTier", from: "SPOT", to: "ON_DEMAND" }],
    });

    const onDemand = await failedJob("no gpu at all", "GPUProvisioningError", "No capacity", { pricingTier: "ON_DEMAND" });
    expect((await guidance(onDemand)).failureGuidance.suggestedChanges).toEqual([
      { field: "gpuType", from: "TEST_GPU", to: "H100_PCIE_80GB" },
    ]);
    expect((await retry(onDemand)).data).toMatchObject({
      gpuType: "H100_PCIE_80GB",
      retryDiff: [{ field: "gpuType", from: "TEST_GPU", to: "H100_PCIE_80GB" }],
    });
  });

  it("timeout: one epoch fewer; network and unknown errors: retry as it was", async () => {
    const slow = await failedJob("slow", "TimeoutError", "Training exceeded 24-hour limit");
    expect((await guidance(slow)).failureGuidance).toMatchObject({
      errorType: "TimeoutError",
      suggestedChanges: [{ field: "epochs", from: 3, to: 2 }],
    });
    expect((await retry(slow)).data.config.epochs).toBe(2);

    const lost = await failedJob("lost", "NetworkError", "Connection reset by peer");
    const network = (await guidance(lost)).failureGuidance;
    expect(network).toMatchObject({ errorType: "NetworkError", suggestedChanges: [] });
    expect(network.explanation).toContain("retry as it is");
    expect((await retry(lost)).data).toMatchObject({ status: "QUEUED", retryDiff: [] });

    // A trainer that says "UnknownError" about something recognisable gets it classified from its message.
    const vague = await failedJob("vague", "UnknownError", "RuntimeError: CUDA error: out of memory");
    expect((await guidance(vague)).failureGuidance.errorType).toBe("OutOfMemoryError");
    const odd = await failedJob("odd", "UnknownError", "Segmentation fault in libfoo");
    expect((await guidance(odd)).failureGuidance).toMatchObject({ errorType: "UnknownError", suggestedChanges: [] });
    expect((await retry(odd)).data.retryDiff).toEqual([]);
  });

  it("dataset format: once a fixed file is uploaded under the same name, the retry trains on it", async () => {
    const upload = async () =>
      (await uploadDataset(app, engineer, "Client A chats", demoDatasetJsonl())).data.uploadDataset.data.id as string;
    const original = await upload();
    const id = await failedJob("bad data", "DatasetFormatError", "Training pair #47 missing 'target_response' field", {
      datasetId: original,
    });
    const before = (await guidance(id)).failureGuidance;
    expect(before).toMatchObject({ errorType: "DatasetFormatError", suggestedChanges: [] });
    expect(before.explanation).toContain("Training pair #47 missing 'target_response' field");
    expect(before.explanation).toContain("upload the file again");

    const fixed = await upload();
    const after = (await guidance(id)).failureGuidance;
    expect(after.suggestedChanges).toEqual([{ field: "datasetId", from: original, to: fixed }]);
    expect((await retry(id)).data).toMatchObject({
      dataset: { id: fixed },
      retryDiff: [{ field: "datasetId", from: original, to: fixed }],
    });
  });

  it("tells people why a job failed and counts failures per error type, preset and GPU", async () => {
    const failedAlerts = await waitFor(
      "a JOB_FAILED alert per failed job",
      async () => {
        const found = await alertsOf(app, engineer, ["JOB_FAILED"]);
        return found.length === 9 ? found : null;
      },
      10_000,
    );
    const oom = failedAlerts.find((a) => a.message.startsWith('Job "oom" failed.'))!;
    expect(oom.message).toContain("Suggested retry: batchSize 4 → 2, gradientAccumulationSteps 1 → 2.");
    expect(oom.data).toMatchObject({
      errorType: "OutOfMemoryError",
      suggestedChanges: [
        { field: "batchSize", from: 4, to: 2 },
        { field: "gradientAccumulationSteps", from: 1, to: 2 },
      ],
    });

    const common = (
      await app.gql(
        `{ commonFailures { totalFailed byErrorType { key count } byPreset { key count } byGpuType { key count }
      combinations { errorType preset gpuType count lastSeenAt } } }`,
        {},
        engineer,
      )
    ).data.commonFailures;
    expect(common.totalFailed).toBe(9);
    expect(common.byErrorType).toEqual([
      { key: "OutOfMemoryError", count: 3 },
      { key: "GPUProvisioningError", count: 2 },
      { key: "DatasetFormatError", count: 1 },
      { key: "NetworkError", count: 1 },
      { key: "TimeoutError", count: 1 },
      { key: "UnknownError", count: 1 },
    ]);
    expect(common.byPreset).toEqual([
      { key: "BALANCED", count: 8 },
      { key: "AGGRESSIVE", count: 1 },
    ]);
    expect(common.byGpuType).toEqual([{ key: "TEST_GPU", count: 9 }]);
    expect(common.combinations[0]).toMatchObject({ errorType: "OutOfMemoryError", preset: "BALANCED", gpuType: "TEST_GPU", count: 2 });
  });
});
