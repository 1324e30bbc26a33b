import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { ServerConfig } from "./config.js";

// Limits on what costs compute or invites abuse, each counted per key (never a
// secret itself: a hash, an email). With REDIS_URL the counts are shared by
// every server instance; otherwise each instance counts in memory.

const LIMITS = {
  /** Completions one credential may ask deployed models for, per minute. */
  completions: (config: ServerConfig) => ({ points: config.modelRateLimitPerMinute, duration: 60 }),
  /** Playground prompts one user may send, per minute. */
  playground: (config: ServerConfig) => ({ points: config.playgroundRateLimitPerMinute, duration: 60 }),
  /** Wrong passwords for one email from one address before sign-in pauses, per 15 minutes. */
  failedLogins: () => ({ points: 10, duration: 15 * 60 }),
  /** Password reset emails one address may be sent, per hour (no mail bombing through the reset form). */
  passwordResetMails: () => ({ points: 5, duration: 3600 }),
  /** Single sign-on attempts one address may start (each stores a row until it expires), per 10 minutes. */
  ssoStarts: () => ({ points: 30, duration: 600 }),
};
export type LimitName = keyof typeof LIMITS;

type Limiters = { byName: Map<LimitName, RateLimiterAbstract>; redis: Redis | null };
const instances = new WeakMap<ServerConfig, Limiters>();

function limiterFor(config: ServerConfig, name: LimitName): RateLimiterAbstract {
  let entry = instances.get(config);
  if (!entry)
    instances.set(
      config,
      (entry = { byName: new Map(), redis: config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 3 }) : null }),
    );
  let limiter = entry.byName.get(name);
  if (!limiter) {
    const options = { keyPrefix: `tuneloop:${name}`, ...LIMITS[name](config) };
    // Redis down: count in memory rather than refuse every request.
    limiter = entry.redis
      ? new RateLimiterRedis({ ...options, storeClient: entry.redis, insuranceLimiter: new RateLimiterMemory(options) })
      : new RateLimiterMemory(options);
    entry.byName.set(name, limiter);
  }
  return limiter;
}

export type RateDecision = { allowed: boolean; limit: number; remaining: number; resetSeconds: number };

/** Counts one request (or failure) of `key`; refused once the limit is reached. */
export async function takeRequest(config: ServerConfig, name: LimitName, key: string): Promise<RateDecision> {
  const limiter = limiterFor(config, name);
  const decision = (state: RateLimiterRes, allowed: boolean) => ({
    allowed,
    limit: limiter.points,
    remaining: state.remainingPoints,
    resetSeconds: Math.ceil(state.msBeforeNext / 1000),
  });
  try {
    return decision(await limiter.consume(key), true);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return decision(refusal, false);
    throw refusal;
  }
}

/** Seconds until `key` may try again; 0 when it has not used up its limit. */
export async function secondsBlocked(config: ServerConfig, name: LimitName, key: string): Promise<number> {
  const limiter = limiterFor(config, name);
  const state = await limiter.get(key);
  return state && state.consumedPoints >= limiter.points ? Math.ceil(state.msBeforeNext / 1000) : 0;
}

/** Starts `key`'s count afresh (a successful sign-in forgets the failures before it). */
export async function forgetRequests(config: ServerConfig, name: LimitName, key: string): Promise<void> {
  await limiterFor(config, name).delete(key);
}

/** Closes the Redis connection of a server instance's limiters (on app stop). */
export function closeRateLimiters(config: ServerConfig) {
  instances.get(config)?.redis?.disconnect();
  instances.delete(config);
}
