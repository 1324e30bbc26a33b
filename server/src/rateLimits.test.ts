import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "./config.js";
import { closeRateLimiters, takeRequest } from "./rateLimits.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const instance = (redis: boolean) =>
  readConfig({ DATA_DIR: "/tmp/tuneloop-rate-limit", MODEL_RATE_LIMIT_PER_MINUTE: "3", ...(redis && { REDIS_URL }) });
const configs = [instance(true), instance(true), instance(false), instance(false)];
afterAll(() => configs.forEach(closeRateLimiters));

describe("completion rate limit", () => {
  it("counts a key's requests across server instances through Redis", async () => {
    const [a, b] = configs;
    const key = randomUUID();
    const taken = [
      await takeRequest(a, "completions", key),
      await takeRequest(b, "completions", key),
      await takeRequest(a, "completions", key),
    ];
    expect(taken.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    const refused = await takeRequest(b, "completions", key);
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
    expect(refused.resetSeconds).toBeGreaterThan(0);
    expect((await takeRequest(b, "completions", randomUUID())).allowed).toBe(true);
  });

  it("counts per instance without Redis", async () => {
    const [, , c, d] = configs;
    const key = randomUUID();
    for (let i = 0; i < 3; i++) expect((await takeRequest(c, "completions", key)).allowed).toBe(true);
    expect((await takeRequest(c, "completions", key)).allowed).toBe(false);
    expect((await takeRequest(d, "completions", key)).allowed).toBe(true);
  });
});
