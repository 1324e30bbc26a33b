import { appendFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAIM, createWorkerKey, queueJob } from "@tuneloop/testing/workerApi";
import { ServerClient } from "./api";
import { deliverTo } from "./delivery";
import { ReportQueue, type QueuedReport } from "./reportQueue";
import { RestartableServer } from "@tuneloop/testing/workerProcesses";

let server: RestartableServer;
let jobId: string;
let token: string;
beforeAll(async () => {
  server = new RestartableServer();
  await server.start();
  const app = server.asTestApp();
  const key = await createWorkerKey(app);
  jobId = await queueJob(app, "queue test");
  token = (await app.gql(CLAIM, { w: "queue-test" }, key)).data.claimTrainingJob.data.claim.trainerToken;
});
afterAll(() => server.dispose());

describe("report queue", () => {
  it("keeps reports on disk across restarts, continues the sequence, delivers in order and skips refused ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "queue-"));
    const url = server.url;
    await server.stop();
    const given: string[] = [];
    const open = () =>
      ReportQueue.open(dir, deliverTo(new ServerClient(url, 2000)), (entry: QueuedReport) => given.push(entry.report.type));

    // The server is down: reports wait on disk.
    const first = await open();
    await first.enqueue(jobId, token, { type: "status", status: "PREPROCESSING", message: "reading", totalSteps: null });
    await first.enqueue(jobId, token, {
      type: "metrics",
      points: [{ name: "train_loss", step: 1, value: 2.5, epoch: 0, wallTime: Date.now() / 1000 }],
    });
    expect(await first.drain(300)).toBe(false);
    expect(first.unreachableForMs()).toBeGreaterThan(0);
    await first.close();
    // A crash in the middle of an append leaves a torn line; it is ignored.
    await appendFile(join(dir, "queue.jsonl"), '{"id": 99, "jobId": "');

    await server.start();
    const second = await open();
    // Not a legal move from PREPROCESSING: refused, given up, and the reports after it still go through.
    const refused = await second.enqueue(jobId, token, { type: "status", status: "FINALIZATION", message: "too early", totalSteps: null });
    const third = await second.enqueue(jobId, token, { type: "status", status: "MODEL_LOADING", message: "loading", totalSteps: 10 });
    expect([refused.sequence, third.sequence]).toEqual([2, 3]);
    expect(await second.drain(10_000)).toBe(true);
    await second.close();

    expect(given).toEqual(["status"]);
    const job = await server.db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "MODEL_LOADING", totalSteps: 10, lastSequence: 3, latestLoss: 2.5 });
    // The reports' entries: a stage report that moved the job is logged by its status change; a refused one as itself.
    const events = await server.db.jobEvent.findMany({
      where: { jobId, OR: [{ dedupeKey: { not: null } }, { type: "metrics" }] },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.type, e.dedupeKey, e.processingError === null])).toEqual([
      ["status_changed", "seq:1", true],
      ["metrics", null, true],
      ["status", "seq:2", false],
      ["status_changed", "seq:3", true],
    ]);
    expect(await readFile(join(dir, "queue.jsonl"), "utf8")).toBe("");
    expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8")).sequences[jobId]).toBe(3);
  });
});
