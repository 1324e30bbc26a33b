import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { outcome, postWebhook, REPORT, startRunningJob } from "@tuneloop/testing/trainerReports";

// A trainer written against the product overview's webhook contract (its
// "Data Flow" section) reports through the signed webhook door unchanged: one
// test per event, each read back through GraphQL as the web app reads it.

let app: TestApp;
beforeAll(async () => {
  // No automatic retry here: the error test checks the failure itself.
  app = await startTestApp({ autoRetryMax: 0 });
});
afterAll(() => app?.stop());

/** A claimed job and its webhook secret, as a contract container would hold them. */
async function contractJob(name: string) {
  const job = await startRunningJob(app, name);
  const secret = (await app.gql(REPORT.webhookSecret, { j: job.jobId }, job.trainerToken).then(outcome)).data as string;
  const send = (body: Record<string, unknown>, id?: string) => postWebhook(app.url, job.jobId, secret, body, { id });
  const read = async () =>
    (
      await app.gql(
        `query($id:ID!){ job(id:$id){ status stage currentStep totalSteps latestLoss latestValLoss recoveryCount errorType errorMessage
          events(last: 50){ edges { node { type message source payload processingError } } } } }`,
        { id: job.jobId },
        job.session,
      )
    ).data.job;
  return { ...job, send, read, events: async () => (await read()).events.edges.map((e: any) => e.node) };
}

const METRICS_UPDATE = {
  event: "metrics_update",
  job_id: "ignored: the URL names the job",
  epoch: 2,
  step: 450,
  training_loss: 0.342,
  validation_loss: 0.398,
  learning_rate: 0.00015,
  perplexity: 18.2,
  gpu_memory_used_mb: 76800,
  estimated_time_remaining_seconds: 18600,
};

describe(`the overview's trainer contract through the webhook door (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  it("started: the job is preprocessing", async () => {
    const job = await contractJob("contract started");
    expect(await job.send({ event: "started" })).toMatchObject({ status: 200, body: { ok: true, duplicate: false } });
    const read = await job.read();
    expect(read.status).toBe("PREPROCESSING");
    const change = (await job.events()).find((e: any) => e.type === "status_changed" && e.payload.to === "PREPROCESSING");
    expect(change).toMatchObject({ source: "webhook", processingError: null });
  });

  it("metrics_update: the overview's fields become our series, and the job is training", async () => {
    const job = await contractJob("contract metrics");
    await job.send({ event: "started" });
    expect(await job.send(METRICS_UPDATE)).toMatchObject({ status: 200, body: { storedPoints: 7 } });
    const read = await job.read();
    expect(read).toMatchObject({ status: "TRAINING", currentStep: 450, latestLoss: 0.342, latestValLoss: 0.398 });
    const series = await app.gql(
      `query($id:ID!){ job(id:$id){ metricSeries(names:["train_loss","val_loss","learning_rate","perplexity","gpu_memory_used_mb","eta_seconds","epoch"]){ name points { step value } } } }`,
      { id: job.jobId },
      job.session,
    );
    const values = Object.fromEntries(series.data.job.metricSeries.map((s: any) => [s.name, s.points.map((p: any) => [p.step, p.value])]));
    expect(values).toEqual({
      train_loss: [[450, 0.342]],
      val_loss: [[450, 0.398]],
      learning_rate: [[450, 0.00015]],
      perplexity: [[450, 18.2]],
      gpu_memory_used_mb: [[450, 76800]],
      eta_seconds: [[450, 18600]],
      epoch: [[450, 2]],
    });
    // It passed through the stages it did not name, each logged as a status change.
    const changes = (await job.events()).filter((e: any) => e.type === "status_changed").map((e: any) => e.payload.to);
    expect(changes).toEqual(expect.arrayContaining(["PREPROCESSING", "MODEL_LOADING", "TRAINING"]));
    // A metrics_update without any value is refused, and logged as refused.
    const empty = await job.send({ event: "metrics_update", step: 451 });
    expect(empty).toMatchObject({ status: 422, body: { error: { code: "VALIDATION", field: "training_loss" } } });
    const noStep = await job.send({ event: "metrics_update", training_loss: 0.3 });
    expect(noStep).toMatchObject({ status: 422, body: { error: { code: "VALIDATION", field: "step" } } });
    const refused = (await job.events()).filter((e: any) => e.type === "metrics_update");
    expect(refused.map((e: any) => e.processingError)).toEqual([
      expect.stringMatching(/^VALIDATION/),
      expect.stringMatching(/^VALIDATION/),
    ]);
  });

  it("a redelivered event (same webhook id) changes nothing", async () => {
    const job = await contractJob("contract redelivery");
    await job.send({ event: "started" });
    const first = await job.send({ ...METRICS_UPDATE, step: 10 }, "msg_contract_1");
    expect(first.body).toMatchObject({ duplicate: false, storedPoints: 7 });
    const again = await job.send({ ...METRICS_UPDATE, step: 10 }, "msg_contract_1");
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, storedPoints: 0 } });
    expect((await job.events()).filter((e: any) => e.type === "metrics")).toHaveLength(1);
  });

  it("warning: logged with its message, nothing else changes", async () => {
    const job = await contractJob("contract warning");
    await job.send({ event: "started" });
    expect((await job.send({ event: "warning", message: "Gradient norm spiked to 12.4", details: { step: 88 } })).status).toBe(200);
    const read = await job.read();
    expect(read.status).toBe("PREPROCESSING");
    expect((await job.events()).find((e: any) => e.type === "warning")).toMatchObject({
      message: "Gradient norm spiked to 12.4",
      source: "webhook",
      payload: { details: { step: 88 } },
    });
  });

  it("interrupted, then resumed: recovering from the last checkpoint step, then counted as resumed", async () => {
    const job = await contractJob("contract interrupted");
    await job.send({ event: "started" });
    await job.send({ ...METRICS_UPDATE, step: 500 });
    expect((await job.send({ event: "interrupted", last_checkpoint_step: 500 })).status).toBe(200);
    expect((await job.read()).status).toBe("RECOVERING");
    expect((await job.events()).find((e: any) => e.type === "interrupted")).toMatchObject({
      message: expect.stringContaining("step 500"),
      payload: { step: 500 },
    });
    expect((await job.send({ event: "resumed", resumed_from_step: 500 })).status).toBe(200);
    expect((await job.read()).recoveryCount).toBe(1);
  });

  it("completed: the job is completed with the final metrics kept", async () => {
    const job = await contractJob("contract completed");
    await job.send({ event: "started" });
    await job.send(METRICS_UPDATE);
    const r = await job.send({
      event: "completed",
      adapter_model_path: "s3://x/adapter_model.bin",
      final_metrics: { training_loss: 0.31 },
      validation_results: { perplexity_improvement_pct: 31 },
    });
    expect(r.status).toBe(200);
    expect((await job.read()).status).toBe("COMPLETED");
    const completed = (await job.events()).find((e: any) => e.type === "completed");
    expect(completed.payload.summary).toEqual({
      finalMetrics: { training_loss: 0.31 },
      validationResults: { perplexity_improvement_pct: 31 },
    });
    // The secret serves only until the job ends.
    expect((await job.send({ event: "warning", message: "late" })).status).toBe(409);
  });

  it("error: the job fails with the overview's error type and message (an unknown type is UnknownError)", async () => {
    const job = await contractJob("contract error");
    await job.send({ event: "started" });
    const r = await job.send({
      event: "error",
      error_type: "OutOfMemoryError",
      error_message: "CUDA out of memory. Tried to allocate 2.00 GiB",
    });
    expect(r.status).toBe(200);
    expect(await job.read()).toMatchObject({
      status: "FAILED",
      errorType: "OutOfMemoryError",
      errorMessage: "CUDA out of memory. Tried to allocate 2.00 GiB",
    });

    const other = await contractJob("contract odd error");
    expect((await other.send({ event: "error", error_type: "DiskFullError", message: "No space left on device" })).status).toBe(200);
    expect(await other.read()).toMatchObject({ status: "FAILED", errorType: "UnknownError", errorMessage: "No space left on device" });
    expect((await other.events()).find((e: any) => e.type === "error").payload.details).toEqual({ errorType: "DiskFullError" });
  });

  it("status_change: a named stage, with the stages before it", async () => {
    const job = await contractJob("contract status change");
    expect((await job.send({ event: "status_change", status: "model_loading" })).status).toBe(200);
    expect((await job.read()).status).toBe("MODEL_LOADING");
    // The same stage again is logged and changes nothing; an earlier one is refused.
    expect((await job.send({ event: "status_change", status: "model_loading", total_steps: 300 })).status).toBe(200);
    expect(await job.read()).toMatchObject({ status: "MODEL_LOADING", totalSteps: 300 });
    expect((await job.send({ event: "status_change", status: "preprocessing" })).status).toBe(422);
    // A restarted container says `started` again: logged, nothing moves back.
    expect((await job.send({ event: "started" })).status).toBe(200);
    expect((await job.read()).status).toBe("MODEL_LOADING");
    const bad = await job.send({ event: "status_change", status: "sleeping" });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: "VALIDATION", field: "status" } } });
  });
});
