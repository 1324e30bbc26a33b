// Test fixtures for the worker: a real server that can be stopped and started
// again on the same port and database, real worker processes (the CLI), and
// jobs on the engine's tiny base model.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildApp, type App } from "../../../server/src/app";
import type { ServerConfig } from "../../../server/src/config";
import { DEMO_PASSWORD } from "../../../server/src/seed";
import { createWorkerKey, queueJob } from "./workerApi";
import { testConfig, type TestApp } from "./app";
import { uploadDataset } from "./fixtures";
import { syntheticChats, tinyBaseModel } from "@tuneloop/engine/testing";

const ROOT = resolve(import.meta.dirname, "../../..");

/** A server whose process-level life the test controls: stop() and start() keep the data. */
export class RestartableServer {
  app: App | null = null;
  url = "";
  readonly dataDir = mkdtempSync(join(tmpdir(), "tuneloop-worker-test-"));
  readonly config: ServerConfig;
  private port = 0;

  constructor(overrides: Partial<ServerConfig> = {}) {
    this.config = { ...testConfig(this.dataDir), ...overrides };
  }

  async start() {
    this.app = await buildApp(this.config);
    this.url = await this.app.start(this.port);
    this.port = Number(new URL(this.url).port);
  }

  async stop() {
    await this.app?.stop();
    this.app = null;
  }

  async dispose() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  get db() {
    if (!this.app) throw new Error("server is stopped");
    return this.app.services.db;
  }

  /** The TestApp surface the server's fixtures use (gql, login…). */
  asTestApp(): TestApp {
    const gql: TestApp["gql"] = async (query, variables, token) => {
      const response = await fetch(`${this.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    };
    const login: TestApp["login"] = async (role) =>
      (
        await gql(`mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
          e: `${role}@demo.tuneloop.dev`,
          p: DEMO_PASSWORD,
        })
      ).data.login.token;
    return { url: this.url, dataDir: this.dataDir, services: this.app!.services, gql, login, session: login } as unknown as TestApp;
  }
}

/** Hyperparameters that make a tiny-model job of `epochs` × 8 steps (40 chats, 32 for training, batches of 4). */
export const tinyOverrides = (epochs: number, extra: Record<string, unknown> = {}) => ({
  baseModel: "tuneloop-llama-tiny",
  maxSeqLength: 48,
  epochs,
  batchSize: 4,
  learningRate: 1e-2,
  rank: 4,
  seed: 7,
  checkpointEvery: 40,
  ...extra,
});

export async function uploadSyntheticDataset(app: TestApp, name = "synthetic chats", chats = syntheticChats(40)) {
  const session = await app.login("engineer");
  const jsonl = chats.map((c) => JSON.stringify(c)).join("\n");
  const result = await uploadDataset(app, session, name, jsonl);
  return result.data.uploadDataset.data.id as string;
}

export async function queueTinyJob(app: TestApp, datasetId: string, name: string, epochs: number, extra: Record<string, unknown> = {}) {
  return queueJob(app, name, tinyOverrides(epochs, extra), { datasetId });
}

export { createWorkerKey };

/**
 * What every worker test file starts with (in its beforeAll, 120 s): the tiny base
 * model built once (not raced by the worker processes), a server, a WORKER key and
 * the synthetic dataset. The caller disposes of the server in its afterAll.
 */
export async function startWorkerFixture(overrides: Partial<ServerConfig> = {}) {
  await tinyBaseModel();
  const server = new RestartableServer(overrides);
  await server.start();
  const app = server.asTestApp();
  const key = await createWorkerKey(app);
  const datasetId = await uploadSyntheticDataset(app);
  return { server, key, datasetId };
}

export type WorkerProcess = { child: ChildProcess; output: () => string; exited: Promise<number | null>; stateDir: string };

/** Starts `pnpm trainer` (the real CLI) against `url`. The key goes in the environment, as the README advises. */
export function startWorker(
  url: string,
  key: string,
  args: string[] = [],
  stateDir = mkdtempSync(join(tmpdir(), "tuneloop-worker-state-")),
): WorkerProcess {
  const child = spawn(
    join(ROOT, "node_modules/.bin/tsx"),
    [join(ROOT, "trainer/src/main.ts"), "--server", url, "--state-dir", stateDir, "--no-validation", ...args],
    {
      cwd: ROOT,
      env: { ...process.env, TUNELOOP_WORKER_TOKEN: key },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, output: () => output, exited, stateDir };
}
