import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createJob, demoDatasetId } from "@tuneloop/testing/fixtures";
import { subscribeWs, wsClient } from "@tuneloop/testing/subscribers";
import { appendEvent, inTransaction } from "./service.js";

// Events are announced to subscribers once the transaction that wrote them has
// committed: never before (a subscriber would read a row it cannot see yet),
// never after a rollback (it would read a row that does not exist).

let app: TestApp;
let jobId: string;
beforeAll(async () => {
  app = await startTestApp();
  const engineer = await app.session("engineer");
  const created = await createJob(app, engineer, { name: "after commit", settings: { datasetId: await demoDatasetId(app, engineer) } });
  jobId = created.data.createTrainingJob.data.id;
});
afterAll(() => app?.stop());

describe("inTransaction", () => {
  it("publishes the events appended in it once it commits, and none after a rollback", async () => {
    const published: number[] = [];
    const stream = app.services.pubsub.subscribe("job:events", jobId);
    const reading = (async () => {
      for await (const { eventId } of stream) published.push(eventId);
    })();

    const rollback = inTransaction(app.services, async (tx) => {
      await appendEvent(tx, { jobId, type: "warning", message: "rolled back", source: "system" });
      throw new Error("refused");
    });
    await expect(rollback).rejects.toThrow("refused");
    const kept = await inTransaction(app.services, async (tx) => {
      const event = await appendEvent(tx, { jobId, type: "warning", message: "kept", source: "system" });
      expect(published).toEqual([]); // not before the commit
      return event;
    });

    for (let tries = 0; published.length === 0 && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
    expect(published).toEqual([kept.id]);
    expect(await app.services.db.jobEvent.count({ where: { jobId, message: "rolled back" } })).toBe(0);
    await stream.return?.();
    await reading;
  });
});

describe("a job created and started at once", () => {
  it("announces its events and its creation and start once the job exists", async () => {
    const engineer = await app.session("engineer");
    const client = wsClient(app.url, engineer);
    const list = subscribeWs(client, "subscription { jobListChanged { jobId change } }", {});
    const publish = vi.spyOn(app.services.pubsub, "publish");
    try {
      // The subscription is live once it hears of a job created after it.
      const datasetId = await demoDatasetId(app, engineer);
      for (let tries = 0; list.results.length === 0 && tries < 20; tries++) {
        await createJob(app, engineer, { name: "warm-up", settings: { datasetId } });
        await list.until((results) => results.length > 0, 500).catch(() => {});
      }
      const created = await createJob(app, engineer, {
        name: "started at once",
        start: true,
        settings: { datasetId },
      });
      const job = created.data.createTrainingJob.data;
      expect(job.status).toBe("QUEUED");

      const logged = await app.services.db.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { id: "asc" } });
      expect(logged.map((e) => e.type)).toEqual(["created", "status_changed"]);
      const announced = publish.mock.calls.filter(([topic, id]) => topic === "job:events" && id === job.id).map(([, , payload]) => payload);
      expect(announced).toEqual(logged.map((e) => ({ jobId: job.id, eventId: e.id })));

      const changes = await list.until((results) => results.filter((r) => r.data?.jobListChanged.jobId === job.id).length >= 2);
      expect(changes.filter((r) => r.data?.jobListChanged.jobId === job.id).map((r) => r.data.jobListChanged.change)).toEqual([
        "CREATED",
        "UPDATED",
      ]);
    } finally {
      publish.mockRestore();
      await list.close();
      await client.dispose();
    }
  });
});
