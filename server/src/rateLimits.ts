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

export type RateDecision = { allowed: boolean; limit: number; remaining: number; resetSeconds: number };

/** One server instance's limiters (each made on first use) and their Redis connection. */
export class RateLimits {
  private readonly byName = new Map<LimitName, RateLimiterAbstract>();
  private readonly redis: Redis | null;

  constructor(private readonly config: ServerConfig) {
    this.redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 3 }) : null;
  }

  private limiter(name: LimitName): RateLimiterAbstract {
    let limiter = this.byName.get(name);
    if (!limiter) {
      const options = { keyPrefix: `tuneloop:${name}`, ...LIMITS[name](this.config) };
      // Redis down: count in memory rather than refuse every request.
      limiter = this.redis
        ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
      this.byName.set(name, limiter);
    }
    return limiter;
  }

  /** Counts one request (or failure) of `key`; refused once the limit is reached. */
  async take(name: LimitName, key: string): Promise<RateDecision> {
    const limiter = this.limiter(name);
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

  /** Starts `key`'s count afresh (a successful sign-in forgets the failures before it). */
  async forget(name: LimitName, key: string): Promise<void> {
    await this.limiter(name).delete(key);
  }

  /** Closes the Redis connection (app stop). */
  close() {
    this.redis?.disconnect();
  }
}
