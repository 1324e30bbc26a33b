import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes, scryptSync } from "node:crypto";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { readConfig } from "../config.js";
import { DEMO_PASSWORD } from "../seed.js";

// Sign-in against an attacker: parallel guessing, probing which emails exist,
// addresses behind a proxy, and passwords hashed at an older, cheaper cost.

/** Settings read as from an environment (a signing secret given, so nothing is written to disk). */
const ENV = { DATA_DIR: "./data", ARTIFACT_SIGNING_SECRET: "s".repeat(40) };
const LOGIN = `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`;

async function signIn(app: TestApp, email: string, password: string, forwardedFor?: string) {
  const response = await fetch(`${app.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(forwardedFor && { "x-forwarded-for": forwardedFor }) },
    body: JSON.stringify({ query: LOGIN, variables: { e: email, p: password } }),
  });
  const body = (await response.json()) as { data?: { login: { token: string } }; errors?: { extensions: { code: string } }[] };
  return body.data?.login ? "ok" : body.errors![0].extensions.code;
}

const count = (codes: string[]) =>
  codes.reduce<Record<string, number>>((tally, code) => ({ ...tally, [code]: (tally[code] ?? 0) + 1 }), {});

describe("sign-in", () => {
  let app: TestApp;
  beforeAll(async () => {
    // Above the oldest hashes' N = 2^14 (they must count as outdated), and slow enough that a skipped hash would show.
    app = await startTestApp({ passwordHashCost: 15 });
  });
  afterAll(() => app.stop());

  it("counts wrong passwords sent in parallel atomically: ten are checked, the rest refused (proxy headers ignored by default)", async () => {
    // Each try claims another address in X-Forwarded-For; without TRUST_PROXY the socket's address counts.
    const codes = await Promise.all(
      Array.from({ length: 16 }, (_, i) => signIn(app, "owner@demo.tuneloop.dev", `guess ${i}`, `198.51.100.${i}`)),
    );
    expect(count(codes)).toEqual({ UNAUTHENTICATED: 10, RATE_LIMITED: 6 });
  });

  it("takes as long for an unknown email as for a known one (a password hash either way)", async () => {
    const timed = async (email: string) => {
      const started = performance.now();
      expect(await signIn(app, email, "wrong password")).toBe("UNAUTHENTICATED");
      return performance.now() - started;
    };
    await timed("nobody@demo.tuneloop.dev"); // the first also makes the throwaway hash
    const known = Math.min(await timed("qa@demo.tuneloop.dev"), await timed("qa@demo.tuneloop.dev"));
    const unknown = Math.min(await timed("nobody@demo.tuneloop.dev"), await timed("nobody2@demo.tuneloop.dev"));
    // Without the throwaway hash an unknown email answers in a few milliseconds, a known one in hundreds.
    expect(unknown).toBeGreaterThan(known / 3);
  });

  it("re-hashes a password stored at a cheaper cost than the configured one when its user signs in", async () => {
    const salt = randomBytes(16);
    const legacy = `scrypt$${salt.toString("base64")}$${scryptSync("old-password", salt, 32).toString("base64")}`; // N = 2^14
    const user = await app.services.db.user.update({ where: { email: "admin@demo.tuneloop.dev" }, data: { passwordHash: legacy } });
    expect(await signIn(app, user.email, "old-password")).toBe("ok");
    const { passwordHash } = await app.services.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(passwordHash).toMatch(/^scrypt\$ln=15,r=8,p=1\$/);
    expect(await signIn(app, user.email, "old-password")).toBe("ok");
    expect(await signIn(app, user.email, "not it")).toBe("UNAUTHENTICATED");
  });

  it("hashes at N = 2^17 unless PASSWORD_HASH_COST says otherwise, and refuses a cost that protects nothing", () => {
    expect(readConfig(ENV).passwordHashCost).toBe(17);
    expect(() => readConfig({ ...ENV, PASSWORD_HASH_COST: "4" })).toThrow(/PASSWORD_HASH_COST/);
  });
});

describe("behind a proxy (TRUST_PROXY)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ trustProxy: readConfig({ ...ENV, TRUST_PROXY: "loopback" }).trustProxy });
  });
  afterAll(() => app.stop());

  it("counts wrong passwords per client address as the trusted proxy reports it", async () => {
    const fromA = await Promise.all(Array.from({ length: 11 }, (_, i) => signIn(app, "qa@demo.tuneloop.dev", `guess ${i}`, "203.0.113.7")));
    expect(count(fromA)).toEqual({ UNAUTHENTICATED: 10, RATE_LIMITED: 1 });
    // Another client behind the same proxy is not paused.
    expect(await signIn(app, "qa@demo.tuneloop.dev", DEMO_PASSWORD, "203.0.113.8")).toBe("ok");
  });

  it("refuses a TRUST_PROXY that is neither a boolean, a hop count nor addresses", () => {
    expect(() => readConfig({ ...ENV, TRUST_PROXY: "not-an-address" })).toThrow(/TRUST_PROXY/);
  });
});

describe("the demo organization", () => {
  it("exists only when asked for: a server started without SEED_DEMO has no demo users", async () => {
    const config = readConfig(ENV);
    expect(config.seedDemo).toBe(false);
    const bare = await startTestApp({ seedDemo: config.seedDemo });
    try {
      expect(await signIn(bare, "engineer@demo.tuneloop.dev", DEMO_PASSWORD)).toBe("UNAUTHENTICATED");
      expect(await bare.services.db.organization.count()).toBe(0);
    } finally {
      await bare.stop();
    }
  });
});
