// The worker as users run it: the real CLI in its own process, against a real
// server and database, training the engine's tiny model for real.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensors } from "@tuneloop/engine";
import { queueTinyJob, startWorker, startWorkerFixture, type RestartableServer } from "@tuneloop/testing/workerProcesses";
import { waitFor } from "@tuneloop/testing/waitFor";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

let server: RestartableServer;
let key: string;
let datasetId: string;

beforeAll(async () => {
  ({ server, key, datasetId } = await startWorkerFixture({ leaseSeconds: 3 }));
}, 120_000);
afterAll(() => server.dispose());

const jobOf = (id: string) => server.db.trainingJob.findUniqueOrThrow({ where: { id } });
const eventsOf = (id: string) => server.db.jobEvent.findMany({ where: { jobId: id }, orderBy: { id: "asc" } });

async function adapterOf(jobId: string) {
  const artifact = await server.db.artifact.findFirstOrThrow({ where: { jobId, kind: "adapter_model" } });
  const session = await server.asTestApp().login("engineer");
  const url = (
    await server.asTestApp().gql(`query($id:ID!){ job(id:$id){ artifacts { id downloadUrl } } }`, { id: jobId }, session)
  ).data.job.artifacts.find((a: any) => a.id === artifact.id).downloadUrl;
  const file = join(await mkdtemp(join(tmpdir(), "adapter-")), "adapter_model.safetensors");
  await writeFile(file, new Uint8Array(await (await fetch(url)).arrayBuffer()));
  return (await readSafetensors(file)).tensors;
}

describe("worker process", () => {
  it("claims a job and runs it end to end: stages, metrics, checkpoints, adapter files, completion", async () => {
    const jobId = await queueTinyJob(server.asTestApp(), datasetId, "end to end", 3, { checkpointEvery: 8 });
    const worker = startWorker(server.url, key, ["--once", "--worker-id", "e2e"]);
    expect(await worker.exited, worker.output()).toBe(0);

    const job = await jobOf(jobId);
    expect(job).toMatchObject({ status: "COMPLETED", currentStep: 24, totalSteps: 24, progress: 100, workerId: null });
    const transitions = (await eventsOf(jobId)).filter((e) => e.type === "status_changed").map((e) => (e.payload as any).to);
    expect(transitions).toEqual(["QUEUED", "PROVISIONING", "PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION", "COMPLETED"]);

    const points = await server.db.metricPoint.findMany({ where: { jobId } });
    const series = (name: string) => points.filter((p) => p.name === name).sort((a, b) => a.step - b.step);
    expect(series("train_loss").map((p) => p.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const name of [
      "learning_rate",
      "grad_norm",
      "tokens_per_sec",
      "samples_per_sec",
      "memory_mb",
      "cpu_percent",
      "epoch",
      "eta_seconds",
      "val_loss",
      "perplexity",
    ]) {
      expect(series(name).length, name).toBeGreaterThan(0);
    }
    // What this worker measures of itself: the process's CPU (no GPU here), every step, and no GPU series.
    expect(series("cpu_percent").map((p) => p.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(series("cpu_percent").every((p) => p.value >= 0)).toBe(true);
    expect(points.some((p) => p.name.startsWith("gpu_"))).toBe(false);
    const loss = series("train_loss");
    expect(loss.at(-1)!.value).toBeLessThan(loss[0].value);

    const checkpoints = await server.db.checkpoint.findMany({ where: { jobId }, include: { artifact: true }, orderBy: { step: "asc" } });
    // The engine spaces checkpoints so that a run makes a few of them.
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints.every((c, i) => c.step > 0 && c.step < 24 && (i === 0 || c.step > checkpoints[i - 1].step))).toBe(true);
    expect(checkpoints.every((c) => c.artifact?.kind === "checkpoint" && c.artifact.name.endsWith(".tar.gz"))).toBe(true);
    const kinds = (await server.db.artifact.findMany({ where: { jobId } })).map((a) => a.kind).sort();
    expect(kinds).toEqual(["adapter_config", "adapter_model", ...checkpoints.map(() => "checkpoint"), "metrics"]);
    const tensors = await adapterOf(jobId);
    expect(Object.keys(tensors).some((k) => k.endsWith("q_proj.lora_A.weight"))).toBe(true);

    const completed = (await eventsOf(jobId)).find((e) => e.type === "completed")!;
    const summary = (completed.payload as any).summary;
    expect(summary.steps).toBe(24);
    expect(summary.adaptedValPerplexity).toBeLessThan(summary.baseValPerplexity);
    expect(worker.output()).toMatch(/completed 24 steps/);
  });

  it("survives SIGTERM: checkpoints, reports the interruption, and another worker resumes to the same adapter as an uninterrupted run", async () => {
    const app = server.asTestApp();
    const baseline = await queueTinyJob(app, datasetId, "uninterrupted", 6);
    expect(await startWorker(server.url, key, ["--once", "--worker-id", "baseline"]).exited).toBe(0);
    expect((await jobOf(baseline)).status).toBe("COMPLETED");

    const jobId = await queueTinyJob(app, datasetId, "interrupted", 6);
    const first = startWorker(server.url, key, ["--worker-id", "spot-1"]);
    await waitFor("training to pass step 15", async () => (await jobOf(jobId)).currentStep >= 15, 60_000, 50);
    const signalled = Date.now();
    first.child.kill("SIGTERM");
    expect(await first.exited, first.output()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    const interrupted = await jobOf(jobId);
    expect(interrupted.status).toBe("RECOVERING");
    const interruption = (await eventsOf(jobId)).find((e) => e.type === "interrupted")!;
    const step = (interruption.payload as any).step as number;
    expect(step).toBeGreaterThanOrEqual(15);
    expect(step).toBeLessThan(48);
    // The checkpoint taken at the signal is the one to resume from.
    const latest = await server.db.checkpoint.findFirstOrThrow({ where: { jobId }, orderBy: { step: "desc" } });
    expect(latest.step).toBe(step);

    const second = startWorker(server.url, key, ["--once", "--worker-id", "spot-2"]);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain(`resuming from step ${step}`);
    const done = await jobOf(jobId);
    expect(done).toMatchObject({ status: "COMPLETED", recoveryCount: 1, currentStep: 48 });
    expect((await eventsOf(jobId)).some((e) => e.type === "resumed")).toBe(true);

    const [a, b] = [await adapterOf(baseline), await adapterOf(jobId)];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    let maxDiff = 0;
    for (const [name, t] of Object.entries(a)) {
      const x = t.data as Float32Array;
      const y = b[name].data as Float32Array;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
    }
    expect(maxDiff).toBeLessThan(1e-5);
  }, 120_000); // three tiny trainings, one of them interrupted

  it("stops within seconds when the job is cancelled", async () => {
    const app = server.asTestApp();
    const jobId = await queueTinyJob(app, datasetId, "to cancel", 20);
    const worker = startWorker(server.url, key, ["--once", "--worker-id", "cancel"]);
    await waitFor("training to start", async () => (await jobOf(jobId)).currentStep >= 5, 60_000, 50);
    const session = await app.login("engineer");
    const cancelled = await app.gql(
      `mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename ... on CancelTrainingJobSuccess { data { id } } } }`,
      { id: jobId },
      session,
    );
    expect(cancelled.data.cancelTrainingJob.__typename).toBe("CancelTrainingJobSuccess");
    const at = Date.now();
    expect(await worker.exited, worker.output()).toBe(0);
    expect(Date.now() - at).toBeLessThan(8000); // a heartbeat every second, then the next step
    expect(worker.output()).toContain("cancelled");
    const job = await jobOf(jobId);
    expect(job.status).toBe("CANCELLED");
    expect(job.currentStep).toBeLessThan(160);
  });
});
