import type { PubSub } from "../pubsub.js";

// Authorization follows revocation: a subscription was authorized once, when it
// started, so ending a session, revoking an API key or removing a member must
// also end the subscriptions opened with it. Each instance keeps a registry of
// its live subscriptions by credential and user; a revocation is published on
// the pub/sub ("auth:revoked"), so with Redis every instance hears it.

/** Which credentials to end: one session or API key (its id), or every credential of a user (in one organization, with `orgId`). */
export type RevokedCredentials = { credentialId?: string; userId?: string; orgId?: string };

type LiveConnection = { credentialId: string; userId: string; orgId: string; end: () => void };

// One registry per server instance; the instance's pub/sub identifies it (tests run several in one process).
const registries = new WeakMap<PubSub, Set<LiveConnection>>();

function registryOf(pubsub: PubSub) {
  let registry = registries.get(pubsub);
  if (!registry) registries.set(pubsub, (registry = new Set()));
  return registry;
}

/**
 * Ends, on every instance, the live subscriptions opened with these credentials
 * (graphql-ws: the socket closes with 4403; SSE: the stream ends). Call it after
 * the credential is gone from the database, so a client that reconnects is refused.
 */
export async function endCredentialSessions(pubsub: PubSub, which: RevokedCredentials): Promise<void> {
  if (!which.credentialId && !which.userId) return;
  pubsub.publish("auth:revoked", which);
}

/** Whether a revocation covers a credential (of `userId` in `orgId`). */
export const isRevoked = (credential: { credentialId: string; userId: string; orgId: string }, which: RevokedCredentials) =>
  credential.credentialId === which.credentialId ||
  (credential.userId === which.userId && (!which.orgId || credential.orgId === which.orgId));

/** Registers a live subscription; `end` is called when its credential is revoked. Returns the way to forget it. */
export function trackLiveConnection(
  pubsub: PubSub,
  owner: { credentialId: string; userId: string; orgId: string },
  end: () => void,
): () => void {
  const connection = { credentialId: owner.credentialId, userId: owner.userId, orgId: owner.orgId, end };
  registryOf(pubsub).add(connection);
  return () => registryOf(pubsub).delete(connection);
}

/** Listens for revocations (from this instance or, with Redis, any other); returns the way to stop. */
export function watchRevocations(pubsub: PubSub): () => Promise<void> {
  const revocations = pubsub.subscribe("auth:revoked")[Symbol.asyncIterator]();
  void (async () => {
    for (;;) {
      const { value, done } = await revocations.next();
      if (done) return;
      for (const connection of registryOf(pubsub)) {
        if (isRevoked(connection, value)) {
          registryOf(pubsub).delete(connection);
          connection.end();
        }
      }
    }
  })();
  return async () => {
    await revocations.return?.();
  };
}
