import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { outcome, postWebhook, REPORT, trainingPoints } from "@tuneloop/testing/trainerReports";
import { CLAIM, HEARTBEAT, createWorkerKey, queueJob } from "@tuneloop/testing/workerApi";
import { backgroundTasks } from "../background.js";

// A job's trainer token serves its job only while its worker holds the job's
// lease, and reaches nothing beyond the job.

describe("trainer tokens", () => {
  let app: TestApp;
  let workerKey: string;
  let engineer: string;
  /** Queues a job and claims it as a worker would; returns the job and its trainer token. */
  const claimed = async (name: string) => {
    const jobId = await queueJob(app, name);
    const claim = (await app.gql(CLAIM, { w: "w1" }, workerKey)).data.claimTrainingJob.data.claim;
    expect(claim.job.id).toBe(jobId);
    return { jobId, token: claim.trainerToken as string };
  };
  const metrics = (job: { jobId: string; token: string }, from: number) =>
    app.gql(REPORT.metrics, { j: job.jobId, p: trainingPoints(from, from) }, job.token);

  beforeAll(async () => {
    // Without the lease-expiry tick a lease can sit expired and not yet taken back: the window the last test needs.
    backgroundTasks.splice(
      backgroundTasks.findIndex((task) => task.name === "expire worker leases"),
      1,
    );
    app = await startTestApp();
    workerKey = await createWorkerKey(app);
    engineer = await app.login("engineer");
  });
  afterAll(() => app.stop());

  it("reads its own job's fields but nothing through its relations: retryOf, createdBy, dataset", async () => {
    const earlier = await queueJob(app, "an earlier job");
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: earlier }, engineer);
    const job = await claimed("reach");
    await app.services.db.trainingJob.update({ where: { id: job.jobId }, data: { retryOfId: earlier } });
    const report = (fields: string) =>
      app.gql(
        `mutation($j:ID!,$s:Int!){ reportTrainingStatus(jobId:$j, sequence:$s, status:PREPROCESSING){ ... on ReportTrainingStatusSuccess { data { ${fields} } } } }`,
        { j: job.jobId, s: 1 },
        job.token,
      );
    expect((await report("id status")).data.reportTrainingStatus.data).toEqual({ id: job.jobId, status: "PREPROCESSING" });
    for (const [fields, secret] of [
      ["retryOf { name }", "an earlier job"],
      ["createdBy { email }", "engineer@demo"],
      ["dataset { name }", "demo"],
    ]) {
      const result = await report(`id ${fields}`);
      expect(result.errors?.[0].extensions.code, fields).toBe("FORBIDDEN");
      expect(JSON.stringify(result.data ?? null)).not.toContain(secret);
    }
  });

  it("is refused once the job is cancelled, and so is its webhook secret; the heartbeat still tells the worker to stop", async () => {
    const job = await claimed("to cancel");
    expect(outcome(await metrics(job, 1)).data).toBe(2);
    const secret = outcome(await app.gql(REPORT.webhookSecret, { j: job.jobId }, job.token)).data;
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: job.jobId }, engineer);
    expect((await metrics(job, 2)).errors![0].extensions.code).toBe("FORBIDDEN");
    const late = await postWebhook(app.url, job.jobId, secret, { type: "metrics", points: trainingPoints(3, 3) });
    expect(late).toMatchObject({ status: 409, body: { error: { code: "INVALID_TRANSITION" } } });
    expect(await app.services.db.metricPoint.count({ where: { jobId: job.jobId, step: { gt: 1 } } })).toBe(0);
    expect((await app.gql(HEARTBEAT, { id: job.jobId }, job.token)).data.heartbeatTrainingJob.data).toMatchObject({
      leaseExpiresAt: null,
      status: "CANCELLED",
      cancelRequested: true,
    });
  });

  it("is refused once the job completed", async () => {
    const job = await claimed("to complete");
    const stages = ["PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION"];
    for (const [i, st] of stages.entries())
      expect(outcome(await app.gql(REPORT.status, { j: job.jobId, s: i + 1, st }, job.token)).data.status).toBe(st);
    expect(outcome(await app.gql(REPORT.complete, { j: job.jobId, s: 5 }, job.token)).data.status).toBe("COMPLETED");
    expect((await metrics(job, 1)).errors![0].extensions.code).toBe("FORBIDDEN");
  });

  it("is refused while the worker's lease has run out, and works again once a heartbeat renews it", async () => {
    const job = await claimed("lease");
    await app.services.db.trainingJob.update({ where: { id: job.jobId }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    expect((await metrics(job, 1)).errors![0].extensions.code).toBe("FORBIDDEN");
    expect((await app.gql(HEARTBEAT, { id: job.jobId }, job.token)).data.heartbeatTrainingJob.data.leaseExpiresAt).not.toBeNull();
    expect(outcome(await metrics(job, 1)).data).toBe(2);
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: job.jobId }, engineer);
  });
});
