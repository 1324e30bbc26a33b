import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { outcome, postWebhook, REPORT, startRunningJob } from "@tuneloop/testing/trainerReports";
import { redactSecrets } from "./errorLog.js";

// The error log export a support ticket gets: GET /api/jobs/:id/error-log.json.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ autoRetryMax: 0 });
});
afterAll(() => app?.stop());

const download = (jobId: string, token: string | null) =>
  fetch(`${app.url}/api/jobs/${jobId}/error-log.json`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe(`error log export (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  it("holds the failure and its guidance, the settings, every report and webhook delivery with its status, and the trainer's last lines; no secret", async () => {
    const job = await startRunningJob(app, "support ticket");
    const secret = (await app.gql(REPORT.webhookSecret, { j: job.jobId }, job.trainerToken).then(outcome)).data as string;
    await app.gql(REPORT.status, { j: job.jobId, s: 1, st: "PREPROCESSING" }, job.trainerToken);
    // One webhook delivery applied, one refused.
    expect(
      (await postWebhook(app.url, job.jobId, secret, { type: "metrics", points: [{ name: "train_loss", step: 1, value: 2.5 }] })).status,
    ).toBe(200);
    expect((await postWebhook(app.url, job.jobId, secret, { type: "checkpoint", sequence: 2, step: -1 })).status).toBe(422);
    const lines = [
      "2026-12-06T07:00:00Z job x: loading dataset",
      `2026-12-06T07:00:01Z uploading with Bearer ${job.trainerToken}`,
      "RuntimeError: CUDA out of memory",
    ];
    const failed = await app.gql(
      `mutation($j:ID!,$l:[String!]){ reportTrainingError(jobId:$j, sequence:3, errorType:"OutOfMemoryError", message:"CUDA out of memory. Tried to allocate 2.00 GiB", details:{ apiKey: "tlk_shouldnotleak", batch: 8 }, outputLines:$l){ __typename } }`,
      { j: job.jobId, l: lines },
      job.trainerToken,
    );
    expect(failed.data.reportTrainingError.__typename).toBe("ReportTrainingErrorSuccess");

    const response = await download(job.jobId, job.session);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="job-${job.jobId}-error-log.json"`);
    const text = await response.text();
    const log = JSON.parse(text);
    expect(log.job).toMatchObject({ id: job.jobId, name: "support ticket", status: "FAILED" });
    expect(log.settings).toMatchObject({
      preset: "BALANCED",
      gpuType: expect.any(String),
      pricingTier: "SPOT",
      dataset: { name: expect.stringContaining("demo") },
      config: expect.objectContaining({ batchSize: expect.any(Number) }),
    });
    expect(log.failure).toMatchObject({
      errorType: "OutOfMemoryError",
      message: expect.stringContaining("CUDA out of memory"),
      guidance: { errorType: "OutOfMemoryError", explanation: expect.any(String), suggestedChanges: expect.any(Array) },
    });
    expect(log.trainerOutput).toEqual([lines[0], "2026-12-06T07:00:01Z uploading with Bearer [redacted]", lines[2]]);
    expect(log.reports).toEqual({ received: 5, applied: 4, refused: 1, viaWebhook: 2 });
    const refused = log.events.find((e: any) => e.processingError);
    expect(refused).toMatchObject({ type: "checkpoint", source: "webhook", processingError: expect.stringMatching(/^VALIDATION/) });
    expect(log.events.map((e: any) => e.type)).toEqual(
      expect.arrayContaining(["created", "status_changed", "metrics", "checkpoint", "error"]),
    );
    // No secret: not the webhook secret, not the trainer token, not a key in a payload.
    expect(text).not.toContain(secret);
    expect(text).not.toContain(job.trainerToken);
    expect(text).not.toContain("tlk_shouldnotleak");
    expect(log.events.find((e: any) => e.type === "error").payload.details).toEqual({ apiKey: "[redacted]", batch: 8 });
  });

  it("answers only its own organization's members", async () => {
    const job = await startRunningJob(app, "private");
    expect((await download(job.jobId, null)).status).toBe(401);
    // The trainer's token is not a user's.
    expect((await download(job.jobId, job.trainerToken)).status).toBe(401);
    expect((await download("no-such-job", job.session)).status).toBe(404);
  });

  it("redacts secret-named keys at any depth and tokens inside text", () => {
    expect(redactSecrets({ a: [{ webhookSecret: "x", nested: { password: "p", ok: 1 } }], note: "use whsec_abc+/= here" })).toEqual({
      a: [{ webhookSecret: "[redacted]", nested: { password: "[redacted]", ok: 1 } }],
      note: "use whsec_[redacted] here",
    });
  });
});
