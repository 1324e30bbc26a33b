import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { alertsOf, cancelLiveJobs, createMoneyJob, sleep, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";
import { waitFor } from "@tuneloop/testing/waitFor";
import { runDueAutoRetries } from "./autoRetry.js";

// Transient failures are retried by themselves after AUTO_RETRY_DELAY_SECONDS
// (60 s in production; a fraction of a second here), at most AUTO_RETRY_MAX
// times in a row, each retry in the event log; other failures wait for a person.
// Only a failure left to a person raises JOB_FAILED (pages people on call).

const JOB = `query($id:ID!){ job(id:$id){ id name status errorType autoRetryAt autoRetryAttempt retryCount retryOf { id }
  events(last: 30){ edges { node { type message payload } } } } }`;

describe(`automatic retry of transient failures (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let engineer: string;

  beforeAll(async () => {
    app = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE, autoRetryDelaySeconds: 0.2, autoRetryMax: 2 });
    engineer = await app.session("engineer");
  });
  afterAll(() => app?.stop());
  afterEach(() => cancelLiveJobs(app));

  const job = async (id: string) => (await app.gql(JOB, { id }, engineer)).data.job;
  const events = async (id: string) => (await job(id)).events.edges.map((e: any) => e.node);
  const retryOf = (id: string) =>
    waitFor(`the automatic retry of ${id}`, () => app.services.db.trainingJob.findFirst({ where: { retryOfId: id } }), 15_000);
  const failedAlerts = async (...jobIds: string[]) =>
    (await alertsOf(app, engineer, ["JOB_FAILED"])).filter((a) => a.jobId && jobIds.includes(a.jobId));
  const failedAlertOf = (id: string) => waitFor(`the JOB_FAILED alert of ${id}`, async () => (await failedAlerts(id))[0], 10_000);

  /** Claims `jobId` with a test worker and fails it with `errorType`. */
  async function fail(jobId: string, errorType: string, message: string, transient?: boolean) {
    const trainer = await TestTrainer.claim(app, jobId);
    await trainer.status("PREPROCESSING");
    if (transient === undefined) await trainer.fail(errorType, message);
    else {
      const r = await app.gql(
        `mutation($j:ID!,$t:String!,$m:String!,$tr:Boolean){ reportTrainingError(jobId:$j, sequence:99, errorType:$t, message:$m, transient:$tr){ __typename } }`,
        { j: jobId, t: errorType, m: message, tr: transient },
        trainer.token,
      );
      expect(r.data.reportTrainingError.__typename).toBe("ReportTrainingErrorSuccess");
    }
  }

  it("retries a NetworkError by itself after the delay, up to the bound, each retry in the event log", async () => {
    const first = (await createMoneyJob(app, engineer, { name: "flaky network", start: true })).data;
    await fail(first.id, "NetworkError", "Lost connection to the API for 120 s");
    expect(await job(first.id)).toMatchObject({ status: "FAILED", errorType: "NetworkError" });
    const log = await events(first.id);
    expect(log.find((e: any) => e.type === "error").message).toMatch(/retried automatically in 0 s \(automatic retry 1 of 2\)/);
    expect(log.find((e: any) => e.type === "status_changed" && e.payload.to === "FAILED").payload.autoRetryAt).toEqual(expect.any(String));

    const second = await retryOf(first.id);
    expect(await job(second.id)).toMatchObject({
      status: "QUEUED",
      autoRetryAttempt: 1,
      retryCount: 1,
      retryOf: { id: first.id },
      name: "flaky network (retry 1)",
    });
    await waitFor("the auto_retry event", async () => (await events(first.id)).some((e: any) => e.type === "auto_retry"), 5000);
    expect((await events(first.id)).find((e: any) => e.type === "auto_retry")).toMatchObject({
      message: expect.stringContaining("automatic retry 1 of 2"),
      payload: { retryJobId: second.id, attempt: 1 },
    });
    expect((await job(first.id)).autoRetryAt).toBeNull();

    await fail(second.id, "NetworkError", "Lost connection again");
    const third = await retryOf(second.id);
    expect(await job(third.id)).toMatchObject({ autoRetryAttempt: 2, retryCount: 2 });

    // The bound is reached: this failure waits for a person (the one-click retry).
    await fail(third.id, "NetworkError", "Still no connection");
    expect(await job(third.id)).toMatchObject({ status: "FAILED", autoRetryAt: null });
    expect((await events(third.id)).find((e: any) => e.type === "error").message).not.toMatch(/automatically/);
    // Only then is anybody paged, once, saying that the system gave up.
    const alert = await failedAlertOf(third.id);
    expect(alert.message).toContain("It was automatic retry 2: the system retries it no more.");
    expect(alert.data).toMatchObject({ errorType: "NetworkError", autoRetryAttempt: 2 });
    expect(await failedAlerts(first.id, second.id, third.id)).toHaveLength(1);
  });

  it("leaves other failures to a person, unless the trainer marks them transient", async () => {
    const oom = (await createMoneyJob(app, engineer, { name: "out of memory", start: true })).data;
    await fail(oom.id, "OutOfMemoryError", "CUDA out of memory");
    expect((await job(oom.id)).autoRetryAt).toBeNull();

    const marked = (await createMoneyJob(app, engineer, { name: "marked transient", start: true })).data;
    await fail(marked.id, "UnknownError", "Storage returned 503", true);
    const retry = await retryOf(marked.id);
    expect(retry.autoRetryAttempt).toBe(1);
    // Nothing retried the out-of-memory job meanwhile.
    expect(await app.services.db.trainingJob.count({ where: { retryOfId: oom.id } })).toBe(0);
    // The out-of-memory failure pages people at once; the retried one does not.
    expect((await failedAlertOf(oom.id)).data).toMatchObject({ errorType: "OutOfMemoryError", autoRetryAttempt: 0 });
    expect(await failedAlerts(marked.id)).toEqual([]);
  });

  it("pages people when the automatic retry is refused", async () => {
    const refused = (await createMoneyJob(app, engineer, { name: "creator gone", start: true })).data;
    await fail(refused.id, "NetworkError", "Lost connection");
    const { createdById, orgId } = await app.services.db.trainingJob.update({
      where: { id: refused.id },
      data: { autoRetryAt: new Date(Date.now() + 3600_000) },
    });
    // Pending: nobody is paged.
    await sleep(1500);
    expect(await failedAlerts(refused.id)).toEqual([]);
    // Its creator leaves before the retry is due: the retry is refused and left to a person.
    const membership = { userId: createdById, orgId };
    await app.services.db.membership.updateMany({ where: membership, data: { deactivatedAt: new Date() } });
    try {
      await app.services.db.trainingJob.update({ where: { id: refused.id }, data: { autoRetryAt: new Date() } });
      await waitFor(
        "the refused retry",
        async () => (await app.services.db.jobEvent.count({ where: { jobId: refused.id, type: "auto_retry_failed" } })) > 0,
        5000,
      );
    } finally {
      await app.services.db.membership.updateMany({ where: membership, data: { deactivatedAt: null } });
    }
    expect(await failedAlertOf(refused.id)).toMatchObject({ type: "JOB_FAILED" });
    expect((await job(refused.id)).autoRetryAt).toBeNull();
  });

  it("a retry due on several instances at once is started once; a person retrying first takes its place", async () => {
    const job1 = (await createMoneyJob(app, engineer, { name: "raced", start: true })).data;
    await fail(job1.id, "NetworkError", "Lost connection");
    // Several instances' ticks (and this app's own) at the same moment.
    await Promise.all([runDueAutoRetries(app.services), runDueAutoRetries(app.services), runDueAutoRetries(app.services)]);
    await retryOf(job1.id);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await app.services.db.trainingJob.count({ where: { retryOfId: job1.id } })).toBe(1);
    await cancelLiveJobs(app);

    const job2 = (await createMoneyJob(app, engineer, { name: "retried by hand", start: true })).data;
    // A long delay on this one, so that the person is first.
    await fail(job2.id, "NetworkError", "Lost connection");
    await app.services.db.trainingJob.update({ where: { id: job2.id }, data: { autoRetryAt: new Date(Date.now() + 3600_000) } });
    const manual = await app.gql(
      `mutation($id:ID!){ retryTrainingJob(id:$id){ __typename ... on RetryTrainingJobSuccess { data { id autoRetryAttempt } } } }`,
      { id: job2.id },
      engineer,
    );
    expect(manual.data.retryTrainingJob).toMatchObject({ __typename: "RetryTrainingJobSuccess", data: { autoRetryAttempt: 0 } });
    expect((await job(job2.id)).autoRetryAt).toBeNull();
    // No retry of the system's is pending any more: the failure is reported as any other.
    await failedAlertOf(job2.id);
    // The raced job was retried by the system: nobody was paged.
    expect(await failedAlerts(job1.id)).toEqual([]);
  });
});
