import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { freshPostgresUrl, usingPostgres } from "@tuneloop/testing/database";
import { DEMO_PASSWORD } from "../seed.js";

// Several instances started at the same moment on one empty database: the
// migrations and the demo seed must not race (the seed's check-then-create
// once crashed an instance on Organization_slug_key).

const INSTANCES = 3;
const dataDir = mkdtempSync(join(tmpdir(), "tuneloop-start-"));
const apps: TestApp[] = [];
let dropDatabase = async () => {};

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("instances starting together", () => {
  it(`${INSTANCES} apps start at once on one fresh database with the demo seed, and all serve`, async () => {
    let databaseUrl = `file:${join(dataDir, "shared.db")}`;
    if (usingPostgres()) ({ url: databaseUrl, drop: dropDatabase } = await freshPostgresUrl());
    const started = await Promise.allSettled(Array.from({ length: INSTANCES }, () => startTestApp({ databaseUrl, seedDemo: true })));
    for (const result of started) if (result.status === "fulfilled") apps.push(result.value);
    expect(started.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);

    const { db } = apps[0].services;
    expect(await db.organization.count({ where: { slug: "demo" } })).toBe(1);
    expect(await db.user.count()).toBe(4);
    expect(await db.dataset.count()).toBe(1);
    for (const app of apps) {
      const signedIn = await app.gql(`mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
        e: "qa@demo.tuneloop.dev",
        p: DEMO_PASSWORD,
      });
      expect(signedIn.data.login.token).toMatch(/^tls_/);
    }
  }, 120_000);
});
