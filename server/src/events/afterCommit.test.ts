import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { createJob, demoDatasetId } from "../testing/fixtures.js";
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
