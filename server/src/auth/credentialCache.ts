import type { Db } from "../db/client.js";
import type { Viewer } from "../context.js";
import { ExpiringCache } from "../expiringCache.js";
import { listen, type PubSub } from "../pubsub.js";
import { isRevoked } from "./liveConnections.js";
import { bearerToken, resolveToken } from "./service.js";
import { hashToken } from "./tokens.js";

// The callers of the deployed endpoint, resolved once and kept for a few
// seconds, so that a completion does not wait on the database for its API key.
// A revoked key, an ended session or a removed member is dropped at once, on
// every instance: revocations come over the pub/sub ("auth:revoked", Redis when
// REDIS_URL is set). The lifetime bounds what else could change unannounced
// (an organization's maximum key lifetime lowered, a Redis message lost); the
// credential's own expiry is kept too. A trainer's token is never kept
// (resolveToken): it depends on its job's lease, checked each time.

const LIFETIME_MS = 10_000;
const MAX_CREDENTIALS = 10_000;

export class CredentialCache {
  // Keyed by the token's hash: no secret is held in memory longer than its request.
  private readonly viewers = new ExpiringCache<string, Viewer>({ ttlMs: LIFETIME_MS, maxEntries: MAX_CREDENTIALS });
  private readonly stopListening: () => Promise<void>;

  constructor(
    private readonly db: Db,
    pubsub: PubSub,
  ) {
    this.stopListening = listen(pubsub, "auth:revoked", (which) =>
      this.viewers.invalidate((viewer) => viewer.kind === "user" && isRevoked(viewer, which)),
    );
  }

  /** The caller of `Authorization: Bearer …` (as resolveViewer finds it), from memory when it was resolved a moment ago. */
  async resolve(authorization: string | null | undefined): Promise<Viewer | null> {
    const token = bearerToken(authorization);
    return token ? this.viewers.get(hashToken(token), () => resolveToken(this.db, token)) : null;
  }

  close(): Promise<void> {
    return this.stopListening();
  }
}
