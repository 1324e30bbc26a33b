// Live progress figures, each beside a baseline measured in the same run:
//   1. ingest: metric points/s from 100 concurrent simulated trainers over real HTTP,
//      vs the bare driver's bulk-insert rate (better-sqlite3 or pg);
//   2. p95 report → subscriber latency with 100 graphql-ws subscribers, vs a bare `ws` broadcast;
//   3. a 1,000,000-point series downsampled to 1,000 points, vs the bare SQL min/max scan;
//   4. the job list's first page with 10,000 jobs, vs a bare Yoga server answering a 25-object list.
// Runs on SQLite, and on PostgreSQL too when BENCH_POSTGRES_URL is set.
// Usage: npx tsx scripts/bench/live.ts
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID as createId } from "node:crypto";
import type { AppServices } from "../../server/src/context.js";
import { createDb, type DbProvider } from "../../server/src/db/client.js";
import { createAppPubSub } from "../../server/src/pubsub.js";
import { readConfig } from "../../server/src/config.js";
import { createTrainerToken } from "../../server/src/auth/service.js";
import { viewerOf } from "@tuneloop/testing/fixtures";
import { freshPostgresUrl } from "@tuneloop/testing/database";
import { createJob, transitionJob } from "../../server/src/jobs/service.js";
import { DEMO_PASSWORD } from "../../server/src/seed.js";
import { storePoints } from "../../server/src/metrics/service.js";
import { downsamplePoints } from "../../server/src/metrics/downsample.js";
import { startServerProcess, type ServerProcess } from "@tuneloop/testing/serverProcess";
import { subscribeWs, wsClient } from "@tuneloop/testing/subscribers";
import { REPORT } from "@tuneloop/testing/trainerReports";

const requireServer = createRequire(new URL("../../server/package.json", import.meta.url));
const TRAINERS = 100;
const INGEST_SECONDS = 8;
/** Steps per report, 10 metrics each: a trainer flushing every 10 steps, and one flushing every 50. */
const REPORT_STEPS = [10, 50];
const NAMES = [
  "train_loss",
  "val_loss",
  "perplexity",
  "learning_rate",
  "grad_norm",
  "tokens_per_sec",
  "samples_per_sec",
  "memory_mb",
  "epoch",
  "eta_seconds",
];
const SUBSCRIBERS = 100;
const LATENCY_REPORTS = 60;
const SERIES_POINTS = 1_000_000;
const LIST_JOBS = 10_000;
const REQUESTS = 30;

type Row = { db: string; measure: string; value: string; baseline: string; ratio: string };
const rows: Row[] = [];
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const median = (xs: number[]) => quantile(xs, 0.5);

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const request = () =>
    fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
  // A kept-alive connection the server closed while idle (the setup steps hold it busy) is retried once.
  const stale = (error: any) => ["UND_ERR_SOCKET", "ECONNRESET"].includes(error?.cause?.code);
  const response = await request().catch((error) => (stale(error) ? request() : Promise.reject(error)));
  return response.json();
}

/** Times `n` sequential calls after two warm-ups; returns the durations in ms. */
async function timed(n: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 2; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return times;
}

/** A small Node program run next to the bench (in the server package, for its dependencies); resolves with the first line it prints. */
function sidecar(code: string): Promise<{ line: string; stop: () => void }> {
  const child = spawn(process.execPath, ["-e", code], {
    cwd: new URL("../../server", import.meta.url).pathname,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve({ line: chunk.toString().trim(), stop: () => child.kill("SIGKILL") }));
    child.once("exit", (code) => reject(new Error(`sidecar exited with ${code}`)));
  });
}

// ── 1. ingest ───────────────────────────────────────────────────────────────

async function makeRunningJobs(services: AppServices, count: number) {
  const viewer = await viewerOf(services.db, "engineer@demo.tuneloop.dev");
  const dataset = await services.db.dataset.findFirstOrThrow({ where: { orgId: viewer.orgId } });
  const template = await createJob(services, viewer, { name: "bench template", datasetId: dataset.id, start: true });
  // Held by a bench worker for longer than the bench runs (trainer tokens work only under a lease).
  await transitionJob(services, template.id, "PROVISIONING", {
    data: { workerId: "bench", leaseExpiresAt: new Date(Date.now() + 3600_000) },
  });
  // The other jobs are copies of the first, already running (setup, not what is measured).
  const {
    id: _id,
    createdAt: _c,
    updatedAt: _u,
    config,
    ...fields
  } = await services.db.trainingJob.findUniqueOrThrow({ where: { id: template.id } });
  const ids = Array.from({ length: count - 1 }, () => createId());
  await services.db.trainingJob.createMany({
    data: ids.map((id, i) => ({ ...fields, config: config as object, id, name: `bench trainer ${i + 2}`, totalSteps: 1_000_000 })),
  });
  const jobs = [template.id, ...ids];
  return Promise.all(jobs.map(async (jobId) => ({ jobId, token: await createTrainerToken(services.db, viewer.orgId, jobId) })));
}

async function benchIngest(db: string, server: ServerProcess, services: AppServices, dataDir: string) {
  const trainers = await makeRunningJobs(services, TRAINERS);
  let firstStep = 1;
  for (const steps of REPORT_STEPS) {
    const deadline = performance.now() + INGEST_SECONDS * 1000;
    let stored = 0;
    let failures = 0;
    const started = performance.now();
    await Promise.all(
      trainers.map(async ({ jobId, token }) => {
        for (let step = firstStep; performance.now() < deadline; step += steps) {
          const points = [];
          for (let s = step; s < step + steps; s++)
            for (const name of NAMES) points.push({ name, step: s, value: Math.random(), wallTime: Date.now() / 1000 });
          const answer = await gql(server.url, REPORT.metrics, { j: jobId, p: points }, token).catch(() => null);
          if (answer?.data?.reportMetrics?.__typename === "ReportMetricsSuccess") stored += answer.data.reportMetrics.data;
          else if (++failures === 1) console.error("first failed report:", JSON.stringify(answer ?? "no answer").slice(0, 500));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const inDb = await services.db.metricPoint.count({ where: { jobId: { in: trainers.map((t) => t.jobId) }, step: { gte: firstStep } } });
    if (inDb !== stored || failures) throw new Error(`ingest: ${stored} acknowledged, ${inDb} stored, ${failures} failed`);
    firstStep += 10_000_000;
    const rate = stored / seconds;
    const bare = await bareInsertRate(services.provider, dataDir, stored);
    rows.push({
      db,
      measure: `ingest, ${TRAINERS} trainers × ${steps * NAMES.length} points/report over HTTP (points/s)`,
      value: fmt(rate),
      baseline: `${fmt(bare)} bare bulk insert`,
      ratio: (rate / bare).toFixed(2),
    });
  }
}

/** Rows/s the bare driver inserts into a table shaped like MetricPoint (same primary key), 1,000 rows a transaction. */
async function bareInsertRate(provider: DbProvider, dataDir: string, total: number): Promise<number> {
  const rowsOf = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ["job", NAMES[(from + i) % NAMES.length], from + i, Math.random(), null, Date.now() / 1000]);
  const ddl = `CREATE TABLE bare_points ("jobId" TEXT NOT NULL, "name" TEXT NOT NULL, "step" INTEGER NOT NULL, "value" DOUBLE PRECISION NOT NULL, "epoch" DOUBLE PRECISION, "wallTime" DOUBLE PRECISION NOT NULL, PRIMARY KEY ("jobId", "name", "step"))`;
  if (provider === "sqlite") {
    const Database = requireServer("better-sqlite3");
    const sqlite = new Database(join(dataDir, `bare-${total}-${Date.now()}.db`));
    sqlite.pragma("journal_mode = WAL");
    sqlite.exec(ddl);
    const insert = sqlite.prepare(`INSERT INTO bare_points VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
    const batch = sqlite.transaction((rows: unknown[][]) => rows.forEach((r) => insert.run(...r)));
    const start = performance.now();
    for (let i = 0; i < total; i += 1000) batch(rowsOf(i, Math.min(1000, total - i)));
    const rate = total / ((performance.now() - start) / 1000);
    sqlite.close();
    return rate;
  }
  const pg = requireServer("pg");
  const client = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });
  await client.connect();
  await client.query(ddl);
  const start = performance.now();
  for (let i = 0; i < total; i += 1000) {
    const rows = rowsOf(i, Math.min(1000, total - i));
    const values = rows
      .map((_, r) => `($${r * 6 + 1}, $${r * 6 + 2}, $${r * 6 + 3}, $${r * 6 + 4}, $${r * 6 + 5}, $${r * 6 + 6})`)
      .join(",");
    await client.query(`INSERT INTO bare_points VALUES ${values} ON CONFLICT DO NOTHING`, rows.flat());
  }
  const rate = total / ((performance.now() - start) / 1000);
  await client.query("DROP TABLE bare_points");
  await client.end();
  return rate;
}

// ── 2. report → subscriber latency ──────────────────────────────────────────

async function benchLatency(db: string, server: ServerProcess, services: AppServices) {
  const [{ jobId, token }] = await makeRunningJobs(services, 1);
  const login = await gql(server.url, `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
    e: "engineer@demo.tuneloop.dev",
    p: DEMO_PASSWORD,
  });
  const session = login.data.login.token;
  const clients = Array.from({ length: SUBSCRIBERS }, () => wsClient(server.url, session));
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const subs = clients.map((client) =>
    subscribeWs(client, `subscription($j:ID!){ metricPointsAdded(jobId:$j){ points { step } } }`, { j: jobId }),
  );
  subs.forEach((sub) => {
    const push = sub.push.bind(sub);
    sub.push = (result) => {
      for (const p of result.data?.metricPointsAdded.points ?? [])
        if (sentAt.has(p.step)) latencies.push(performance.now() - sentAt.get(p.step)!);
      push(result);
    };
  });
  // Report until every subscriber has received something: all are subscribed.
  for (let step = 1; subs.some((s) => s.results.length === 0); step++) {
    await gql(server.url, REPORT.metrics, { j: jobId, p: [{ name: "train_loss", step, value: 1 }] }, token);
    await new Promise((r) => setTimeout(r, 50));
  }
  latencies.length = 0;
  for (let i = 0; i < LATENCY_REPORTS; i++) {
    const step = 1_000 + i;
    const received = subs.map((s) => s.results.length);
    sentAt.set(step, performance.now());
    await gql(server.url, REPORT.metrics, { j: jobId, p: [{ name: "train_loss", step, value: Math.random() }] }, token);
    await Promise.all(subs.map((s, k) => s.until((r) => r.length > received[k])));
  }
  await Promise.all(clients.map((c) => c.dispose()));
  const bare = await bareBroadcastLatencies();
  const p95 = quantile(latencies, 0.95);
  const bareP95 = quantile(bare, 0.95);
  rows.push({
    db,
    measure: `report → ${SUBSCRIBERS} graphql-ws subscribers, p95 (ms)`,
    value: fmt(p95, 1),
    baseline: `${fmt(bareP95, 1)} bare ws broadcast`,
    ratio: (p95 / bareP95).toFixed(1),
  });
}

/** Send → receive times of a bare `ws` server relaying each message to 100 clients. */
async function bareBroadcastLatencies(): Promise<number[]> {
  const server = await sidecar(`
    const { WebSocketServer } = require("ws");
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    wss.on("connection", (socket) => socket.on("message", (m) => { for (const c of wss.clients) c.send(m.toString()); }));
    wss.on("listening", () => console.log(wss.address().port));`);
  const WebSocket = requireServer("ws");
  const url = `ws://127.0.0.1:${server.line}`;
  const sockets: any[] = await Promise.all(
    Array.from(
      { length: SUBSCRIBERS },
      () =>
        new Promise((resolve) => {
          const s = new WebSocket(url);
          s.on("open", () => resolve(s));
        }),
    ),
  );
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_REPORTS; i++) {
    const sent = performance.now();
    const arrived = sockets.map(
      (s) => new Promise<void>((resolve) => s.once("message", () => (latencies.push(performance.now() - sent), resolve()))),
    );
    sockets[0].send(JSON.stringify({ step: i }));
    await Promise.all(arrived);
  }
  sockets.forEach((s) => s.close());
  server.stop();
  return latencies;
}

// ── 3. downsampling ─────────────────────────────────────────────────────────

async function benchDownsample(db: string, server: ServerProcess, services: AppServices, session: string) {
  const [{ jobId }] = await makeRunningJobs(services, 1);
  const values = Array.from({ length: SERIES_POINTS }, (_, step) => ({
    name: "train_loss",
    step,
    value: 3 * Math.exp(-step / 300_000) + 0.05 * Math.sin(step / 50) + (step % 99_991 === 0 ? 5 : 0),
    epoch: null,
    wallTime: 1_700_000_000 + step,
  }));
  for (let i = 0; i < SERIES_POINTS; i += 50_000)
    await services.db.$transaction((tx) => storePoints(tx, services.provider, jobId, values.slice(i, i + 50_000)), { timeout: 120_000 });

  const query = `query($id:ID!){ job(id:$id){ metricSeries(names:["train_loss"], maxPoints:1000){ totalPoints downsampled points { step value } } } }`;
  const check = await gql(server.url, query, { id: jobId }, session);
  const series = check.data.job.metricSeries[0];
  if (series.totalPoints !== SERIES_POINTS || series.points.length > 1000)
    throw new Error(`downsample: ${JSON.stringify(series).slice(0, 300)}`);
  const api = median(await timed(7, () => gql(server.url, query, { id: jobId }, session)));
  // Baseline: the one-pass SQL min/max per bucket over every raw point, in the same database.
  const scan = `SELECT CAST("step" / 1000 AS INTEGER) AS b, MIN("value"), MAX("value"), MIN("step"), MAX("step") FROM "MetricPoint" WHERE "jobId" = '${jobId}' AND "name" = 'train_loss' GROUP BY b`;
  const bare = median(await timed(5, () => services.db.$queryRawUnsafe(scan)));
  const inMemory = median(await timed(5, async () => downsamplePoints(values, 499)));
  rows.push({
    db,
    measure: `1,000,000-point series → ${series.points.length} points, GraphQL over HTTP (ms)`,
    value: fmt(api, 1),
    baseline: `${fmt(bare, 1)} bare SQL min/max scan`,
    ratio: (api / bare).toFixed(2),
  });
  rows.push({
    db,
    measure: "  the same downsampling over 1,000,000 points already in memory (ms)",
    value: fmt(inMemory, 1),
    baseline: "",
    ratio: "",
  });
}

// ── 4. job list ─────────────────────────────────────────────────────────────

async function benchJobList(db: string, server: ServerProcess, services: AppServices, session: string) {
  const sample = await services.db.trainingJob.findFirstOrThrow({ where: { name: "bench template" } });
  const { id: _id, createdAt: _c, updatedAt: _u, config, ...fields } = sample;
  const existing = await services.db.trainingJob.count({ where: { orgId: sample.orgId } });
  // Finished last year, so that budget watchers of this month leave them alone.
  const base = Date.now() - 400 * 86400_000;
  for (let i = existing; i < LIST_JOBS; i += 1000) {
    const data = Array.from({ length: Math.min(1000, LIST_JOBS - i) }, (_, k) => {
      const createdAt = new Date(base + (i + k) * 60_000);
      return {
        ...fields,
        config: config as object,
        id: createId(),
        name: `archived job ${i + k}`,
        status: "COMPLETED" as const,
        createdAt,
        startedAt: createdAt,
        finishedAt: createdAt,
        progress: 100,
      };
    });
    await services.db.trainingJob.createMany({ data });
  }
  const query = `{ jobs(first: 25) { totalCount edges { node { id name status progress currentStep estimatedCostUsd actualCostUsd createdAt tags } } } }`;
  const first = await gql(server.url, query, {}, session);
  if (first.data.jobs.totalCount < LIST_JOBS || first.data.jobs.edges.length !== 25)
    throw new Error(`job list: ${JSON.stringify(first).slice(0, 300)}`);
  const api = await timed(REQUESTS, () => gql(server.url, query, {}, session));

  const yoga = await sidecar(`
    const { createServer } = require("node:http");
    const { createYoga, createSchema } = require("graphql-yoga");
    const items = Array.from({ length: 25 }, (_, i) => ({ id: "job" + i, name: "Job " + i, status: "COMPLETED", progress: 100, currentStep: 1000, estimatedCostUsd: 1.5, actualCostUsd: 1.4, createdAt: new Date().toISOString(), tags: ["a"] }));
    const schema = createSchema({
      typeDefs: "type Job { id: ID! name: String! status: String! progress: Float! currentStep: Int! estimatedCostUsd: Float! actualCostUsd: Float! createdAt: String! tags: [String!]! } type Edge { node: Job! } type Conn { totalCount: Int! edges: [Edge!]! } type Query { jobs(first: Int): Conn! }",
      resolvers: { Query: { jobs: () => ({ totalCount: 25, edges: items.map((node) => ({ node })) }) } },
    });
    const server = createServer(createYoga({ schema, logging: false }));
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));`);
  const bareUrl = `http://127.0.0.1:${yoga.line}`;
  const bare = await timed(REQUESTS, () => gql(bareUrl, query, {}));
  yoga.stop();
  rows.push({
    db,
    measure: `job list, first page of 25 with ${fmt(LIST_JOBS)} jobs, median (ms)`,
    value: fmt(median(api), 1),
    baseline: `${fmt(median(bare), 1)} bare Yoga, 25 objects`,
    ratio: (median(api) / median(bare)).toFixed(1),
  });
  rows.push({
    db,
    measure: "  the same, p95 (ms)",
    value: fmt(quantile(api, 0.95), 1),
    baseline: fmt(quantile(bare, 0.95), 1),
    ratio: (quantile(api, 0.95) / quantile(bare, 0.95)).toFixed(1),
  });
}

// ── run ─────────────────────────────────────────────────────────────────────

async function runOn(db: string, databaseUrl: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "tuneloop-bench-"));
  process.env.BENCH_DATABASE_URL = databaseUrl;
  const server = await startServerProcess({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: "0",
    SEED_DEMO: "true",
    STALL_SECONDS: "3600",
  });
  const services = { ...createDb(databaseUrl), pubsub: createAppPubSub(), config: readConfig({ DATA_DIR: dataDir }) } as AppServices;
  try {
    const login = await gql(server.url, `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
      e: "engineer@demo.tuneloop.dev",
      p: DEMO_PASSWORD,
    });
    const session = login.data.login.token;
    console.log(`${db}: ingest…`);
    await benchIngest(db, server, services, dataDir);
    console.log(`${db}: latency…`);
    await benchLatency(db, server, services);
    console.log(`${db}: downsampling…`);
    await benchDownsample(db, server, services, session);
    console.log(`${db}: job list…`);
    await benchJobList(db, server, services, session);
  } finally {
    await server.stop();
    await services.db.$disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const sqliteDir = mkdtempSync(join(tmpdir(), "tuneloop-bench-db-"));
await runOn("SQLite", `file:${join(sqliteDir, "bench.db")}`);
rmSync(sqliteDir, { recursive: true, force: true });
if (process.env.BENCH_POSTGRES_URL) {
  const pgDb = await freshPostgresUrl(process.env.BENCH_POSTGRES_URL);
  try {
    await runOn("PostgreSQL", pgDb.url);
  } finally {
    await pgDb.drop();
  }
}

const widths = { db: 10, measure: 78, value: 12, baseline: 32, ratio: 6 };
const line = (r: Row) =>
  `${r.db.padEnd(widths.db)} ${r.measure.padEnd(widths.measure)} ${r.value.padStart(widths.value)}  ${r.baseline.padEnd(widths.baseline)} ${r.ratio.padStart(widths.ratio)}`;
console.log(`\n${line({ db: "database", measure: "measure", value: "value", baseline: "baseline (same run)", ratio: "ratio" })}`);
rows.forEach((r) => console.log(line(r)));
process.exit(0);
