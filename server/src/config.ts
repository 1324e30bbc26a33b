import { z } from "zod";
import proxyaddr from "proxy-addr";
import { join, resolve } from "node:path";

/** TRUST_PROXY as proxy-addr's trust function: may the proxy at this address (the hop-th from the server) be believed? */
function parseTrustProxy(value: string, ctx: z.RefinementCtx): (address: string, hop: number) => boolean {
  const text = value.trim().toLowerCase();
  if (text === "true" || text === "false") return () => text === "true";
  if (/^\d+$/.test(text)) return (_address, hop) => hop < Number(text);
  try {
    return proxyaddr.compile(
      text
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    );
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
}

const flag = (fallback: "true" | "false") =>
  z
    .enum(["true", "false"])
    .default(fallback)
    .transform((value) => value === "true");

// Every setting the server reads, validated once at start (see README "Configuration").
const env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().default("./data"),
  /** SQLite file (file:…) by default, or postgresql://… */
  DATABASE_URL: z.string().optional(),
  /** With a Redis URL, subscriptions are shared by every server instance. */
  REDIS_URL: z.string().optional(),
  /** Public base URL used in signed download links. */
  PUBLIC_URL: z.string().optional(),
  /** Folder with the built SPA to serve at /. */
  WEB_DIST: z.string().optional(),
  /** Seconds without a heartbeat before a worker's job is taken back. */
  LEASE_SECONDS: z.coerce.number().positive().default(30),
  /** Seconds without any report before a running job is flagged as stalled. */
  STALL_SECONDS: z.coerce.number().positive().default(300),
  /** Seed the demo organization, users and dataset (password `demo`) on start; `pnpm start` turns it on. */
  SEED_DEMO: flag("false"),
  /**
   * Which proxies in front of the server to believe about the client's address (X-Forwarded-For):
   * false (none, the default), true (all), a number of hops, or a comma list of addresses/CIDRs
   * and the names loopback, linklocal, uniquelocal.
   */
  TRUST_PROXY: z.string().default("false").transform(parseTrustProxy),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Mail server for EMAIL notification channels, e.g. smtp://user:pass@mail.example.com:587 (smtps:// for TLS from the start). */
  SMTP_URL: z.string().url("must be a URL like smtp://user:pass@host:587").optional(),
  /** Sender of notification emails. */
  SMTP_FROM: z.string().default("Tuneloop <notifications@tuneloop.local>"),
  /** First retry of a failed notification after this many seconds, then doubling (30 s, 1 min, 2 min…). */
  NOTIFY_RETRY_BASE_SECONDS: z.coerce.number().positive().default(30),
  /** A notification is given up after this many failed attempts. */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** How often the delivery worker looks for due retries. */
  NOTIFY_POLL_MS: z.coerce.number().int().positive().default(5000),
  /** Allow plain-http webhook URLs (local development and tests only; production requires https). */
  NOTIFY_ALLOW_HTTP: flag("false"),
  /** Hour (UTC) after which each day's digest is sent to users who asked for one. */
  DIGEST_HOUR_UTC: z.coerce.number().int().min(0).max(23).default(7),
  /** Key of the HMAC that signs artifact download links; generated into DATA_DIR when unset. */
  ARTIFACT_SIGNING_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** JSON file replacing the GPU price table (costs/catalog.ts, same shape). */
  GPU_CATALOG_FILE: z.string().optional(),
  /** Artifacts in an S3-compatible bucket: s3://bucket[/prefix]?endpoint=…&region=… (AWS_* credentials); files under DATA_DIR when unset. */
  STORAGE_URL: z.string().startsWith("s3://", "must look like s3://bucket?endpoint=…").optional(),
  /** Launch a machine per queued job with its organization's compute provider (server/src/compute); false leaves every job to self-managed workers. */
  COMPUTE_LAUNCHES: flag("true"),
  /** How often the compute reconciler compares machines with jobs. */
  COMPUTE_TICK_MS: z.coerce.number().int().positive().default(1000),
  /** Machines launched for one job before it is failed (each interruption takes one). */
  COMPUTE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  /** Images the kubernetes and skypilot providers run: the TypeScript worker (trainer/Dockerfile) and the GPU worker (trainer/Dockerfile.gpu). */
  WORKER_IMAGE: z.string().default("tuneloop-worker:latest"),
  WORKER_GPU_IMAGE: z.string().default("tuneloop-worker-gpu:latest"),
  /** The kubernetes provider is offered when one of these is set: an API server URL (with KUBERNETES_TOKEN) or a kubeconfig file. */
  KUBERNETES_API_URL: z.string().url().optional(),
  KUBERNETES_TOKEN: z.string().optional(),
  KUBERNETES_KUBECONFIG: z.string().optional(),
  KUBERNETES_NAMESPACE: z.string().default("tuneloop"),
  /** Node labels (k=v,k=v) for every job's pod, and for spot jobs' pods; tolerations (JSON list) for spot jobs' pods. */
  KUBERNETES_NODE_SELECTOR: z.string().default(""),
  KUBERNETES_SPOT_NODE_SELECTOR: z.string().default(""),
  KUBERNETES_SPOT_TOLERATIONS: z.string().default("[]"),
  /** The skypilot provider is offered when its API server's URL is set (`sky api info`); the token is a service-account token, if the server asks for one. */
  SKYPILOT_API_URL: z.string().url().optional(),
  SKYPILOT_API_TOKEN: z.string().optional(),
  /** Key that encrypts organizations' provider credentials (Settings → Compute) at rest; generated into DATA_DIR when unset. */
  COMPUTE_SECRETS_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  /** Completions a credential may ask a deployed model for per minute. */
  MODEL_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(60),
  /** Largest multipart upload (a dataset, a trainer's artifact) in MiB, refused while it is read. */
  UPLOAD_MAX_MB: z.coerce.number().positive().default(64),
  /** Playground prompts one user may send per minute (each runs two generations). */
  PLAYGROUND_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(20),
  /** Generations one organization may have waiting for an inference backend; more are refused (503 / BUSY). */
  INFERENCE_QUEUE_PER_ORG: z.coerce.number().int().positive().default(16),
  /** Requests in flight to one inference backend at once; the rest wait in the organizations' queues. */
  INFERENCE_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /** A backend request with no answer in this time fails (503, UNAVAILABLE). */
  INFERENCE_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  /** The engine's serving process (built-in models), e.g. http://127.0.0.1:4100/v1; unset: the server starts its own on first use. */
  ENGINE_SERVING_URL: z.string().url().optional(),
  /** An OpenAI-compatible server with LoRA adapters (vLLM) for Hugging Face base models, e.g. http://gpu-host:8000/v1. */
  OPENAI_COMPATIBLE_URL: z.string().url().optional(),
  OPENAI_COMPATIBLE_API_KEY: z.string().optional(),
  /** Where adapters are unpacked for the backends to load (lora_path): a folder the backend's machine sees at the same path. Default DATA_DIR/cache/adapters. */
  INFERENCE_ADAPTER_DIR: z.string().optional(),
  /** Hosts and CIDR ranges that notification webhooks may reach although they are private or loopback (comma-separated, e.g. hooks.internal,10.0.0.0/8). */
  NOTIFY_ALLOWED_HOSTS: z.string().default(""),
  /** A transient failure (NetworkError, or one its trainer marks transient) is retried by itself after this many seconds… */
  AUTO_RETRY_DELAY_SECONDS: z.coerce.number().min(0).default(60),
  /** …at most this many times in a row (0: never). */
  AUTO_RETRY_MAX: z.coerce.number().int().min(0).max(20).default(3),
  /** log2 of scrypt's N for new password hashes (17: 128 MiB, ~1 s of CPU each); lower only in tests. */
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(17),
});

// The settings as the server uses them: each read once from its variable above.
const configSchema = env.transform((e) => {
  const dataDir = resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `file:${resolve(dataDir, "tuneloop.db")}`,
    redisUrl: e.REDIS_URL,
    publicUrl: e.PUBLIC_URL,
    webDist: e.WEB_DIST,
    leaseSeconds: e.LEASE_SECONDS,
    stallSeconds: e.STALL_SECONDS,
    seedDemo: e.SEED_DEMO,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    smtpUrl: e.SMTP_URL,
    smtpFrom: e.SMTP_FROM,
    notifyRetryBaseSeconds: e.NOTIFY_RETRY_BASE_SECONDS,
    notifyMaxAttempts: e.NOTIFY_MAX_ATTEMPTS,
    notifyPollMs: e.NOTIFY_POLL_MS,
    notifyAllowHttp: e.NOTIFY_ALLOW_HTTP,
    digestHourUtc: e.DIGEST_HOUR_UTC,
    /** Unset: generated into DATA_DIR at start (serverKeys). */
    artifactSigningSecret: e.ARTIFACT_SIGNING_SECRET,
    gpuCatalogFile: e.GPU_CATALOG_FILE,
    storageUrl: e.STORAGE_URL,
    modelRateLimitPerMinute: e.MODEL_RATE_LIMIT_PER_MINUTE,
    uploadMaxBytes: Math.floor(e.UPLOAD_MAX_MB * 1024 * 1024),
    computeLaunches: e.COMPUTE_LAUNCHES,
    computeTickMs: e.COMPUTE_TICK_MS,
    computeMaxAttempts: e.COMPUTE_MAX_ATTEMPTS,
    /** Unset: generated into DATA_DIR at start (serverKeys). */
    computeSecretsKey: e.COMPUTE_SECRETS_KEY,
    /** What the kubernetes and skypilot providers need; a provider left unconfigured is not offered. */
    compute: {
      workerImage: e.WORKER_IMAGE,
      gpuWorkerImage: e.WORKER_GPU_IMAGE,
      kubernetes:
        e.KUBERNETES_API_URL || e.KUBERNETES_KUBECONFIG
          ? {
              apiUrl: e.KUBERNETES_API_URL,
              token: e.KUBERNETES_TOKEN,
              kubeconfig: e.KUBERNETES_KUBECONFIG,
              namespace: e.KUBERNETES_NAMESPACE,
              nodeSelector: e.KUBERNETES_NODE_SELECTOR,
              spotNodeSelector: e.KUBERNETES_SPOT_NODE_SELECTOR,
              spotTolerations: e.KUBERNETES_SPOT_TOLERATIONS,
            }
          : null,
      skypilot: e.SKYPILOT_API_URL ? { apiUrl: e.SKYPILOT_API_URL, token: e.SKYPILOT_API_TOKEN } : null,
    },
    playgroundRateLimitPerMinute: e.PLAYGROUND_RATE_LIMIT_PER_MINUTE,
    inference: {
      queuePerOrg: e.INFERENCE_QUEUE_PER_ORG,
      concurrency: e.INFERENCE_CONCURRENCY,
      timeoutSeconds: e.INFERENCE_TIMEOUT_SECONDS,
      engineUrl: e.ENGINE_SERVING_URL ?? null,
      openaiCompatible: e.OPENAI_COMPATIBLE_URL ? { url: e.OPENAI_COMPATIBLE_URL, apiKey: e.OPENAI_COMPATIBLE_API_KEY ?? null } : null,
      adapterDir: resolve(e.INFERENCE_ADAPTER_DIR ?? join(dataDir, "cache", "adapters")),
    },
    notifyAllowedHosts: e.NOTIFY_ALLOWED_HOSTS.split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    passwordHashCost: e.PASSWORD_HASH_COST,
    autoRetryDelaySeconds: e.AUTO_RETRY_DELAY_SECONDS,
    autoRetryMax: e.AUTO_RETRY_MAX,
  };
});

export type ServerConfig = z.output<typeof configSchema>;
export type ComputeSettings = ServerConfig["compute"];

/** The settings from the environment, validated; reads nothing else (key files are made at start: serverKeys). */
export function readConfig(environment: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = configSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}
