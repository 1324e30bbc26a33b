import type { Db, DbProvider } from "./db/client.js";
import type { PubSub } from "./pubsub.js";
import type { ServerConfig } from "./config.js";
import type { Role } from "./generated/sqlite/enums.js";

/** Who is calling: a user (API key or browser session) or a trainer holding a job token. */
export type Viewer =
  | {
      kind: "user";
      userId: string;
      orgId: string;
      role: Role;
      scopes: string[] | null /** The session or API key it signed in with (what rate limits count). */;
      credentialId: string;
    }
  | {
      kind: "trainer";
      orgId: string;
      jobId: string;
      tokenId: string /** Its worker holds the job's lease now: reports are accepted only then. */;
      holdsLease: boolean;
    };

export type AppServices = {
  db: Db;
  provider: DbProvider;
  pubsub: PubSub;
  config: ServerConfig;
  /** The server's own base URL once it listens (machines launched here report to it). */
  listeningUrl?: string;
};

export type Context = AppServices & {
  /** The raw Authorization header, for logout. */
  authorization: string | null;
  /** The caller's network address (the socket's, or the one trusted proxies report: TRUST_PROXY), for sign-in limits. */
  clientAddress: string | null;
  viewer: Viewer | null;
};
