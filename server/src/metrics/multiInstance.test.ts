import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "graphql-ws";
import { createDb } from "../db/client.js";
import { createAppPubSub } from "../pubsub.js";
import { readConfig } from "../config.js";
import type { AppServices } from "../context.js";
import { DEMO_PASSWORD } from "../seed.js";
import { claimForTest, REPORT, trainingPoints } from "@tuneloop/testing/trainerReports";
import { subscribeSse, subscribeWs, wsClient } from "@tuneloop/testing/subscribers";
import { startServerProcess, type ServerProcess } from "@tuneloop/testing/serverProcess";
import { TEST_ENV } from "@tuneloop/testing/app";
import { freshPostgresUrl, usingPostgres } from "@tuneloop/testing/database";

// Two real server processes sharing one database (PostgreSQL when
// TEST_POSTGRES_URL is set, else one SQLite file) and Redis: a report to one
// reaches a subscriber of the other; a server killed mid-stream loses nothing.

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const dataDir = mkdtempSync(join(tmpdir(), "tuneloop-two-"));
const servers: ServerProcess[] = [];
let databaseUrl: string;
let dropDatabase = async () => {};

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as any;
}

let a: ServerProcess;
let b: ServerProcess;

async function startServer(env: Record<string, string>) {
  const server = await startServerProcess({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    DATA_DIR: dataDir,
    PASSWORD_HASH_COST: TEST_ENV.PASSWORD_HASH_COST,
    ...env,
  });
  servers.push(server);
  return server;
}
let services: AppServices;
let session: string;
let ws: Client;

beforeAll(async () => {
  if (usingPostgres()) ({ url: databaseUrl, drop: dropDatabase } = await freshPostgresUrl());
  else databaseUrl = `file:${join(dataDir, "shared.db")}`;
  a = await startServer({ PORT: "0", SEED_DEMO: "true" });
  b = await startServer({ PORT: "0", SEED_DEMO: "false" });
  services = { ...createDb(databaseUrl), pubsub: createAppPubSub(), config: readConfig({ DATA_DIR: dataDir }) } as AppServices;
  const login = await gql(b.url, `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
    e: "engineer@demo.tuneloop.dev",
    p: DEMO_PASSWORD,
  });
  session = login.data.login.token;
  ws = wsClient(b.url, session);
}, 120_000);

afterAll(async () => {
  await ws?.dispose();
  await Promise.all(servers.map((server) => server.stop()));
  await services?.db.$disconnect();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A job of the demo organization, running, with a trainer token: what a worker's claim gives. */
async function runningJob(name: string) {
  const datasets = await gql(a.url, `{ datasets { edges { node { id } } } }`, {}, session);
  const created = await gql(
    a.url,
    `mutation($i:CreateTrainingJobInput!){ createTrainingJob(input:$i){ ... on CreateTrainingJobSuccess { data { id } } } }`,
    {
      i: { name, start: true, settings: { datasetId: datasets.data.datasets.edges[0].node.id } },
    },
    session,
  );
  const jobId = created.data.createTrainingJob.data.id as string;
  return { jobId, token: (await claimForTest(services, jobId)).trainerToken };
}

const SUBSCRIPTION = `subscription($j:ID!,$a:Int){ metricPointsAdded(jobId:$j, afterStep:$a){ points { name step } } }`;
const receivedSteps = (results: any[]) =>
  results.flatMap((r) => r.data?.metricPointsAdded.points ?? []).map((p: any) => `${p.name}@${p.step}`);

describe("two server instances with Redis", () => {
  // Two processes share one SQLite file here: on a loaded CI machine a write may wait past Prisma's limit
  // for the other's lock. Retried; a lost point would still fail every try.
  it("delivers points reported to one instance to subscribers of the other, over graphql-ws and SSE", { retry: 2 }, async () => {
    const { jobId, token } = await runningJob("two instances");
    await gql(a.url, REPORT.metrics, { j: jobId, p: trainingPoints(1, 1) }, token);
    // The replay (afterStep 0) proves each subscription is live before the reports that follow.
    const overWs = subscribeWs(ws, SUBSCRIPTION, { j: jobId, a: 0 });
    const overSse = await subscribeSse(b.url, session, SUBSCRIPTION, { j: jobId, a: 0 });
    await Promise.all([overWs.until((r) => r.length > 0), overSse.until((r) => r.length > 0)]);
    const result = await gql(a.url, REPORT.metrics, { j: jobId, p: trainingPoints(2, 4) }, token);
    expect(result.data.reportMetrics.data).toBe(6);
    const expected = trainingPoints(1, 4).map((p) => `${p.name}@${p.step}`);
    for (const sub of [overWs, overSse]) {
      await sub.until((r) => receivedSteps(r).length >= expected.length);
      expect(receivedSteps(sub.results).sort()).toEqual(expected.sort());
    }
    await Promise.all([overWs.close(), overSse.close()]);
  });

  it("loses no reported point when a server is killed and restarted while a trainer reports", async () => {
    const { jobId, token } = await runningJob("killed server");
    const live = subscribeWs(ws, SUBSCRIPTION, { j: jobId, a: -1 });
    const port = new URL(a.url).port;
    const reports = 30;
    // A trainer that retries each report until the server answers, as the worker's queue does.
    const trainer = (async () => {
      for (let n = 1; n <= reports; n++) {
        const points = trainingPoints(n * 10 - 9, n * 10);
        for (;;) {
          const answer = await gql(a.url, REPORT.metrics, { j: jobId, p: points, s: n }, token).catch(() => null);
          if (answer?.data?.reportMetrics?.__typename === "ReportMetricsSuccess") break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    // Kill the server in the middle of the stream, then start it again on the same port.
    while ((await services.db.metricPoint.count({ where: { jobId } })) < 100) await new Promise((r) => setTimeout(r, 50));
    await a.stop();
    a = await startServer({ PORT: port, SEED_DEMO: "false" });
    await trainer;

    const stored = await services.db.metricPoint.findMany({ where: { jobId }, select: { name: true, step: true } });
    expect(stored).toHaveLength(reports * 10 * 2);
    expect(new Set(stored.map((p) => p.step)).size).toBe(reports * 10);
    // A client that (re)subscribes from the start gets every point back from the database.
    const replay = subscribeWs(ws, SUBSCRIPTION, { j: jobId, a: 0 });
    await replay.until((r) => receivedSteps(r).length >= reports * 10 * 2);
    expect(new Set(receivedSteps(replay.results)).size).toBe(reports * 10 * 2);
    // The live subscriber on the surviving instance saw the points stored after the restart.
    await live.until((r) => receivedSteps(r).includes(`train_loss@${reports * 10}`));
    await Promise.all([live.close(), replay.close()]);
  });
});
