import { createPubSub } from "graphql-yoga";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";

// The one pub/sub of the server. Topics are declared here, typed, so that a
// publisher and its subscribers cannot drift apart. Payloads are plain JSON
// (ids and numbers): with Redis they cross process boundaries as JSON.
export type Topics = {
  /** A job's fields changed (status, progress, cost…). */
  "job:updated": [jobId: string, payload: { jobId: string }];
  /** Something about the organization's job list changed. */
  "org:jobs": [orgId: string, payload: { jobId: string; change: "created" | "updated" | "deleted" }];
  /** New metric points were stored for a job. */
  "job:metrics": [
    jobId: string,
    payload: { jobId: string; points: { name: string; step: number; value: number; epoch: number | null; wallTime: number }[] },
  ];
  /** A job event was appended. */
  "job:events": [jobId: string, payload: { jobId: string; eventId: number }];
  /** A validation run of the job was queued, progressed or finished. */
  "validation:updated": [jobId: string, payload: { jobId: string; runId: string }];
  /** Any job of any organization changed: for domains that watch every job (budgets, alerts). */
  "jobs:changed": [payload: { jobId: string; orgId: string; change: "created" | "updated" | "deleted" }];
  /** Notification deliveries were queued: wakes the delivery worker. */
  "notifications:queued": [payload: { orgId: string }];
  /** A session or API key was ended, or a user removed: every instance ends their live subscriptions (auth/liveConnections.ts). */
  "auth:revoked": [payload: { credentialId?: string; userId?: string; orgId?: string }];
  /** A version of the model was deployed or retired: every instance forgets where the model's endpoint paths led (serving/deploymentCache.ts). */
  "model:deployments": [payload: { modelId: string }];
};

export type PubSub = ReturnType<typeof createPubSub<Topics>> & { close(): Promise<void> };

export function createAppPubSub(redisUrl?: string): PubSub {
  if (!redisUrl) return Object.assign(createPubSub<Topics>(), { close: async () => {} });
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const pubsub = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  return Object.assign(pubsub, {
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  });
}

/** Topics published to everyone (no per-entity id). */
type BroadcastTopic = { [T in keyof Topics]: Topics[T] extends [unknown] ? T : never }[keyof Topics];

/** Hands each message of a broadcast topic (from any instance, with Redis) to `handle`; returns the way to stop. */
export function listen<T extends BroadcastTopic>(pubsub: PubSub, topic: T, handle: (payload: Topics[T][0]) => void): () => Promise<void> {
  const messages = (pubsub.subscribe as (topic: T) => AsyncIterable<Topics[T][0]>)(topic)[Symbol.asyncIterator]();
  void (async () => {
    for (let next = await messages.next(); !next.done; next = await messages.next()) handle(next.value);
  })();
  return async () => void (await messages.return?.());
}
