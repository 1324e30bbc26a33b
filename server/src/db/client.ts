import { PrismaPg } from "@prisma/adapter-pg";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PrismaClient as SqliteClient } from "../generated/sqlite/client.js";
import { PrismaClient as PostgresClient } from "../generated/postgres/client.js";
import { createSqliteAdapter } from "./sqliteAdapter.js";

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

// Pothos passes `{ select: {} }` when a client selects only __typename, and
// Prisma rejects an empty select: load the plain row instead, for every model.
function withoutEmptySelect<C extends SqliteClient | PostgresClient>(client: C): Db {
  return (client as SqliteClient).$extends({
    query: {
      $allModels: {
        $allOperations({ args, query }) {
          const { select, ...rest } = (args ?? {}) as { select?: object };
          return query((select && Object.keys(select).length === 0 ? rest : args) as typeof args);
        },
      },
    },
  }) as unknown as Db;
}

export function createDb(url: string): { db: Db; provider: DbProvider } {
  if (isPostgresUrl(url)) {
    const adapter = new PrismaPg({ connectionString: url, max: 10 });
    return { db: withoutEmptySelect(new PostgresClient({ adapter })), provider: "postgres" };
  }
  const file = sqliteFilePath(url);
  mkdirSync(dirname(file), { recursive: true });
  return { db: withoutEmptySelect(new SqliteClient({ adapter: createSqliteAdapter(file) })), provider: "sqlite" };
}
