import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createOtherOrganization } from "@tuneloop/testing/fixtures";
import { outcome, REPORT, startRunningJob, type RunningJob } from "@tuneloop/testing/trainerReports";
import { DEFAULT_MAX_POINTS } from "./service.js";

// A series of 50,000 points, one every 10 steps over 500,000 steps, with a
// spike up and a spike down every 25,000 steps; and a dense one, every step.
const SPARSE_STEPS = 50_000;
const spikeUp = (k: number) => 25_000 * k + 5_000;
const spikeDown = (k: number) => 25_000 * k + 12_000;
function lossAt(step: number) {
  if (step % 25_000 === 5_000) return 40 + step / 1e6;
  if (step % 25_000 === 12_000) return -40 - step / 1e6;
  return 3 * Math.exp(-step / 200_000) + 0.05 * Math.sin(step / 700);
}
const sparse = Array.from({ length: SPARSE_STEPS }, (_, i) => ({
  name: "train_loss",
  step: i * 10,
  value: lossAt(i * 10),
  epoch: i / 10_000,
  wallTime: 1_700_000_000 + i * 2,
}));
const dense = Array.from({ length: 2_001 }, (_, step) => ({
  name: "grad_norm",
  step,
  value: step === 333 ? 99 : 1 + Math.cos(step / 30),
  wallTime: 1_700_000_000 + step,
}));

let app: TestApp;
let job: RunningJob;
beforeAll(async () => {
  app = await startTestApp();
  job = await startRunningJob(app, "metric history");
  await app.gql(REPORT.status, { j: job.jobId, s: 1, st: "PREPROCESSING", t: 600_000 }, job.trainerToken).then(outcome);
  // Sent in shuffled batches: the order of arrival must not matter.
  const all = [...sparse, ...dense];
  const order = all.map((_, i) => i).sort((a, b) => ((a * 7919) % 10007) - ((b * 7919) % 10007));
  for (let i = 0; i < order.length; i += 10_000) {
    const batch = order.slice(i, i + 10_000).map((k) => all[k]);
    expect((await app.gql(REPORT.metrics, { j: job.jobId, p: batch }, job.trainerToken).then(outcome)).data).toBe(batch.length);
  }
}, 120_000);
afterAll(() => app?.stop());

const SERIES = `query($id:ID!,$n:[String!]!,$m:Int,$f:Int,$t:Int){ job(id:$id){ metricSeries(names:$n, maxPoints:$m, fromStep:$f, toStep:$t){ name totalPoints downsampled points { name step value epoch wallTime } } } }`;
async function series(names: string[], maxPoints: number | null, fromStep?: number, toStep?: number, token = job.session) {
  const r = await app.gql(SERIES, { id: job.jobId, n: names, m: maxPoints, f: fromStep, t: toStep }, token);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.job.metricSeries as {
    name: string;
    totalPoints: number;
    downsampled: boolean;
    points: { step: number; value: number; epoch: number | null; wallTime: number }[];
  }[];
}

// Values come back exactly as sent (points travel to the database as JSON text,
// not as Prisma float parameters, which can lose the last binary digit).
const same = (a: number, b: number) => expect(a).toBe(b);

/** Checks a downsampled series against the raw points it came from. */
function expectFaithful(points: { step: number; value: number }[], raw: { step: number; value: number }[], maxPoints: number) {
  const byStep = new Map(raw.map((p) => [p.step, p]));
  expect(points.length).toBeLessThanOrEqual(maxPoints);
  points.forEach((p, i) => {
    same(p.value, byStep.get(p.step)!.value);
    if (i) expect(p.step).toBeGreaterThan(points[i - 1].step);
  });
  expect(points[0].step).toBe(raw[0].step);
  expect(points[points.length - 1].step).toBe(raw[raw.length - 1].step);
  const min = raw.reduce((a, p) => (p.value < a.value ? p : a));
  const max = raw.reduce((a, p) => (p.value > a.value ? p : a));
  expect(points.map((p) => p.step)).toEqual(expect.arrayContaining([min.step, max.step]));
}

describe("metric history", () => {
  it("downsamples a long series from the rollup, keeping every spike and both ends", async () => {
    const [s] = await series(["train_loss"], 1000);
    expect(s).toMatchObject({ name: "train_loss", totalPoints: SPARSE_STEPS, downsampled: true });
    expect(s.points.length).toBeGreaterThan(900);
    expectFaithful(s.points, sparse, 1000);
    const steps = new Set(s.points.map((p) => p.step));
    for (let k = 0; k < 20; k++) {
      expect(steps.has(spikeUp(k))).toBe(true);
      expect(steps.has(spikeDown(k))).toBe(true);
    }
    expect(s.points[0]).toMatchObject({ epoch: 0, wallTime: 1_700_000_000 });
  });

  it("downsamples a range that starts and ends inside rollup buckets", async () => {
    const [s] = await series(["train_loss"], 200, 123_457, 377_771);
    const raw = sparse.filter((p) => p.step >= 123_457 && p.step <= 377_771);
    expect(s.totalPoints).toBe(raw.length);
    expect(s.downsampled).toBe(true);
    expectFaithful(s.points, raw, 200);
    expect(s.points.map((p) => p.step)).toEqual(expect.arrayContaining([spikeUp(5), spikeDown(14)]));
  });

  it("downsamples a short dense range in memory, and returns full resolution when asked", async () => {
    const [short] = await series(["grad_norm"], 100, 0, 700);
    expect(short).toMatchObject({ totalPoints: 701, downsampled: true });
    expectFaithful(short.points, dense.slice(0, 701), 100);
    expect(short.points.map((p) => p.step)).toContain(333);

    const [full] = await series(["grad_norm"], null, 1990);
    expect(full).toMatchObject({ totalPoints: 11, downsampled: false });
    expect(full.points.map((p) => p.step)).toEqual(Array.from({ length: 11 }, (_, i) => 1990 + i));
    const [fits] = await series(["grad_norm"], 2000, 0, 1500);
    expect(fits).toMatchObject({ totalPoints: 1501, downsampled: false });
    expect(fits.points).toHaveLength(1501);
  });

  it("downsamples to a chart's worth of points when maxPoints is left out", async () => {
    const [s] = await series(["train_loss"], null);
    expect(s).toMatchObject({ totalPoints: SPARSE_STEPS, downsampled: true });
    expectFaithful(s.points, sparse, DEFAULT_MAX_POINTS);
  });

  it("answers several series at once, and empty ones", async () => {
    const result = await series(["grad_norm", "train_loss", "nothing"], 50);
    expect(result.map((s) => [s.name, s.totalPoints])).toEqual([
      ["grad_norm", 2001],
      ["train_loss", SPARSE_STEPS],
      ["nothing", 0],
    ]);
    expect(result[2]).toMatchObject({ points: [], downsampled: false });
    const bad = await app.gql(SERIES, { id: job.jobId, n: ["train_loss"], m: 5 }, job.session);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: "VALIDATION", field: "maxPoints" });
  });

  it("gives the latest point of each series and an ETA from the step rate", async () => {
    await app.gql(REPORT.status, { j: job.jobId, s: 2, st: "MODEL_LOADING" }, job.trainerToken).then(outcome);
    await app.gql(REPORT.status, { j: job.jobId, s: 3, st: "TRAINING" }, job.trainerToken).then(outcome);
    const r = await app.gql(
      `query($id:ID!){ job(id:$id){ currentStep totalSteps etaSeconds latestMetrics { name step value } } }`,
      { id: job.jobId },
      job.session,
    );
    const j = r.data.job;
    expect(j.latestMetrics.map((p: any) => [p.name, p.step])).toEqual([
      ["grad_norm", 2000],
      ["train_loss", 499_990],
    ]);
    same(j.latestMetrics[0].value, dense[2000].value);
    same(j.latestMetrics[1].value, lossAt(499_990));
    // train_loss advances 10 steps per 2 s of the trainer's clock: 5 steps/s.
    expect(j.etaSeconds).toBeCloseTo((600_000 - 499_990) / 5, 3);
  });

  it("keeps another organization out", async () => {
    const rival = await createOtherOrganization(app);
    const r = await app.gql(SERIES, { id: job.jobId, n: ["train_loss"], m: 100 }, rival);
    expect(r.errors?.[0].extensions.code).toBe("NOT_FOUND");
    const csv = await fetch(`${app.url}/api/jobs/${job.jobId}/metrics.csv`, { headers: { authorization: `Bearer ${rival}` } });
    expect(csv.status).toBe(404);
  });
});

describe("event log", () => {
  const EVENTS = `query($id:ID!,$first:Int,$after:String,$last:Int,$types:[JobEventType!],$search:String){ job(id:$id){ events(first:$first, after:$after, last:$last, types:$types, search:$search){
    totalCount pageInfo { hasNextPage endCursor } edges { node { id type message payload source receivedAt processedAt processingError } } } } }`;
  const events = async (vars: Record<string, unknown>) => (await app.gql(EVENTS, { id: job.jobId, ...vars }, job.session)).data.job.events;

  it("pages through the log, filters by type and searches", async () => {
    const all = await events({ first: 100 });
    const types = all.edges.map((e: any) => e.node.type);
    expect(types.slice(0, 2)).toEqual(["created", "status_changed"]);
    expect(types.filter((t: string) => t === "metrics")).toHaveLength(6);
    expect(all.totalCount).toBe(all.edges.length);

    const page1 = await events({ first: 3 });
    const page2 = await events({ first: 3, after: page1.pageInfo.endCursor });
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect([...page1.edges, ...page2.edges].map((e: any) => e.node.id)).toEqual(all.edges.slice(0, 6).map((e: any) => e.node.id));
    const newest = await events({ last: 1 });
    expect(newest.edges[0].node.id).toBe(all.edges[all.edges.length - 1].node.id);

    // Each stage the trainer reported is one status change, carrying its report.
    const changes = await events({ first: 50, types: ["status_changed"] });
    const reported = changes.edges.map((e: any) => e.node).filter((node: any) => node.source === "trainer");
    expect(reported.map((node: any) => node.payload.to)).toEqual(["PREPROCESSING", "MODEL_LOADING", "TRAINING"]);
    expect(reported[0]).toMatchObject({ processingError: null, payload: { report: expect.any(Object) } });
    const found = await events({ first: 50, search: "MODEL_LOADING" });
    expect(found.totalCount).toBeGreaterThan(0);
    const searched = await events({ first: 50, search: "model loading" });
    expect(searched.edges.every((e: any) => /model loading/i.test(e.node.message))).toBe(true);
    expect(searched.totalCount).toBeGreaterThanOrEqual(1);
  });
});

describe("exports", () => {
  const get = (path: string, token: string | null = job.session) =>
    fetch(`${app.url}/api/jobs/${job.jobId}/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("streams the metric history as CSV, guarding cells against formula injection", async () => {
    const other = await startRunningJob(app, "csv job");
    await app
      .gql(
        REPORT.metrics,
        {
          j: other.jobId,
          p: [
            { name: '=HYPERLINK("http://evil")', step: 1, value: -0.5 },
            { name: "loss", step: 2, value: 1.25, epoch: 0.1, wallTime: 1700000000.5 },
          ],
        },
        other.trainerToken,
      )
      .then(outcome);
    const response = await fetch(`${app.url}/api/jobs/${other.jobId}/metrics.csv`, {
      headers: { authorization: `Bearer ${other.session}` },
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toContain(`job-${other.jobId}-metrics.csv`);
    const lines = (await response.text()).trim().split("\n");
    expect(lines[0]).toBe("name,step,value,epoch,wall_time");
    expect(lines[1]).toMatch(/^"'=HYPERLINK\(""http:\/\/evil""\)",1,-0.5,,\d+(\.\d+)?$/);
    expect(lines[2]).toBe("loss,2,1.25,0.1,1700000000.5");
  });

  it("exports every point, page after page, as CSV and JSON", async () => {
    const csv = (await (await get("metrics.csv?names=train_loss")).text()).trim().split("\n");
    expect(csv).toHaveLength(SPARSE_STEPS + 1);
    const [name, step, value, epoch, wallTime] = csv[SPARSE_STEPS].split(",");
    expect([name, step, epoch, wallTime]).toEqual(["train_loss", "499990", "4.9999", String(1_700_000_000 + 49_999 * 2)]);
    same(Number(value), lossAt(499_990));
    const json = await (await get("metrics.json")).json();
    expect(json.series.map((s: any) => [s.name, s.points.length])).toEqual([
      ["grad_norm", 2001],
      ["train_loss", SPARSE_STEPS],
    ]);
    expect(json.series[1].points[7]).toEqual({ step: 70, value: expect.any(Number), epoch: 0.0007, wallTime: 1_700_000_014 });
    same(json.series[1].points[7].value, lossAt(70));
  });

  it("exports the event log as JSON, and wants a token", async () => {
    const log = await (await get("events.json?types=status_changed")).json();
    expect(log.jobId).toBe(job.jobId);
    const reported = log.events.filter((e: any) => e.source === "trainer");
    expect(reported.map((e: any) => e.payload.to)).toEqual(["PREPROCESSING", "MODEL_LOADING", "TRAINING"]);
    expect(log.events[0]).not.toHaveProperty("dedupeKey");
    expect((await get("events.json", null)).status).toBe(401);
    expect((await get("metrics.json", "tls_not-a-token")).status).toBe(401);
  });
});
