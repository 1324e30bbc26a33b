import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PrismaClient as SqliteClient } from "../generated/sqlite/client.js";
import { PrismaClient as PostgresClient } from "../generated/postgres/client.js";

// Both generated clients share one API (they come from one schema); the
// application is typed against the SQLite one.
export type Db = SqliteClient;
export type DbProvider = "sqlite" | "postgres";

export function isPostgresUrl(url: string): boolean {
  return url.startsWith("postgresql://") || url.startsWith("postgres://");
}

export function sqliteFilePath(url: string): string {
  return url.replace(/^file:/, "");
}

export function createDb(url: string): { db: Db; provider: DbProvider } {
  if (isPostgresUrl(url)) {
    const adapter = new PrismaPg({ connectionString: url, max: 10 });
    return { db: new PostgresClient({ adapter }) as unknown as Db, provider: "postgres" };
  }
  const file = sqliteFilePath(url);
  mkdirSync(dirname(file), { recursive: true });
  const adapter = new PrismaBetterSQLite3({ url: file });
  return { db: new SqliteClient({ adapter }), provider: "sqlite" };
}
