import Database from "better-sqlite3";
import pg from "pg";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPostgresUrl, sqliteFilePath } from "./client.js";

// Applies the checked-in migrations (prisma/migrations/<provider>/NNNN_*/migration.sql)
// that the database has not seen yet, each in its own transaction. Prisma's own
// `migrate deploy` needs its CLI and a patched PostgreSQL adapter; these are the
// same files, applied in-process so that a first start needs nothing installed.
const migrationsRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "prisma", "migrations");
const ledger = `CREATE TABLE IF NOT EXISTS "_tuneloop_migrations" ("name" TEXT PRIMARY KEY, "appliedAt" TEXT NOT NULL)`;

function pending(provider: "sqlite" | "postgres", applied: Set<string>) {
  const folder = join(migrationsRoot, provider);
  return readdirSync(folder)
    .filter((name) => /^\d{4}_/.test(name) && !applied.has(name))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(folder, name, "migration.sql"), "utf8") }));
}

export async function migrateDatabase(url: string): Promise<string[]> {
  return isPostgresUrl(url) ? migratePostgres(url) : migrateSqlite(sqliteFilePath(url));
}

function migrateSqlite(file: string): string[] {
  mkdirSync(dirname(file), { recursive: true });
  // Instances starting together wait for each other (up to 30 s) instead of failing on a locked file.
  const sqlite = new Database(file, { timeout: 30_000 });
  try {
    sqlite.pragma("journal_mode = WAL");
    // One write transaction from reading the ledger to the last migration: a second migrator finds them applied.
    const migrate = sqlite.transaction(() => {
      sqlite.exec(ledger);
      const applied = new Set(sqlite.prepare(`SELECT "name" FROM "_tuneloop_migrations"`).pluck().all() as string[]);
      const todo = pending("sqlite", applied);
      for (const m of todo) {
        sqlite.exec(m.sql);
        sqlite.prepare(`INSERT INTO "_tuneloop_migrations" VALUES (?, ?)`).run(m.name, new Date().toISOString());
      }
      return todo.map((m) => m.name);
    });
    return migrate.immediate();
  } finally {
    sqlite.close();
  }
}

async function migratePostgres(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One migrator at a time when several instances start together.
    await client.query("SELECT pg_advisory_lock(727274)");
    await client.query(ledger);
    const { rows } = await client.query<{ name: string }>(`SELECT "name" FROM "_tuneloop_migrations"`);
    const todo = pending("postgres", new Set(rows.map((r) => r.name)));
    for (const m of todo) {
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO "_tuneloop_migrations" VALUES ($1, $2)`, [m.name, new Date().toISOString()]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }
    return todo.map((m) => m.name);
  } finally {
    await client.end();
  }
}
