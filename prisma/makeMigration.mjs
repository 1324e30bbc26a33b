// Writes the next migration for both databases without touching a database:
// `prisma migrate diff` from the schema as last migrated (kept as a snapshot)
// to the current one. Usage: pnpm db:migration <name>
import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writePostgresSchema } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: pnpm db:migration <snake_case_name>");
  process.exit(2);
}
writePostgresSchema();
const prisma = join(here, "..", "server", "node_modules", ".bin", "prisma");
const schemas = { sqlite: join(here, "schema.prisma"), postgres: join(here, "postgres", "schema.prisma") };

// The CLI opens its adapter even for a pure diff: give it a scratch SQLite file,
// and the local PostgreSQL for the PostgreSQL schema.
const scratch = mkdtempSync(join(tmpdir(), "tuneloop-diff-"));
const envFor = {
  sqlite: { ...process.env, DATABASE_URL: `file:${join(scratch, "diff.db")}` },
  postgres: {
    ...process.env,
    PRISMA_PROVIDER: "postgres",
    DATABASE_URL: process.env.DIFF_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
  },
};

for (const [provider, schema] of Object.entries(schemas)) {
  const folder = join(here, "migrations", provider);
  mkdirSync(folder, { recursive: true });
  const snapshot = join(folder, "schema.snapshot.prisma");
  const from = existsSync(snapshot) ? ["--from-schema-datamodel", snapshot] : ["--from-empty"];
  const sql = execFileSync(prisma, ["migrate", "diff", ...from, "--to-schema-datamodel", schema, "--script"], {
    encoding: "utf8",
    cwd: join(here, "..", "server"),
    env: envFor[provider],
  });
  const count = readdirSync(folder).filter((f) => /^\d{4}_/.test(f)).length;
  const target = join(folder, `${String(count + 1).padStart(4, "0")}_${name}`);
  mkdirSync(target);
  writeFileSync(join(target, "migration.sql"), sql);
  writeFileSync(snapshot, readFileSync(schema, "utf8"));
  console.log(`wrote ${target}`);
}
