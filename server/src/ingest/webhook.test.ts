import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { outcome, postWebhook, REPORT, startRunningJob, trainingPoints, type RunningJob } from "@tuneloop/testing/trainerReports";

let app: TestApp;
let job: RunningJob;
let secret: string;
beforeAll(async () => {
  app = await startTestApp();
  job = await startRunningJob(app, "webhook job");
  secret = (await app.gql(REPORT.webhookSecret, { j: job.jobId }, job.trainerToken).then(outcome)).data;
});
afterAll(() => app?.stop());

const pointCount = () => app.services.db.metricPoint.count({ where: { jobId: job.jobId } });

describe("the signed webhook door", () => {
  it("gives each job one secret, to its own trainer only", async () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect((await app.gql(REPORT.webhookSecret, { j: job.jobId }, job.trainerToken).then(outcome)).data).toBe(secret);
    const other = await startRunningJob(app, "other");
    expect(await app.gql(REPORT.webhookSecret, { j: job.jobId }, other.trainerToken).then(outcome)).toMatchObject({ code: "FORBIDDEN" });
    expect((await app.gql(REPORT.webhookSecret, { j: job.jobId }, job.session)).errors?.[0].extensions.code).toBe("FORBIDDEN");
  });

  it("applies a correctly signed report like the GraphQL one", async () => {
    const r = await postWebhook(app.url, job.jobId, secret, { type: "metrics", points: trainingPoints(1, 5) });
    expect(r).toEqual({ status: 200, body: { ok: true, duplicate: false, storedPoints: 10, checkpointId: null } });
    const status = await postWebhook(app.url, job.jobId, secret, { type: "status", sequence: 1, status: "PREPROCESSING", totalSteps: 10 });
    expect(status.status).toBe(200);
    const row = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } });
    expect(row).toMatchObject({ status: "PREPROCESSING", currentStep: 5, progress: 50, totalSteps: 10 });
    const logged = await app.services.db.jobEvent.findFirstOrThrow({ where: { jobId: job.jobId, type: "metrics" } });
    expect(logged).toMatchObject({
      source: "webhook",
      processingError: null,
      payload: expect.objectContaining({ points: 10, storedPoints: 10, fromStep: 1, toStep: 5 }),
    });
  });

  it("refuses a bad signature, a stale or future timestamp, and unknown jobs, all with 401", async () => {
    const before = await pointCount();
    const body = { type: "metrics", points: trainingPoints(100, 100) };
    const wrongKey = new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).sign("msg_x", new Date(), JSON.stringify(body));
    expect((await postWebhook(app.url, job.jobId, secret, body, { id: "msg_x", signature: wrongKey })).status).toBe(401);
    // Signed over another body.
    const otherBody = new Webhook(secret).sign("msg_y", new Date(), JSON.stringify({ ...body, points: [] }));
    expect((await postWebhook(app.url, job.jobId, secret, body, { id: "msg_y", signature: otherBody })).status).toBe(401);
    const stale = await postWebhook(app.url, job.jobId, secret, body, { timestamp: new Date(Date.now() - 6 * 60_000) });
    expect(stale).toMatchObject({ status: 401, body: { error: { code: "UNAUTHENTICATED", message: expect.stringMatching(/too old/) } } });
    expect((await postWebhook(app.url, job.jobId, secret, body, { timestamp: new Date(Date.now() + 6 * 60_000) })).status).toBe(401);
    // Within the five minutes is fine.
    expect((await postWebhook(app.url, job.jobId, secret, body, { timestamp: new Date(Date.now() - 4 * 60_000) })).status).toBe(200);
    expect((await postWebhook(app.url, "no-such-job", secret, body)).status).toBe(401);
    const unsigned = await fetch(`${app.url}/api/webhooks/trainer/${job.jobId}`, { method: "POST", body: JSON.stringify(body) });
    expect(unsigned.status).toBe(401);
    expect(await pointCount()).toBe(before + body.points.length);
  });

  it("de-duplicates by webhook id and by sequence", async () => {
    const body = { type: "metrics", points: [{ name: "grad_norm", step: 7, value: 0.9 }] };
    const first = await postWebhook(app.url, job.jobId, secret, body, { id: "msg_replayed" });
    expect(first.body).toMatchObject({ duplicate: false, storedPoints: 1 });
    const replay = await postWebhook(app.url, job.jobId, secret, body, { id: "msg_replayed" });
    expect(replay).toMatchObject({ status: 200, body: { ok: true, duplicate: true, storedPoints: 0 } });
    // A report sent through GraphQL and again through the webhook is one report.
    await app.gql(REPORT.checkpoint, { j: job.jobId, s: 40, step: 40 }, job.trainerToken);
    const again = await postWebhook(app.url, job.jobId, secret, { type: "checkpoint", sequence: 40, step: 40 });
    expect(again.body.duplicate).toBe(true);
    const log = await app.services.db.jobEvent.findMany({
      where: { jobId: job.jobId, dedupeKey: { in: ["webhook:msg_replayed", "seq:40"] } },
    });
    expect(log).toHaveLength(2);
  });

  it("answers 422 with the error for a signed report it refuses, and logs it", async () => {
    const r = await postWebhook(app.url, job.jobId, secret, { type: "error", sequence: 50, errorType: "Oops", message: "?" });
    expect(r).toMatchObject({ status: 422, body: { error: { code: "VALIDATION", field: "errorType" } } });
    const unknownType = await postWebhook(app.url, job.jobId, secret, { type: "telemetry", sequence: 51 });
    expect(unknownType).toMatchObject({ status: 422, body: { error: { code: "VALIDATION", field: "type" } } });
    const logged = await app.services.db.jobEvent.findMany({
      where: { jobId: job.jobId, type: { in: ["error", "unknown"] } },
      orderBy: { id: "asc" },
    });
    expect(logged.map((e) => e.processingError)).toEqual([expect.stringMatching(/^VALIDATION/), expect.stringMatching(/^VALIDATION/)]);
    // A type that is none of the event log's is logged as unknown, the report as received in the payload.
    expect(logged[1]).toMatchObject({ type: "unknown", payload: { received: { type: "telemetry", sequence: 51 } } });
    const notJson = await fetch(`${app.url}/api/webhooks/trainer/${job.jobId}`, {
      method: "POST",
      headers: {
        "webhook-id": "msg_nj",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": new Webhook(secret).sign("msg_nj", new Date(), "{nope"),
      },
      body: "{nope",
    });
    expect(notJson.status).toBe(400);
  });
});
