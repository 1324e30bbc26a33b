import type { Db, DbProvider } from "./db/client.js";
import type { PubSub } from "./pubsub.js";
import type { ServerConfig } from "./config.js";
import type { ServerKeys } from "./serverKeys.js";
import type { Storage } from "./artifacts/storage.js";
import type { RateLimits } from "./rateLimits.js";
import type { InferenceBackends } from "./serving/backends.js";
import type { GpuCatalog } from "./costs/catalog.js";
import type { ComputeProviders } from "./compute/providers.js";
import type { CredentialCache } from "./auth/credentialCache.js";
import type { DeploymentCache } from "./serving/deploymentCache.js";
import type { UsageCounter } from "./serving/usageCounter.js";
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

/** What one app creates and owns (buildApp makes each, stop() closes each): nothing lives in module state. */
export type AppServices = {
  db: Db;
  provider: DbProvider;
  pubsub: PubSub;
  config: ServerConfig;
  keys: ServerKeys;
  /** The GPUs jobs can run on and their prices (GPU_CATALOG_FILE). */
  gpus: GpuCatalog;
  /** Where artifact bytes live (DATA_DIR or STORAGE_URL). */
  storage: Storage;
  rateLimits: RateLimits;
  /** The inference backends (engine serving process, OpenAI-compatible server) and their queues. */
  inference: InferenceBackends;
  /** Machines this server launches with its own settings, and those of organizations' credentials. */
  compute: ComputeProviders;
  /** Callers of the deployed endpoint resolved a moment ago (dropped when revoked). */
  credentials: CredentialCache;
  /** Where the deployed endpoint's paths lead (dropped on deploy and retirement). */
  deployments: DeploymentCache;
  /** Deployed versions' request counts, written in batches. */
  usage: UsageCounter;
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

export type UserViewer = Extract<Viewer, { kind: "user" }>;
export type TrainerViewer = Extract<Viewer, { kind: "trainer" }>;
/** What a resolver behind the user, role or worker scope receives: the caller is a user. */
export type UserContext = Context & { viewer: UserViewer };
/** What a resolver behind the trainer or jobToken scope receives: the caller is a job's trainer. */
export type TrainerContext = Context & { viewer: TrainerViewer };
