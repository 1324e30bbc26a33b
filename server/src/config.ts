import { z } from "zod";
import { resolve } from "node:path";

// Every setting the server reads, validated once at start (see README "Configuration").
const schema = z.object({
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
  /** Seed the demo organization, users and dataset on start. */
  SEED_DEMO: z.enum(["true", "false"]).default("true"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type ServerConfig = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  redisUrl?: string;
  publicUrl?: string;
  webDist?: string;
  leaseSeconds: number;
  stallSeconds: number;
  seedDemo: boolean;
  logLevel: z.infer<typeof schema>["LOG_LEVEL"];
};

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
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
    seedDemo: e.SEED_DEMO === "true",
    logLevel: e.LOG_LEVEL,
  };
}
