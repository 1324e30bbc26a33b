// Derives the PostgreSQL schema from the SQLite one (Prisma cannot take the
// provider from an environment variable) and generates both clients.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sqliteSchema = join(here, "schema.prisma");
const postgresSchema = join(here, "postgres", "schema.prisma");

export function writePostgresSchema() {
  const source = readFileSync(sqliteSchema, "utf8");
  const derived = source
    .replace(/generator pothos \{[^}]*\}\n\n/, "")
    .replace('output                 = "../server/src/generated/sqlite"', 'output                 = "../../server/src/generated/postgres"')
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace('url      = "file:./placeholder.db"', 'url      = "postgresql://placeholder@localhost:5432/placeholder"');
  mkdirSync(dirname(postgresSchema), { recursive: true });
  writeFileSync(postgresSchema, `// GENERATED from ../schema.prisma by prisma/generate.mjs: edit that file.\n${derived}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writePostgresSchema();
  const prisma = join(here, "..", "server", "node_modules", ".bin", "prisma");
  const server = join(here, "..", "server");
  // The Pothos generator is looked up on PATH, like any Prisma generator.
  const env = { ...process.env, PATH: `${join(server, "node_modules", ".bin")}:${process.env.PATH}` };
  for (const schema of [sqliteSchema, postgresSchema]) {
    execFileSync(prisma, ["generate", "--schema", schema], { cwd: server, env, stdio: ["ignore", "ignore", "inherit"] });
  }
}
