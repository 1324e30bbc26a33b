import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, type Db } from "./client.js";
import { migrateDatabase } from "./migrate.js";

// On the embedded SQLite database, a write from outside a transaction that is
// rolled back must survive: it waits for the transaction instead of joining it.
let dir: string;
let db: Db;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tuneloop-sqlite-"));
  const url = `file:${join(dir, "t.db")}`;
  await migrateDatabase(url);
  db = createDb(url).db;
});
afterAll(async () => {
  await db.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

it("keeps a concurrent write when another request's transaction rolls back", async () => {
  let releaseTransaction!: () => void;
  let wrote!: () => void;
  const holdOpen = new Promise<void>((resolve) => (releaseTransaction = resolve));
  const transactionWrote = new Promise<void>((resolve) => (wrote = resolve));
  const failing = db.$transaction(async (tx) => {
    await tx.organization.create({ data: { name: "rolled back", slug: "rolled-back" } });
    wrote();
    await holdOpen;
    throw new Error("refused");
  });
  // The transaction is open and has written before the outside write starts (a fixed pause was not enough on a loaded machine).
  await transactionWrote;
  // A single statement, as the ingest path's raw SQL writes are: Prisma runs it without a transaction of its own.
  const outside = db.$executeRaw`INSERT INTO "Organization" ("id", "name", "slug", "createdAt") VALUES ('kept-id', 'kept', 'kept', CURRENT_TIMESTAMP)`;
  // Give the outside write every chance to run before the transaction ends.
  const early = await Promise.race([
    outside.then(() => "ran inside the transaction"),
    new Promise((r) => setTimeout(() => r("waited"), 50)),
  ]);
  expect(early).toBe("waited");
  releaseTransaction();
  await expect(failing).rejects.toThrow("refused");
  await outside;
  const slugs = (await db.organization.findMany({ select: { slug: true } })).map((o) => o.slug);
  expect(slugs).toEqual(["kept"]);
});
