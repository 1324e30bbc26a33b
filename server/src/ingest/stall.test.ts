import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { flagStalledJobs } from "./stall.js";
import { outcome, REPORT, startRunningJob, trainingPoints } from "@tuneloop/testing/trainerReports";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ stallSeconds: 1 });
});
afterAll(() => app?.stop());

const stalledEvents = (jobId: string) =>
  app.services.db.jobEvent.findMany({ where: { jobId, type: { in: ["stalled", "stall_cleared"] } }, orderBy: { id: "asc" } });

describe("stalled jobs", () => {
  it("flags a running job once when its reports stop, and clears the flag when they resume", async () => {
    const job = await startRunningJob(app);
    await app.gql(REPORT.metrics, { j: job.jobId, p: trainingPoints(1, 3) }, job.trainerToken).then(outcome);
    // The background task (every second, stallSeconds = 1) notices.
    const deadline = Date.now() + 10_000;
    while (!(await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } })).stalledAt && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await stalledEvents(job.jobId)).map((e) => e.type)).toEqual(["stalled"]);
    // Asking again changes nothing: once per stall.
    expect(await flagStalledJobs(app.services, new Date(Date.now() + 60_000))).not.toContain(job.jobId);
    expect(await stalledEvents(job.jobId)).toHaveLength(1);

    const seen = await app.gql(`query($id:ID!){ job(id:$id){ stalledAt } }`, { id: job.jobId }, job.session);
    expect(seen.data.job.stalledAt).not.toBeNull();
    await app.gql(REPORT.metrics, { j: job.jobId, p: trainingPoints(4, 4) }, job.trainerToken).then(outcome);
    expect((await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } })).stalledAt).toBeNull();
    expect((await stalledEvents(job.jobId)).map((e) => e.type)).toEqual(["stalled", "stall_cleared"]);
  });

  it("leaves alone jobs that are not running, and jobs whose status just changed", async () => {
    const running = await startRunningJob(app, "just resumed");
    const later = new Date(Date.now() + 5_000);
    // A status change within the stall window (e.g. a new worker took it over) is a sign of life.
    await app.services.db.jobEvent.updateMany({ where: { jobId: running.jobId, type: "status_changed" }, data: { receivedAt: later } });
    const queued = await startRunningJob(app, "failed one");
    await app.gql(REPORT.error, { j: queued.jobId, s: 1, t: "NetworkError", m: "gone" }, queued.trainerToken).then(outcome);
    const flagged = await flagStalledJobs(app.services, new Date(later.getTime() + 500));
    expect(flagged).not.toContain(running.jobId);
    expect(flagged).not.toContain(queued.jobId);
    expect(await flagStalledJobs(app.services, new Date(later.getTime() + 2_000))).toContain(running.jobId);
  });
});
