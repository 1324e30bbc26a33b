import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshPostgresUrl, usingPostgres } from "../testing/harness.js";
import { startServerProcess, type ServerProcess } from "../metrics/serverProcess.js";
import { createDb } from "./client.js";
import { DEMO_PASSWORD } from "../seed.js";

// Several instances started at the same moment on one empty database (and one
// data folder): migrations, the demo seed and the key files must not race.

const INSTANCES = 3;
const dataDir = mkdtempSync(join(tmpdir(), "tuneloop-start-"));
const servers: ServerProcess[] = [];
let dropDatabase = async () => {};

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("instances starting together", () => {
  it(`${INSTANCES} servers start at once on one fresh database with the demo seed, and all serve`, async () => {
    let databaseUrl = `file:${join(dataDir, "shared.db")}`;
    if (usingPostgres()) ({ url: databaseUrl, drop: dropDatabase } = await freshPostgresUrl());
    const env = { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PORT: "0", SEED_DEMO: "true", COMPUTE_LAUNCHES: "false" };
    const started = await Promise.allSettled(Array.from({ length: INSTANCES }, () => startServerProcess(env)));
    for (const result of started) if (result.status === "fulfilled") servers.push(result.value);
    expect(started.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);

    const { db } = createDb(databaseUrl);
    try {
      expect(await db.organization.count({ where: { slug: "demo" } })).toBe(1);
      expect(await db.user.count()).toBe(4);
      expect(await db.dataset.count()).toBe(1);
    } finally {
      await db.$disconnect();
    }
    // One signing key, no drafts left behind.
    expect(readdirSync(dataDir).filter((name) => name.startsWith("artifact-signing.key"))).toEqual(["artifact-signing.key"]);
    for (const server of servers) {
      const response = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, variables: { e: "qa@demo.tuneloop.dev", p: DEMO_PASSWORD } }),
      });
      expect(((await response.json()) as { data?: { login: { token: string } } }).data?.login.token).toMatch(/^tls_/);
    }
  }, 240_000);
});
