import { Prisma } from "../generated/sqlite/client.js";
import type { Tx } from "../events/service.js";
import type { DbProvider } from "../db/client.js";
import type { BucketStats, Point } from "./downsample.js";
import { selectJsonRows, type ColumnType } from "./jsonRows.js";

// Each series is also kept as min/max per fixed-width step bucket, at three
// widths. Reading a million raw points to downsample them takes 300–450 ms in
// SQLite or PostgreSQL alone (measured here); reading a few thousand buckets
// takes a few milliseconds. Ingest folds every NEW point into its buckets, so
// the counts stay exact (a re-sent point is not new and is not counted twice).
export const ROLLUP_WIDTHS = [4096, 256, 16] as const;
const ROLLUP_COLUMNS: [string, ColumnType][] = [
  ["name", "text"],
  ["width", "integer"],
  ["bucket", "integer"],
  ["count", "integer"],
  ["minStep", "integer"],
  ["minValue", "float"],
  ["maxStep", "integer"],
  ["maxValue", "float"],
];

type NewPoint = Point & { name: string };

/** Folds newly stored points into their buckets at every width. */
export async function foldIntoRollups(tx: Tx, provider: DbProvider, jobId: string, points: NewPoint[]) {
  if (points.length === 0) return;
  const buckets = new Map<string, { name: string; width: number; bucket: number } & BucketStats>();
  for (const p of points) {
    for (const width of ROLLUP_WIDTHS) {
      const bucket = Math.floor(p.step / width);
      const key = `${p.name}\u0000${width}\u0000${bucket}`;
      const b = buckets.get(key);
      if (!b) {
        buckets.set(key, { name: p.name, width, bucket, count: 1, minStep: p.step, minValue: p.value, maxStep: p.step, maxValue: p.value });
        continue;
      }
      b.count++;
      if (p.value < b.minValue) Object.assign(b, { minValue: p.value, minStep: p.step });
      if (p.value > b.maxValue) Object.assign(b, { maxValue: p.value, maxStep: p.step });
    }
  }
  const rows = [...buckets.values()].map((b) => [b.name, b.width, b.bucket, b.count, b.minStep, b.minValue, b.maxStep, b.maxValue]);
  const source = selectJsonRows(provider, ROLLUP_COLUMNS, rows);
  // In an upsert every SET expression sees the row as it was, in both databases.
  // (SQLite needs the WHERE to tell the upsert's ON from a join's.)
  await tx.$executeRaw`
    INSERT INTO "MetricRollup" ("jobId", "name", "width", "bucket", "count", "minStep", "minValue", "maxStep", "maxValue")
    SELECT ${jobId}, "name", "width", "bucket", "count", "minStep", "minValue", "maxStep", "maxValue" FROM (${source}) AS r WHERE true
    ON CONFLICT ("jobId", "name", "width", "bucket") DO UPDATE SET
      "count" = "MetricRollup"."count" + excluded."count",
      "minStep" = CASE WHEN excluded."minValue" < "MetricRollup"."minValue" THEN excluded."minStep" ELSE "MetricRollup"."minStep" END,
      "minValue" = CASE WHEN excluded."minValue" < "MetricRollup"."minValue" THEN excluded."minValue" ELSE "MetricRollup"."minValue" END,
      "maxStep" = CASE WHEN excluded."maxValue" > "MetricRollup"."maxValue" THEN excluded."maxStep" ELSE "MetricRollup"."maxStep" END,
      "maxValue" = CASE WHEN excluded."maxValue" > "MetricRollup"."maxValue" THEN excluded."maxValue" ELSE "MetricRollup"."maxValue" END`;
}

const num = (v: unknown) => Number(v);

/** Count and extremes of the raw points of a short step range (at most one bucket wide). */
async function rawStats(tx: Tx, jobId: string, name: string, from: number, to: number): Promise<BucketStats | null> {
  const range = Prisma.sql`FROM "MetricPoint" WHERE "jobId" = ${jobId} AND "name" = ${name} AND "step" >= ${from} AND "step" <= ${to}`;
  const [row] = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT (SELECT COUNT(*) ${range}) AS "count",
      (SELECT "step" ${range} ORDER BY "value" ASC, "step" ASC LIMIT 1) AS "minStep",
      (SELECT "value" ${range} ORDER BY "value" ASC, "step" ASC LIMIT 1) AS "minValue",
      (SELECT "step" ${range} ORDER BY "value" DESC, "step" ASC LIMIT 1) AS "maxStep",
      (SELECT "value" ${range} ORDER BY "value" DESC, "step" ASC LIMIT 1) AS "maxValue"`;
  if (!row || num(row.count) === 0) return null;
  return {
    count: num(row.count),
    minStep: num(row.minStep),
    minValue: num(row.minValue),
    maxStep: num(row.maxStep),
    maxValue: num(row.maxValue),
  };
}

/**
 * The series between `from` and `to` (inclusive) as consecutive buckets of
 * `width` steps, in step order: whole buckets from the rollup, the partial
 * ones at either end from the raw points.
 */
export async function bucketStats(tx: Tx, jobId: string, name: string, width: number, from: number, to: number): Promise<BucketStats[]> {
  const firstWhole = Math.ceil(from / width);
  const lastWhole = Math.floor((to + 1) / width) - 1;
  if (firstWhole > lastWhole) {
    const only = await rawStats(tx, jobId, name, from, to);
    return only ? [only] : [];
  }
  const head = from < firstWhole * width ? await rawStats(tx, jobId, name, from, firstWhole * width - 1) : null;
  const tail = to >= (lastWhole + 1) * width ? await rawStats(tx, jobId, name, (lastWhole + 1) * width, to) : null;
  const whole = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT "count", "minStep", "minValue", "maxStep", "maxValue" FROM "MetricRollup"
    WHERE "jobId" = ${jobId} AND "name" = ${name} AND "width" = ${width} AND "bucket" >= ${firstWhole} AND "bucket" <= ${lastWhole}
    ORDER BY "bucket"`;
  const rows = whole.map((r) => ({
    count: num(r.count),
    minStep: num(r.minStep),
    minValue: num(r.minValue),
    maxStep: num(r.maxStep),
    maxValue: num(r.maxValue),
  }));
  return [...(head ? [head] : []), ...rows, ...(tail ? [tail] : [])];
}
