import type { Db } from "../db/client.js";
import { ExpiringCache } from "../expiringCache.js";
import { listen, type PubSub } from "../pubsub.js";
import { type DeployedVersion, deployedVersion } from "./service.js";

// Where the deployed endpoint's paths lead ({org}/{model}/{version|latest} →
// the deployed version, its model and job), kept for a few seconds so that a
// completion does not wait on the database for it. A deploy or retirement
// drops the model's paths at once on every instance (the "model:deployments"
// topic, Redis when REDIS_URL is set); the lifetime bounds a lost message.
// Paths that lead nowhere are not kept (anyone could fill the cache with them).

const LIFETIME_MS = 10_000;
const MAX_PATHS = 10_000;

export class DeploymentCache {
  private readonly versions = new ExpiringCache<string, DeployedVersion>({ ttlMs: LIFETIME_MS, maxEntries: MAX_PATHS });
  private readonly stopListening: () => Promise<void>;

  constructor(
    private readonly db: Db,
    pubsub: PubSub,
  ) {
    this.stopListening = listen(pubsub, "model:deployments", ({ modelId }) =>
      this.versions.invalidate((version) => version.model.id === modelId),
    );
  }

  /** The deployed version an endpoint path names; null when there is none to serve. */
  find(orgSlug: string, modelName: string, version: string): Promise<DeployedVersion | null> {
    return this.versions.get(`${orgSlug}/${modelName}/${version}`, async () => ({
      value: await deployedVersion(this.db, orgSlug, modelName, version),
      validUntil: Infinity,
    }));
  }

  close(): Promise<void> {
    return this.stopListening();
  }
}
