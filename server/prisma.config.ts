// Prisma CLI configuration. The JS engine with a driver adapter keeps the CLI
// from downloading native engines (there is no network at install time).
// PRISMA_PROVIDER=postgres selects the derived PostgreSQL schema.
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

const postgres = process.env.PRISMA_PROVIDER === "postgres";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: postgres ? "../prisma/postgres/schema.prisma" : "../prisma/schema.prisma",
  async adapter() {
    const url = process.env.DATABASE_URL ?? "file:../data/tuneloop.db";
    return postgres ? new PrismaPg({ connectionString: url }) : new PrismaBetterSQLite3({ url });
  },
});
