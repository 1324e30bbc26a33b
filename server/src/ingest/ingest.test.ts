import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { claimForTest, outcome, REPORT, startRunningJob, trainingPoints, type RunningJob } from "@tuneloop/testing/trainerReports";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

const events = (jobId: string) => app.services.db.jobEvent.findMany({ where: { jobId }, orderBy: { id: "asc" } });
const report = (job: RunningJob, kind: keyof typeof REPORT, variables: Record<string, unknown>, token = job.trainerToken) =>
  app.gql(REPORT[kind], { j: job.jobId, ...variables }, token).then(outcome);

describe("trainer reports through GraphQL", () => {
  it("does not bill the time the trainer says was not the job's own work (the demo base model's build), once per report", async () => {
    const job = await startRunningJob(app);
    const startedHoursAgo = (hours: number) =>
      app.services.db.trainingJob.update({ where: { id: job.jobId }, data: { startedAt: new Date(Date.now() - hours * 3600_000) } });
    await startedHoursAgo(1);
    await report(job, "status", { s: 1, st: "PREPROCESSING" });
    // Another hour passes, all of it building the base model, reported as it goes.
    await startedHoursAgo(1.5);
    await report(job, "status", { s: 2, st: "MODEL_LOADING", sp: 50, ub: 1800 });
    await report(job, "status", { s: 2, st: "MODEL_LOADING", sp: 50, ub: 1800 }); // redelivered: applied once
    await startedHoursAgo(2);
    await report(job, "status", { s: 3, st: "MODEL_LOADING", sp: 100, ub: 1800 });
    const query = `query($id:ID!){ job(id:$id){ billableSeconds actualCostUsd currentCostUsd hourlyRateUsd } }`;
    const j = (await app.gql(query, { id: job.jobId }, job.session)).data.job;
    // Two hours since the start, one of them building: one hour billed.
    expect(j.billableSeconds).toBeGreaterThanOrEqual(3600);
    expect(j.billableSeconds).toBeLessThan(3700);
    expect(j.actualCostUsd).toBeCloseTo((j.billableSeconds / 3600) * j.hourlyRateUsd, 3);
    expect(j.currentCostUsd).toBeCloseTo(j.actualCostUsd, 2);
    const negative = await report(job, "status", { s: 4, st: "MODEL_LOADING", ub: -5 });
    expect(negative).toMatchObject({ code: "VALIDATION", field: "unbilledSeconds" });
  });

  it("walks a job through its stages to completion, keeping progress, latest values and cost", async () => {
    const job = await startRunningJob(app);
    // An hour of billable time so far.
    await app.services.db.trainingJob.update({ where: { id: job.jobId }, data: { startedAt: new Date(Date.now() - 3600_000) } });
    let seq = 0;
    for (const status of ["PREPROCESSING", "MODEL_LOADING", "TRAINING"]) {
      const r = await report(job, "status", { s: ++seq, st: status, t: status === "TRAINING" ? 200 : null });
      expect(r.__typename).toBe("ReportTrainingStatusSuccess");
      expect(r.data.status).toBe(status);
    }
    // Any name is a series of its own, even one that looks like an object's property.
    const stored = await report(job, "metrics", {
      p: [...trainingPoints(1, 50), { name: "val_loss", step: 50, value: 2.5 }, { name: "constructor", step: 50, value: 7 }],
      s: ++seq,
    });
    expect(stored).toMatchObject({ __typename: "ReportMetricsSuccess", data: 102 });

    const fetched = await app.gql(
      `query($id:ID!){ job(id:$id){ status progress currentStep currentEpoch latestLoss latestValLoss latestLearningRate billableSeconds actualCostUsd hourlyRateUsd } }`,
      { id: job.jobId },
      job.session,
    );
    const j = fetched.data.job;
    expect(j).toMatchObject({
      status: "TRAINING",
      currentStep: 50,
      progress: 25,
      currentEpoch: 0.5,
      latestValLoss: 2.5,
      latestLearningRate: 2e-4,
    });
    expect(j.latestLoss).toBeCloseTo(3 - 50 / 1000);
    expect(j.billableSeconds).toBeGreaterThanOrEqual(3600);
    expect(j.billableSeconds).toBeLessThan(3700);
    expect(j.actualCostUsd).toBeCloseTo((j.billableSeconds / 3600) * j.hourlyRateUsd, 3);

    const done = await report(job, "complete", { s: ++seq, sum: { finalLoss: 2.95 } });
    expect(done.data).toMatchObject({ status: "COMPLETED", progress: 100 });
    expect(done.data.finishedAt).not.toBeNull();
    const final = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } });
    expect(final.billableSeconds).toBeCloseTo((final.finishedAt!.getTime() - final.startedAt!.getTime()) / 1000, 1);
    expect(final.lastSequence).toBe(seq);

    const log = await events(job.jobId);
    expect(log.filter((e) => e.type === "status_changed").map((e) => (e.payload as { to: string }).to)).toEqual(
      expect.arrayContaining(["PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION", "COMPLETED"]),
    );
    const completed = log.find((e) => e.type === "completed")!;
    expect(completed).toMatchObject({ source: "trainer", dedupeKey: `seq:${seq}`, processingError: null });
    expect(completed.payload).toMatchObject({ summary: { finalLoss: 2.95 } });
    expect(completed.processedAt!.getTime()).toBeGreaterThanOrEqual(completed.receivedAt.getTime());
  });

  it("ignores duplicate points and stores late ones without moving progress backwards", async () => {
    const job = await startRunningJob(app);
    await report(job, "status", { s: 1, st: "PREPROCESSING", t: 100 });
    expect((await report(job, "metrics", { p: trainingPoints(10, 20) })).data).toBe(22);
    // The same points again (a retry), and a batch with some old and some new.
    expect((await report(job, "metrics", { p: trainingPoints(10, 20) })).data).toBe(0);
    expect((await report(job, "metrics", { p: trainingPoints(18, 22) })).data).toBe(4);
    // Late points from before: stored in place, progress stays at step 22.
    expect((await report(job, "metrics", { p: trainingPoints(1, 9) })).data).toBe(18);
    const row = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } });
    expect(row).toMatchObject({ currentStep: 22, progress: 22 });
    expect(row.latestLoss).toBeCloseTo(3 - 22 / 1000);
    const steps = await app.services.db.metricPoint.findMany({
      where: { jobId: job.jobId, name: "train_loss" },
      orderBy: { step: "asc" },
      select: { step: true },
    });
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    // The rollup counted each point once.
    const rollup = await app.services.db.metricRollup.findMany({ where: { jobId: job.jobId, name: "train_loss", width: 4096 } });
    expect(rollup).toEqual([expect.objectContaining({ count: 22, minStep: 22, maxStep: 1 })]);
  });

  it("acknowledges and ignores a report whose sequence was already processed", async () => {
    const job = await startRunningJob(app);
    const first = await report(job, "status", { s: 1, st: "PREPROCESSING" });
    expect(first.data.status).toBe("PREPROCESSING");
    const again = await report(job, "status", { s: 1, st: "PREPROCESSING" });
    expect(again.__typename).toBe("ReportTrainingStatusSuccess");
    const checkpoint = await report(job, "checkpoint", { s: 2, step: 100, tl: 1.5 });
    const replay = await report(job, "checkpoint", { s: 2, step: 100, tl: 1.5 });
    expect(replay.data.id).toBe(checkpoint.data.id);
    const log = await events(job.jobId);
    // The stage change is the status report's one entry.
    expect(log.filter((e) => e.type === "status")).toHaveLength(0);
    expect(log.filter((e) => e.type === "checkpoint")).toHaveLength(1);
    expect(log.filter((e) => e.type === "status_changed" && (e.payload as { to: string }).to === "PREPROCESSING")).toEqual([
      expect.objectContaining({ dedupeKey: "seq:1" }),
    ]);
  });

  it("logs each stage change once, carrying the report, and keeps a long stage's progress", async () => {
    const job = await startRunningJob(app);
    await report(job, "status", { s: 1, st: "PREPROCESSING", m: "Reading the dataset (100 bytes)" });
    await report(job, "status", { s: 2, st: "MODEL_LOADING", m: "Loading base model tuneloop-llama-1m" });
    // Sent again (its acknowledgement was lost): still one entry.
    expect((await report(job, "status", { s: 2, st: "MODEL_LOADING", m: "Loading base model tuneloop-llama-1m" })).__typename).toBe(
      "ReportTrainingStatusSuccess",
    );
    const progress = `query($id:ID!){ job(id:$id){ stageProgress { status percent secondsLeft message } } }`;
    expect((await app.gql(progress, { id: job.jobId }, job.session)).data.job.stageProgress).toBeNull();
    await report(job, "status", { s: 3, st: "MODEL_LOADING", m: "Building the demo base model: 40%", sp: 40, sl: 90 });
    expect((await app.gql(progress, { id: job.jobId }, job.session)).data.job.stageProgress).toEqual({
      status: "MODEL_LOADING",
      percent: 40,
      secondsLeft: 90,
      message: "Building the demo base model: 40%",
    });
    const badPercent = await report(job, "status", { s: 4, st: "MODEL_LOADING", sp: 140 });
    expect(badPercent).toMatchObject({ code: "VALIDATION", field: "stagePercent" });
    await report(job, "status", { s: 5, st: "TRAINING", t: 24 });
    // Progress belongs to its stage: the next one starts without.
    expect((await app.gql(progress, { id: job.jobId }, job.session)).data.job.stageProgress).toBeNull();

    const log = (await events(job.jobId)).filter((e) => !e.processingError);
    expect(log.map((e) => [e.type, e.message])).toEqual([
      ["created", expect.any(String)],
      ["status_changed", expect.any(String)],
      ["status_changed", expect.any(String)],
      ["status_changed", "Reading the dataset (100 bytes)"],
      ["status_changed", "Loading base model tuneloop-llama-1m"],
      ["status", "Building the demo base model: 40%"],
      ["status_changed", "model loading → training"],
    ]);
    const loading = log[4];
    expect(loading).toMatchObject({ source: "trainer", dedupeKey: "seq:2" });
    expect(loading.payload).toMatchObject({
      from: "PREPROCESSING",
      to: "MODEL_LOADING",
      report: { type: "status", sequence: 2, status: "MODEL_LOADING" },
    });
  });

  it("logs a refused report with its error, and refuses bad input with the field", async () => {
    const job = await startRunningJob(app);
    // PROVISIONING cannot jump to FINALIZATION.
    const refused = await report(job, "status", { s: 1, st: "FINALIZATION" });
    expect(refused).toMatchObject({ __typename: "AppError", code: "INVALID_TRANSITION", field: "status" });
    const bad = await report(job, "error", { s: 2, t: "DiskFullError", m: "disk full" });
    expect(bad).toMatchObject({ __typename: "AppError", code: "VALIDATION", field: "errorType" });
    const badPoint = await report(job, "metrics", { p: [{ name: "train_loss", step: -1, value: 1 }] });
    expect(badPoint).toMatchObject({ code: "VALIDATION", field: "points.0.step" });
    const log = await events(job.jobId);
    const status = log.find((e) => e.type === "status")!;
    expect(status.processingError).toMatch(/^INVALID_TRANSITION: /);
    expect(status.dedupeKey).toBe("seq:1");
    expect(log.find((e) => e.type === "error")!.processingError).toMatch(/^VALIDATION: errorType/);
    const row = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } });
    expect(row.status).toBe("PROVISIONING");
    expect(row.lastReportAt).not.toBeNull();
    // The refused sequence is acknowledged when sent again.
    expect((await report(job, "status", { s: 1, st: "FINALIZATION" })).__typename).toBe("ReportTrainingStatusSuccess");
  });

  it("records an interruption, the resume and a failure", async () => {
    const job = await startRunningJob(app);
    await report(job, "status", { s: 1, st: "PREPROCESSING" });
    await report(job, "status", { s: 2, st: "MODEL_LOADING" });
    await report(job, "status", { s: 3, st: "TRAINING" });
    const interrupted = await report(job, "interrupted", { s: 4, step: 120, r: "spot instance reclaimed" });
    expect(interrupted.data.status).toBe("RECOVERING");
    // The worker that takes over claims it (PROVISIONING, a token of its own), then its trainer says where it resumed.
    const takeover = { ...job, ...(await claimForTest(app.services, job.jobId)) };
    const resumed = await report(takeover, "resumed", { s: 5, f: 100 });
    expect(resumed.data).toMatchObject({ status: "PROVISIONING", recoveryCount: 1 });
    const failed = await report(takeover, "error", { s: 6, t: "OutOfMemoryError", m: "CUDA out of memory", d: { batchSize: 8 } });
    expect(failed.data).toMatchObject({ status: "FAILED", errorType: "OutOfMemoryError", errorMessage: "CUDA out of memory" });
    const log = await events(job.jobId);
    expect(log.find((e) => e.type === "interrupted")).toMatchObject({
      payload: expect.objectContaining({ step: 120, reason: "spot instance reclaimed" }),
    });
    expect(log.find((e) => e.type === "resumed")).toMatchObject({ payload: expect.objectContaining({ fromStep: 100 }) });
    expect(log.find((e) => e.type === "error")).toMatchObject({ payload: expect.objectContaining({ details: { batchSize: 8 } }) });
  });

  it("goes to VALIDATION when a validation stage follows", async () => {
    const job = await startRunningJob(app);
    let s = 0;
    for (const st of ["PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION"]) await report(job, "status", { s: ++s, st });
    expect((await report(job, "complete", { s: ++s, v: true })).data.status).toBe("VALIDATION");
  });

  it("lets a trainer token report only on its own job", async () => {
    const job = await startRunningJob(app);
    const other = await startRunningJob(app, "another job");
    const forbidden = await report(job, "metrics", { p: trainingPoints(1, 1) }, other.trainerToken);
    expect(forbidden).toMatchObject({ __typename: "AppError", code: "FORBIDDEN" });
    const asUser = await app.gql(REPORT.metrics, { j: job.jobId, p: trainingPoints(1, 1) }, job.session);
    expect(asUser.errors?.[0].extensions.code).toBe("FORBIDDEN");
    const anonymous = await app.gql(REPORT.metrics, { j: job.jobId, p: trainingPoints(1, 1) });
    expect(anonymous.errors?.[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(await app.services.db.metricPoint.count({ where: { jobId: job.jobId } })).toBe(0);
  });
});

describe("announcements of metrics reports", () => {
  it("tells the job's watchers of every report, and the organization's job lists only when the whole-percent progress moves", async () => {
    const job = await startRunningJob(app, "announced progress");
    let seq = 0;
    for (const status of ["PREPROCESSING", "MODEL_LOADING", "TRAINING"])
      await report(job, "status", { s: ++seq, st: status, t: status === "TRAINING" ? 1000 : null });
    const publish = vi.spyOn(app.services.pubsub, "publish");
    try {
      const heardAfter = async (step: number) => {
        publish.mockClear();
        await report(job, "metrics", { p: trainingPoints(step, step), s: ++seq });
        const heard = () => publish.mock.calls.filter(([, id]) => id === job.jobId || id === job.orgId).map(([topic]) => topic);
        for (let tries = 0; !heard().includes("job:updated") && tries < 100; tries++) await new Promise((r) => setTimeout(r, 10));
        return heard();
      };
      // Steps 3 and 5 of 1,000: 0.3% and 0.5%, the list still shows 0%.
      expect(await heardAfter(3)).not.toContain("org:jobs");
      expect(await heardAfter(5)).not.toContain("org:jobs");
      // Step 12: 1.2%, the list's figure moves.
      expect(await heardAfter(12)).toEqual(expect.arrayContaining(["job:updated", "org:jobs"]));
    } finally {
      publish.mockRestore();
    }
  });
});
