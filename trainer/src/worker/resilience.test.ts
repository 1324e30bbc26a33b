// The worker when things go wrong: the server goes away mid-run, and each
// class of failure reaches the job with its type and a suggested fix.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  queueTinyJob,
  startWorker,
  startWorkerFixture,
  uploadSyntheticDataset,
  type RestartableServer,
} from "@tuneloop/testing/workerProcesses";
import { waitFor } from "@tuneloop/testing/waitFor";

let server: RestartableServer;
let key: string;
let datasetId: string;

beforeAll(async () => {
  ({ server, key, datasetId } = await startWorkerFixture());
}, 120_000);
afterAll(() => server.dispose());

const jobOf = (id: string) => server.db.trainingJob.findUniqueOrThrow({ where: { id } });

describe("worker resilience", () => {
  it("keeps training while the server is down and delivers every report once, in order, when it is back", async () => {
    const jobId = await queueTinyJob(server.asTestApp(), datasetId, "offline", 6, { checkpointEvery: 12 });
    const worker = startWorker(server.url, key, ["--once", "--worker-id", "offline", "--metrics-every", "2"]);
    await waitFor("training to start", async () => (await jobOf(jobId)).currentStep >= 6, 60_000, 50);
    await server.stop();
    // Reports pile up on disk while the worker trains on.
    const queued = () =>
      readFile(join(worker.stateDir, "queue.jsonl"), "utf8").then(
        (t) => t.split("\n").filter(Boolean).length,
        () => 0,
      );
    await waitFor("reports to be queued on disk", async () => (await queued()) >= 4, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    await server.start();
    expect(await worker.exited, worker.output()).toBe(0);

    const job = await jobOf(jobId);
    expect(job).toMatchObject({ status: "COMPLETED", currentStep: 48 });
    const losses = await server.db.metricPoint.findMany({ where: { jobId, name: "train_loss" }, orderBy: { step: "asc" } });
    expect(losses.map((p) => p.step)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    const events = await server.db.jobEvent.findMany({ where: { jobId }, orderBy: { id: "asc" } });
    const sequences = events.map((e) => (e.payload as { sequence?: number }).sequence).filter((s): s is number => typeof s === "number");
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b)); // applied in the order they were made
    expect(new Set(sequences).size).toBe(sequences.length); // none twice
    // Each stage report is logged once, by the status change it made.
    const stageReports = events.filter((e) => e.type === "status_changed" && (e.payload as any).report);
    expect(stageReports.map((e) => (e.payload as any).to)).toEqual(["PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION"]);
    expect(events.filter((e) => e.type === "completed")).toHaveLength(1);
    const checkpoints = await server.db.checkpoint.count({ where: { jobId } });
    expect(events.filter((e) => e.type === "checkpoint")).toHaveLength(checkpoints);
    const stored = events.filter((e) => e.type === "metrics").reduce((n, e) => n + ((e.payload as any).storedPoints as number), 0);
    expect(stored).toBe(await server.db.metricPoint.count({ where: { jobId } }));
    expect(await queued()).toBe(0);
  });

  it("reports each failure class with a suggested fix", async () => {
    const app = server.asTestApp();
    const oom = await queueTinyJob(app, datasetId, "too big", 2, { batchSize: 64, maxSeqLength: 64 });
    // A dataset that passed the server's checks but is damaged on disk before the worker reads it.
    const brokenId = await uploadSyntheticDataset(app, "damaged");
    const broken = await server.db.dataset.findUniqueOrThrow({ where: { id: brokenId } });
    const path = join(server.dataDir, "datasets", broken.storagePath);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[2] = '{"messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "beep"}]}';
    await writeFile(path, lines.join("\n"));
    const format = await queueTinyJob(app, brokenId, "damaged dataset", 2);
    // An unknown base model never reaches a worker: the server refuses the job with a typed error.
    await expect(queueTinyJob(app, datasetId, "unknown model", 2, { baseModel: "llama-3-70b" })).rejects.toThrow(
      /"code":"VALIDATION".*\\"llama-3-70b\\" is not a built-in model or a Hugging Face model id/,
    );
    const slow = await queueTinyJob(app, datasetId, "too slow", 20);

    const worker = startWorker(server.url, key, ["--worker-id", "failing", "--memory-budget-mb", "300", "--max-duration-seconds", "4"]);
    try {
      await waitFor(
        "all three jobs to fail",
        async () => {
          const jobs = await server.db.trainingJob.findMany({ where: { id: { in: [oom, format, slow] } } });
          return jobs.every((j) => j.status === "FAILED");
        },
        90_000,
        200,
      );
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
    }
    expect(await jobOf(oom)).toMatchObject({
      errorType: "OutOfMemoryError",
      errorMessage: expect.stringMatching(
        /^batch_size=64 needs \d+ MB but the worker allows 300 MB: use batch size \d+ with \d+ accumulation steps \(same effective batch of 64\)$/,
      ),
    });
    expect(await jobOf(format)).toMatchObject({
      errorType: "DatasetFormatError",
      errorMessage: expect.stringContaining("line 3 (messages[1].role)"),
    });
    expect(await jobOf(slow)).toMatchObject({ errorType: "TimeoutError", errorMessage: expect.stringContaining("time limit of 4 s") });
    const oomEvent = await server.db.jobEvent.findFirstOrThrow({ where: { jobId: oom, type: "error" } });
    expect((oomEvent.payload as any).details).toMatchObject({ limitBytes: 300 * 2 ** 20, suggestedBatchSize: expect.any(Number) });
    // The figures the server sizes the retry from, and where it ran.
    expect((oomEvent.payload as any).facts).toMatchObject({
      where: 'worker "failing"',
      memory: { availableBytes: 300 * 2 ** 20, limit: "WORKER_BUDGET", seqLength: 64 },
    });
    // The worker's last lines of output travel with the failure, for the error log export.
    expect((oomEvent.payload as any).outputLines).toEqual(
      expect.arrayContaining([expect.stringMatching(/failed: OutOfMemoryError: batch_size=64/)]),
    );
    // A timeout's step time, when a step finished before the limit (on a loaded machine it may not have).
    const slowEvent = await server.db.jobEvent.findFirstOrThrow({ where: { jobId: slow, type: "error" } });
    const timed = (await jobOf(slow)).currentStep > 0;
    expect((slowEvent.payload as any).facts?.time?.secondsPerStep > 0).toBe(timed);
    // Refused before training: no step was taken.
    expect((await jobOf(oom)).currentStep).toBe(0);
  });

  it("gives a job up with a NetworkError when the server stays away past the deadline, and says so once it is back", async () => {
    const jobId = await queueTinyJob(server.asTestApp(), datasetId, "lost contact", 20);
    const worker = startWorker(server.url, key, ["--once", "--worker-id", "offline-deadline", "--offline-deadline-seconds", "2"]);
    await waitFor("training to start", async () => (await jobOf(jobId)).currentStep >= 4, 60_000, 50);
    await server.stop();
    await waitFor("the worker to give up", () => /failed: NetworkError/.test(worker.output()), 30_000);
    await server.start();
    expect(await worker.exited, worker.output()).toBe(0);
    const job = await jobOf(jobId);
    expect(job).toMatchObject({ status: "FAILED", errorType: "NetworkError" });
    expect(job.errorMessage).toMatch(/Lost contact with the server for \d+ s; stopped at step \d+/);
  });
});
