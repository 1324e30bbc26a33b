import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, type App } from "../../../server/src/app.js";
import { readConfig, type ServerConfig } from "../../../server/src/config.js";
import { DEMO_PASSWORD } from "../../../server/src/seed.js";
import { freshPostgresUrl, usingPostgres } from "./database.js";

// Starts a real server on port 0 with its own database: a temporary SQLite
// file by default, or a fresh PostgreSQL database when TEST_POSTGRES_URL is set
// (the suite runs once each way in CI).
export type TestApp = App & {
  dataDir: string;
  /** POST a GraphQL operation; returns the parsed body. */
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: any }[] }>;
  /** Session token of a demo user. */
  login(role: DemoRole): Promise<string>;
  /** One session per demo user, made on first use and shared by the helpers that need one. */
  session(role: DemoRole): Promise<string>;
};

type DemoRole = "engineer" | "owner" | "qa" | "admin";

/**
 * Settings of every test server: the demo users seeded (tests sign in as them, like
 * `pnpm start` does), no machine launches, and passwords hashed at scrypt's N = 2^10
 * instead of 2^17 (a sign-in costs milliseconds, not a second of CPU).
 */
export const TEST_ENV = { PORT: "0", LOG_LEVEL: "silent", COMPUTE_LAUNCHES: "false", SEED_DEMO: "true", PASSWORD_HASH_COST: "10" };
export const testConfig = (dataDir: string): ServerConfig => readConfig({ ...TEST_ENV, DATA_DIR: dataDir });

export async function startTestApp(overrides: Partial<ServerConfig> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), "tuneloop-test-"));
  const postgres = usingPostgres() && !overrides.databaseUrl ? await freshPostgresUrl() : null;
  const config: ServerConfig = {
    ...testConfig(dataDir),
    ...(postgres && { databaseUrl: postgres.url }),
    ...overrides,
  };
  const app = await buildApp(config);
  await app.start(0);
  const stop = app.stop.bind(app);

  const gql: TestApp["gql"] = async (query, variables, token) => {
    const response = await fetch(`${app.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  };
  const login: TestApp["login"] = async (role) => {
    const result = await gql(`mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
      e: `${role}@demo.tuneloop.dev`,
      p: DEMO_PASSWORD,
    });
    if (!result.data) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
    return result.data.login.token;
  };

  const sessions = new Map<DemoRole, Promise<string>>();
  const session: TestApp["session"] = (role) => {
    if (!sessions.has(role)) sessions.set(role, login(role));
    return sessions.get(role)!;
  };

  return Object.assign(app, {
    dataDir,
    gql,
    login,
    session,
    async stop() {
      await stop();
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
