import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createOtherOrganization } from "@tuneloop/testing/fixtures";
import { outcome, REPORT, startRunningJob, trainingPoints, type RunningJob } from "@tuneloop/testing/trainerReports";
import { subscribeSse, subscribeWs, wsClient, type Received, type Subscription } from "@tuneloop/testing/subscribers";

const POINTS = `subscription($j:ID!,$n:[String!],$a:Int){ metricPointsAdded(jobId:$j, names:$n, afterStep:$a){ jobId points { name step value epoch wallTime } } }`;
const EVENTS = `subscription($j:ID!){ jobEventAdded(jobId:$j){ id type message source payload processingError } }`;
const JOB = `subscription($id:ID!){ trainingJobUpdated(id:$id){ id currentStep progress } }`;

let app: TestApp;
// One WebSocket connection per token, as a browser tab holds one.
const sockets = new Map<string | null, Client>();
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await Promise.all([...sockets.values()].map((client) => client.dispose()));
  await app?.stop();
});

const steps = (results: Received[], name?: string) =>
  results
    .flatMap((r) => r.data?.metricPointsAdded.points ?? [])
    .filter((p: any) => !name || p.name === name)
    .map((p: any) => p.step);

type Transport = (token: string | null, query: string, variables: Record<string, unknown>) => Promise<Subscription>;
const transports: [string, Transport][] = [
  [
    "graphql-ws",
    async (token, query, variables) => {
      if (!sockets.has(token)) sockets.set(token, wsClient(app.url, token));
      return subscribeWs(sockets.get(token)!, query, variables);
    },
  ],
  ["SSE", (token, query, variables) => subscribeSse(app.url, token, query, variables)],
];

describe.each(transports)("subscriptions over %s", (_name, subscribe) => {
  let job: RunningJob;
  const metrics = (points: object[]) => app.gql(REPORT.metrics, { j: job.jobId, p: points }, job.trainerToken).then(outcome);
  beforeAll(async () => {
    job = await startRunningJob(app);
  });

  it("replays the points stored after afterStep, then streams new ones, only of the names asked for", async () => {
    await metrics(trainingPoints(1, 10));
    const sub = await subscribe(job.session, POINTS, { j: job.jobId, n: ["train_loss"], a: 6 });
    await sub.until((r) => steps(r).length >= 4);
    expect(steps(sub.results)).toEqual([7, 8, 9, 10]);
    await metrics(trainingPoints(11, 12));
    // A re-sent batch stores nothing and sends nothing; the next new point still comes.
    await metrics(trainingPoints(11, 12));
    await metrics([{ name: "train_loss", step: 13, value: 0.5, epoch: 0.13, wallTime: 1_700_000_013 }]);
    await sub.until((r) => steps(r).includes(13));
    expect(steps(sub.results)).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect(sub.results.at(-1)!.data.metricPointsAdded).toEqual({
      jobId: job.jobId,
      points: [{ name: "train_loss", step: 13, value: 0.5, epoch: 0.13, wallTime: 1_700_000_013 }],
    });
    await sub.close();
  });

  it("streams every series when no names are given, late points included", async () => {
    const sub = await subscribe(job.session, POINTS, { j: job.jobId, a: 12 });
    await sub.until((r) => steps(r).length >= 1);
    expect(steps(sub.results)).toEqual([13]);
    const before = sub.results.length;
    await metrics([{ name: "val_loss", step: 5, value: 2.2 }]);
    await sub.until((r) => r.length > before);
    expect(sub.results.at(-1)!.data.metricPointsAdded.points).toEqual([
      expect.objectContaining({ name: "val_loss", step: 5, value: 2.2, epoch: null }),
    ]);
    await sub.close();
  });

  it("sends each new event of the job's log, and the job as it changes", async () => {
    const events = await subscribe(job.session, EVENTS, { j: job.jobId });
    const updates = await subscribe(job.session, JOB, { id: job.jobId });
    // Neither transport says when the server has subscribed: report until something arrives.
    for (let step = 100; events.results.length === 0 || updates.results.length === 0; step++) {
      await metrics([{ name: "grad_norm", step, value: 1 }]);
      await Promise.race([events.until((r) => r.length > 0, 300).catch(() => {}), new Promise((r) => setTimeout(r, 300))]);
    }
    const seen = events.results.length;
    await app.gql(REPORT.status, { j: job.jobId, s: 1, st: "PREPROCESSING", t: 1000 }, job.trainerToken).then(outcome);
    await app.gql(REPORT.status, { j: job.jobId, s: 2, st: "TRAINING" }, job.trainerToken).then(outcome);
    const all = await events.until((r) => r.slice(seen).some((e) => e.data?.jobEventAdded.processingError));
    // (Events of the last priming reports may still be arriving.)
    const fresh = all
      .slice(seen)
      .map((r) => r.data.jobEventAdded)
      .filter((e: any) => e.type !== "metrics");
    // One entry for the stage change (it carries the report), one for the refused report.
    expect(fresh.map((e: any) => e.type)).toEqual(["status_changed", "status"]);
    expect(fresh[0]).toMatchObject({
      source: "trainer",
      payload: expect.objectContaining({ to: "PREPROCESSING", report: expect.objectContaining({ sequence: 1 }) }),
      processingError: null,
    });
    expect(fresh[1].processingError).toMatch(/^INVALID_TRANSITION/);
    await updates.until((r) => r.some((u) => u.data?.trainingJobUpdated.progress > 0));
    await Promise.all([events.close(), updates.close()]);
  });

  it("refuses strangers", async () => {
    const rival = await createOtherOrganization(app);
    const notFound = await subscribe(rival, POINTS, { j: job.jobId });
    const [refused] = await notFound.until((r) => r.length > 0);
    expect(refused.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    const anonymous = await subscribe(null, EVENTS, { j: job.jobId });
    const [unauthenticated] = await anonymous.until((r) => r.length > 0);
    expect(unauthenticated.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    await Promise.all([notFound.close(), anonymous.close()]);
  });
});
