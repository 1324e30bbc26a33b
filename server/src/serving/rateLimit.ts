import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { ServerConfig } from "../config.js";

// Completions cost real compute, so each credential (API key or session) gets
// a number of requests per minute. With REDIS_URL the count is shared by every
// server instance; otherwise each instance counts in memory.

type Limiter = { limiter: RateLimiterAbstract; close(): void };
const limiters = new WeakMap<ServerConfig, Limiter>();

function limiterFor(config: ServerConfig): Limiter {
  let entry = limiters.get(config);
  if (entry) return entry;
  const options = { keyPrefix: "tuneloop:completions", points: config.modelRateLimitPerMinute, duration: 60 };
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
    // Redis down: count in memory rather than refuse every request.
    const limiter = new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
    entry = { limiter, close: () => redis.disconnect() };
  } else {
    entry = { limiter: new RateLimiterMemory(options), close: () => {} };
  }
  limiters.set(config, entry);
  return entry;
}

export type RateDecision = { allowed: boolean; limit: number; remaining: number; resetSeconds: number };

/** Counts one request of `credential` (a hash, never the secret itself). */
export async function takeCompletionRequest(config: ServerConfig, credential: string): Promise<RateDecision> {
  const limit = config.modelRateLimitPerMinute;
  const decision = (state: RateLimiterRes, allowed: boolean) => ({ allowed, limit, remaining: state.remainingPoints, resetSeconds: Math.ceil(state.msBeforeNext / 1000) });
  try {
    return decision(await limiterFor(config).limiter.consume(credential), true);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return decision(refusal, false);
    throw refusal;
  }
}

/** Closes the Redis connection of a server instance's limiter (on app stop). */
export function closeRateLimiter(config: ServerConfig) {
  limiters.get(config)?.close();
  limiters.delete(config);
}
