import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { cancelLiveJobs, createMoneyJob, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";

// Failures whose trainer reported its figures (FailureFactsInput): the fix is
// sized with the trainer's memory model or its measured step time, and checked.

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const GUIDANCE = `query($id:ID!){ job(id:$id){ failureGuidance { errorType explanation suggestedChanges { field from to } } } }`;
const RETRY = `mutation($id:ID!){ retryTrainingJob(id:$id, applySuggestedFix:true){ __typename ... on AppError { code message field }
  ... on RetryTrainingJobSuccess { data { id gpuType config retryDiff { field from to } } } } }`;

/** A memory model in round figures: 200 MiB fixed, 1/4 MiB per rank, 100 KiB per token. */
const profile = {
  fixedBytes: 200 * MiB,
  bytesPerRank: MiB / 4,
  bytesPerToken: 100 * 1024,
  bytesPerTokenPosition: 0,
  fourBitSavingBytes: null,
};
const onWorker = (availableBytes: number, requiredBytes: number, p: Record<string, unknown> = profile) => ({
  where: 'worker "small"',
  memory: { requiredBytes, availableBytes, limit: "WORKER_BUDGET", seqLength: 128, profile: p },
});

describe(`failure advice sized from the trainer's figures (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let engineer: string;

  async function failedJob(
    name: string,
    errorType: string,
    message: string,
    facts: Record<string, unknown>,
    settings: Record<string, unknown>,
  ) {
    const job = (await createMoneyJob(app, engineer, { name, start: true, settings })).data;
    const trainer = await TestTrainer.claim(app, job.id);
    await trainer.status("PREPROCESSING");
    await trainer.fail(errorType, message, facts);
    return job.id as string;
  }
  const guidance = async (id: string) => (await app.gql(GUIDANCE, { id }, engineer)).data.job.failureGuidance;
  async function retry(id: string) {
    const result = (await app.gql(RETRY, { id }, engineer)).data.retryTrainingJob;
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: result.data.id }, engineer);
    return result.data;
  }

  beforeAll(async () => {
    app = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE });
    engineer = await app.login("engineer");
  });
  afterAll(() => app.stop());
  afterEach(() => cancelLiveJobs(app));

  it("out of memory: the largest micro-batch that fits, accumulated to the same effective batch; the explanation uses the failure's figures", async () => {
    // Aggressive (rank 32 = 8 MiB), batch 16 × 128 tokens × 100 KiB = 200 MiB of activations: 408 MiB against 300.
    const id = await failedJob(
      "too big",
      "OutOfMemoryError",
      "batch_size=16 needs 408 MB but the worker allows 300 MB",
      onWorker(300 * MiB, 408 * MiB),
      { preset: "AGGRESSIVE", overrides: { batchSize: 16 } },
    );
    const g = await guidance(id);
    // 92 MiB left for activations: 7 examples; the largest divisor of 16 under that is 4.
    const fix = [
      { field: "batchSize", from: 16, to: 4 },
      { field: "gradientAccumulationSteps", from: 1, to: 4 },
    ];
    expect(g.suggestedChanges).toEqual(fix);
    expect(g.explanation).toContain('needed 408 MB, but worker "small" allows 300 MB');
    expect(g.explanation).toContain("Batch size 4 with 4 accumulation steps (the same effective batch of 16");
    expect(g.explanation).toContain("needs about 258 MB");
    expect(g.explanation).not.toMatch(/GPU|H100/);
    const retried = await retry(id);
    expect(retried.config).toMatchObject({ batchSize: 4, gradientAccumulationSteps: 4, rank: 32, maxSeqLength: 128 });
    expect(retried.retryDiff).toEqual(fix);
  });

  it("when no batch fits: shorter sequences, then a lower rank, then 4-bit loading, then a GPU with more memory", async () => {
    const aggressive = { preset: "AGGRESSIVE", overrides: { batchSize: 16 } };
    // 208 MiB before activations, 215 available: one 128-token example (12.5 MiB) does not fit, one of 64 tokens does.
    const seq = await failedJob("long", "OutOfMemoryError", "OOM", onWorker(215 * MiB, 408 * MiB), aggressive);
    expect((await guidance(seq)).suggestedChanges).toEqual([
      { field: "maxSeqLength", from: 128, to: 64 },
      { field: "batchSize", from: 16, to: 1 },
      { field: "gradientAccumulationSteps", from: 1, to: 16 },
    ]);

    // Rank costs 4 MiB a unit: at rank 32 nothing fits; at 16, two examples do.
    const rank = await failedJob(
      "wide",
      "OutOfMemoryError",
      "OOM",
      onWorker(300 * MiB, 528 * MiB, { ...profile, bytesPerRank: 4 * MiB }),
      aggressive,
    );
    expect((await guidance(rank)).suggestedChanges).toEqual([
      { field: "rank", from: 32, to: 16 },
      { field: "alpha", from: 64, to: 32 },
      { field: "batchSize", from: 16, to: 2 },
      { field: "gradientAccumulationSteps", from: 1, to: 8 },
    ]);

    // A python job loading its base model unquantized on a GPU: 4-bit loading saves 800 MiB of its 1 GiB.
    const gpuFacts = (p: Record<string, unknown>, available: number) => ({
      where: "NVIDIA L4",
      memory: {
        requiredBytes: 2 * available,
        availableBytes: available,
        limit: "GPU_MEMORY",
        seqLength: 128,
        profile: { ...profile, ...p },
      },
    });
    const python = { preset: "AGGRESSIVE", overrides: { batchSize: 16, backend: "python", quantization: "NONE" } };
    // In 4-bit, 232 MiB before activations: 68 MiB of 300 left, 5 examples, so micro-batches of 4.
    const fourBit = await failedJob(
      "unquantized",
      "OutOfMemoryError",
      "OOM",
      gpuFacts({ fixedBytes: GiB, fourBitSavingBytes: 800 * MiB }, 300 * MiB),
      python,
    );
    const g = await guidance(fourBit);
    expect(g.suggestedChanges).toEqual([
      { field: "quantization", from: "none", to: "4bit" },
      { field: "batchSize", from: 16, to: 4 },
      { field: "gradientAccumulationSteps", from: 1, to: 4 },
    ]);
    expect(g.explanation).toContain("but the NVIDIA L4 has 300 MB");
    expect((await retry(fourBit)).config).toMatchObject({ quantization: "4bit", batchSize: 4, gradientAccumulationSteps: 4 });

    // 30 GiB of weights on a 24 GB card: the smallest GPU in the catalog with room for it all.
    const big = await failedJob("huge", "OutOfMemoryError", "CUDA out of memory", gpuFacts({ fixedBytes: 30 * GiB }, 24 * GiB), python);
    expect((await guidance(big)).suggestedChanges).toEqual([{ field: "gpuType", from: "TEST_GPU", to: "L40S_48GB" }]);
    expect((await retry(big)).gpuType).toBe("L40S_48GB");

    // A CUDA out-of-memory error although the estimate (408 MiB) fitted the 1 GiB card: the model was optimistic
    // for this run, so the fix halves the activations (200 → 100 MiB): micro-batches of 8, accumulated twice.
    const optimistic = await failedJob(
      "optimistic",
      "OutOfMemoryError",
      "CUDA out of memory",
      {
        where: "NVIDIA L4",
        memory: { requiredBytes: 408 * MiB, availableBytes: GiB, limit: "GPU_MEMORY", seqLength: 128, profile },
      },
      python,
    );
    const o = await guidance(optimistic);
    expect(o.suggestedChanges).toEqual([
      { field: "batchSize", from: 16, to: 8 },
      { field: "gradientAccumulationSteps", from: 1, to: 2 },
    ]);
    expect(o.explanation).toContain("ran out of memory (the estimate was 408 MB), but the NVIDIA L4 has 1.0 GB");

    // On a worker's own budget a bigger GPU is no answer: the advice says so and changes nothing.
    const stuck = await failedJob("stuck", "OutOfMemoryError", "OOM", onWorker(100 * MiB, 408 * MiB), aggressive);
    const s = await guidance(stuck);
    expect(s.suggestedChanges).toEqual([]);
    expect(s.explanation).toContain("run it on a worker with a larger memory budget");
  });

  it("timeout: the epochs that fit the limit at the measured step time; more time when not even one does", async () => {
    // 100 steps an epoch at 2 s, 30 s to start: 3 epochs need 630 s, 2 need 430 s, inside 90% of 600 s.
    const time = (secondsPerStep: number) => ({
      where: 'worker "slow"',
      time: { limitSeconds: 600, overheadSeconds: 30, secondsPerStep, stepsDone: 285, totalSteps: 300 },
    });
    const slow = await failedJob("slow", "TimeoutError", "Training ran past its time limit", time(2), {
      overrides: { maxDurationSeconds: 600 },
    });
    const g = await guidance(slow);
    expect(g.suggestedChanges).toEqual([{ field: "epochs", from: 3, to: 2 }]);
    expect(g.explanation).toContain("after 285 of 300 steps at 2.00 s a step");

    // At 10 s a step one epoch needs 1030 s: the job's own limit goes up to what the whole run needs, with room.
    const slower = await failedJob("slower", "TimeoutError", "Training ran past its time limit", time(10), {
      overrides: { maxDurationSeconds: 600 },
    });
    expect((await guidance(slower)).suggestedChanges).toEqual([{ field: "maxDurationSeconds", from: 600, to: 3420 }]);
    expect((await retry(slower)).config.maxDurationSeconds).toBe(3420);
  });

  it("validates gradient accumulation as a job setting", async () => {
    const create = (overrides: Record<string, unknown>) => createMoneyJob(app, engineer, { name: "accumulation", settings: { overrides } });
    expect(await create({ gradientAccumulationSteps: 0 })).toMatchObject({ code: "VALIDATION", field: "config.gradientAccumulationSteps" });
    expect(await create({ batchSize: 64, gradientAccumulationSteps: 16 })).toMatchObject({
      code: "VALIDATION",
      field: "config.gradientAccumulationSteps",
      message: expect.stringContaining("effective batch"),
    });
    expect((await create({ batchSize: 2, gradientAccumulationSteps: 8 })).data.config).toMatchObject({
      batchSize: 2,
      gradientAccumulationSteps: 8,
    });
  });

  it("refuses failure facts that make no sense, naming the field", async () => {
    const job = (await createMoneyJob(app, engineer, { name: "bad facts", start: true })).data;
    const trainer = await TestTrainer.claim(app, job.id);
    await expect(trainer.fail("OutOfMemoryError", "OOM", onWorker(-1, 408 * MiB))).rejects.toThrow(
      "report refused: VALIDATION facts.memory.availableBytes",
    );
  });
});
