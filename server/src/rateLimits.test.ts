import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "./config.js";
import { RateLimits } from "./rateLimits.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const instance = (redis: boolean) =>
  new RateLimits(readConfig({ DATA_DIR: "/tmp/tuneloop-rate-limit", MODEL_RATE_LIMIT_PER_MINUTE: "3", ...(redis && { REDIS_URL }) }));
const instances = [instance(true), instance(true), instance(false), instance(false)];
afterAll(() => instances.forEach((limits) => limits.close()));

describe("completion rate limit", () => {
  it("counts a key's requests across server instances through Redis", async () => {
    const [a, b] = instances;
    const key = randomUUID();
    const taken = [await a.take("completions", key), await b.take("completions", key), await a.take("completions", key)];
    expect(taken.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    const refused = await b.take("completions", key);
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
    expect(refused.resetSeconds).toBeGreaterThan(0);
    expect((await b.take("completions", randomUUID())).allowed).toBe(true);
  });

  it("counts per instance without Redis", async () => {
    const [, , c, d] = instances;
    const key = randomUUID();
    for (let i = 0; i < 3; i++) expect((await c.take("completions", key)).allowed).toBe(true);
    expect((await c.take("completions", key)).allowed).toBe(false);
    expect((await d.take("completions", key)).allowed).toBe(true);
  });
});
