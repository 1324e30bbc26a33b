// Failure advice that works, through the real worker: a job too big for the
// worker's memory budget fails with the figures, and the one-click retry
// (the suggested fix) fits the same worker and trains the same effective batch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueJob } from "@tuneloop/testing/workerApi";
import { startWorker, startWorkerFixture, type RestartableServer } from "@tuneloop/testing/workerProcesses";
import { waitFor } from "@tuneloop/testing/waitFor";

let server: RestartableServer;
let key: string;
let datasetId: string;

beforeAll(async () => {
  ({ server, key, datasetId } = await startWorkerFixture());
}, 120_000);
afterAll(() => server.dispose());

const jobOf = (id: string) => server.db.trainingJob.findUniqueOrThrow({ where: { id } });
const GUIDANCE = `query($id:ID!){ job(id:$id){ failureGuidance { errorType explanation suggestedChanges { field from to } } } }`;
const RETRY = `mutation($id:ID!){ retryTrainingJob(id:$id, applySuggestedFix:true){ __typename ... on AppError { code message }
  ... on RetryTrainingJobSuccess { data { id config retryDiff { field from to } } } } }`;

describe("failure advice through the real worker", () => {
  it("an Aggressive job too big for a 220 MB worker: the suggested retry completes on the same worker with the same effective batch", async () => {
    const app = server.asTestApp();
    const session = await app.login("engineer");
    // 32 training conversations in effective batches of 16: 2 steps an epoch, 4 epochs (Aggressive), rank 32.
    const tooBig = await queueJob(
      app,
      "too big",
      { baseModel: "tuneloop-llama-tiny", maxSeqLength: 48, batchSize: 16, seed: 7 },
      { datasetId, preset: "AGGRESSIVE" },
    );
    const worker = startWorker(server.url, key, ["--worker-id", "small", "--memory-budget-mb", "220"]);
    let retryId = "";
    try {
      await waitFor("the job to fail", async () => (await jobOf(tooBig)).status === "FAILED", 60_000, 100);
      const failed = await jobOf(tooBig);
      expect(failed.errorType).toBe("OutOfMemoryError");
      expect(failed.errorMessage).toMatch(
        /^batch_size=16 needs \d+ MB but the worker allows 220 MB: use batch size 4 with 4 accumulation steps \(same effective batch of 16\)$/,
      );

      const guidance = (await app.gql(GUIDANCE, { id: tooBig }, session)).data.job.failureGuidance;
      const fix = [
        { field: "batchSize", from: 16, to: 4 },
        { field: "gradientAccumulationSteps", from: 1, to: 4 },
      ];
      expect(guidance.suggestedChanges).toEqual(fix);
      // The failure's own figures and place, never a GPU the job did not run on.
      expect(guidance.explanation).toMatch(
        /rank 32 needed \d+ MB, but worker "small" allows 220 MB\. Batch size 4 with 4 accumulation steps/,
      );
      expect(guidance.explanation).not.toMatch(/GPU|H100|Test/);

      const retried = (await app.gql(RETRY, { id: tooBig }, session)).data.retryTrainingJob.data;
      expect(retried.retryDiff).toEqual(fix);
      retryId = retried.id;
      await waitFor("the retry to finish", async () => ["COMPLETED", "FAILED"].includes((await jobOf(retryId)).status), 120_000, 200);
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
    }
    const done = await jobOf(retryId);
    expect(done, worker.output()).toMatchObject({ status: "COMPLETED", errorType: null });
    expect(done.config).toMatchObject({ batchSize: 4, gradientAccumulationSteps: 4, rank: 32, maxSeqLength: 48 });
    // The same worker took both.
    const claims = await server.db.jobEvent.findMany({
      where: { jobId: { in: [tooBig, retryId] }, message: { contains: "claimed the job" } },
    });
    expect(claims.map((e) => e.message)).toEqual(["Worker small claimed the job", "Worker small claimed the job"]);
    // Same effective batch: as many optimizer steps as batches of 16 make (32 conversations, 4 epochs), not the 32 of batches of 4.
    expect(done).toMatchObject({ totalSteps: 8, currentStep: 8 });
    const epochs = await server.db.metricPoint.findMany({ where: { jobId: retryId, name: "epoch" }, orderBy: { step: "asc" } });
    expect(epochs.find((p) => p.step === 2)?.value).toBeCloseTo(1, 6);
    expect(await server.db.artifact.count({ where: { jobId: retryId, kind: "adapter_model" } })).toBe(1);
  });
});
