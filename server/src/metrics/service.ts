import { Prisma } from "../generated/sqlite/client.js";
import type { Tx } from "../events/service.js";
import type { DbProvider } from "../db/client.js";
import { AppError } from "../errors.js";
import { downsamplePoints, stepsToKeep } from "./downsample.js";
import { bucketStats, foldIntoRollups, ROLLUP_WIDTHS } from "./rollup.js";
import { selectJsonRows, type ColumnType } from "./jsonRows.js";

export type MetricPoint = { name: string; step: number; value: number; epoch: number | null; wallTime: number };

const INSERT_CHUNK = 5000;
const MAX_POINTS_LIMIT = 10_000;
/** Points of a series when the client does not say how many it wants: a chart's worth, not the whole history. */
export const DEFAULT_MAX_POINTS = 1000;

const num = (v: unknown) => Number(v);
const toPoint = (r: Record<string, unknown>): MetricPoint => ({
  name: String(r.name),
  step: num(r.step),
  value: num(r.value),
  epoch: r.epoch == null ? null : num(r.epoch),
  wallTime: num(r.wallTime),
});

const POINT_COLUMNS: [string, ColumnType][] = [
  ["name", "text"],
  ["step", "integer"],
  ["value", "float"],
  ["epoch", "float"],
  ["wallTime", "float"],
];

/**
 * Stores points idempotently on (job, name, step) and returns the ones that
 * were new: a re-sent point is ignored, a late one is stored in its place.
 */
export async function storePoints(tx: Tx, provider: DbProvider, jobId: string, points: MetricPoint[]): Promise<MetricPoint[]> {
  const key = (name: string, step: number) => `${name}\u0000${step}`;
  // The first of two copies in one batch is the one stored.
  const byKey = new Map<string, MetricPoint>();
  for (const p of [...points].reverse()) byKey.set(key(p.name, p.step), p);
  const stored: MetricPoint[] = [];
  for (let i = 0; i < points.length; i += INSERT_CHUNK) {
    const rows = points.slice(i, i + INSERT_CHUNK).map((p) => [p.name, p.step, p.value, p.epoch, p.wallTime]);
    const inserted = await tx.$queryRaw<{ name: string; step: unknown }[]>`
      INSERT INTO "MetricPoint" ("jobId", "name", "step", "value", "epoch", "wallTime")
      SELECT ${jobId}, "name", "step", "value", "epoch", "wallTime" FROM (${selectJsonRows(provider, POINT_COLUMNS, rows)}) AS r WHERE true
      ON CONFLICT DO NOTHING RETURNING "name", "step"`;
    for (const row of inserted) stored.push(byKey.get(key(row.name, num(row.step)))!);
  }
  await foldIntoRollups(tx, provider, jobId, stored);
  return stored;
}

/** The point at the highest step of each series (of `names`, or of all the job's series). */
export async function latestPoints(tx: Tx, jobId: string, names?: string[]): Promise<MetricPoint[]> {
  if (names?.length === 0) return [];
  // Without names, the series are listed by skipping through the primary key
  // (one index probe per name) rather than scanning every point.
  const seriesNames = names
    ? Prisma.sql`"series"("name") AS (VALUES ${Prisma.join(names.map((n) => Prisma.sql`(${n})`))})`
    : Prisma.sql`RECURSIVE "series"("name") AS (
        SELECT (SELECT "name" FROM "MetricPoint" WHERE "jobId" = ${jobId} ORDER BY "name" LIMIT 1)
        UNION ALL
        SELECT (SELECT "name" FROM "MetricPoint" WHERE "jobId" = ${jobId} AND "name" > "series"."name" ORDER BY "name" LIMIT 1)
        FROM "series" WHERE "series"."name" IS NOT NULL)`;
  const rows = await tx.$queryRaw<Record<string, unknown>[]>`
    WITH ${seriesNames}
    SELECT p."name", p."step", p."value", p."epoch", p."wallTime" FROM "series"
    JOIN "MetricPoint" p ON p."jobId" = ${jobId} AND p."name" = "series"."name"
      AND p."step" = (SELECT "step" FROM "MetricPoint" WHERE "jobId" = ${jobId} AND "name" = "series"."name" ORDER BY "step" DESC LIMIT 1)
    ORDER BY p."name"`;
  return rows.map(toPoint);
}

async function pointsInRange(tx: Tx, jobId: string, name: string, from: number, to: number): Promise<MetricPoint[]> {
  const rows = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT "name", "step", "value", "epoch", "wallTime" FROM "MetricPoint"
    WHERE "jobId" = ${jobId} AND "name" = ${name} AND "step" >= ${from} AND "step" <= ${to} ORDER BY "step"`;
  return rows.map(toPoint);
}

/** The points at the given steps: one probe of the primary key per step, whatever the planner's statistics say. */
async function pointsAtSteps(tx: Tx, provider: DbProvider, jobId: string, name: string, steps: number[]): Promise<MetricPoint[]> {
  const wanted = selectJsonRows(
    provider,
    [["step", "integer"]],
    steps.map((step) => [step]),
  );
  const column = (c: string) =>
    Prisma.sql`(SELECT p.${Prisma.raw(`"${c}"`)} FROM "MetricPoint" p WHERE p."jobId" = ${jobId} AND p."name" = ${name} AND p."step" = w."step")`;
  const rows = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT ${name} AS "name", w."step", ${column("value")} AS "value", ${column("epoch")} AS "epoch", ${column("wallTime")} AS "wallTime"
    FROM (${wanted}) AS w ORDER BY w."step"`;
  return rows.map(toPoint);
}

export type SeriesOptions = { maxPoints?: number | null; fromStep?: number | null; toStep?: number | null };
export type Series = { name: string; points: MetricPoint[]; totalPoints: number; downsampled: boolean };

/**
 * One series between two steps, at full resolution when the range holds no
 * more than `maxPoints` points (DEFAULT_MAX_POINTS when not given), else
 * downsampled to at most that many (bucket minima and maxima plus both ends).
 */
export async function readSeries(tx: Tx, provider: DbProvider, jobId: string, name: string, options: SeriesOptions): Promise<Series> {
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  if (maxPoints < 10 || maxPoints > MAX_POINTS_LIMIT) {
    throw new AppError("VALIDATION", `maxPoints must be between 10 and ${MAX_POINTS_LIMIT}`, "maxPoints");
  }
  const range = Prisma.sql`FROM "MetricPoint" WHERE "jobId" = ${jobId} AND "name" = ${name} AND "step" >= ${options.fromStep ?? 0} AND "step" <= ${options.toStep ?? 2 ** 31 - 1}`;
  // ORDER BY … LIMIT 1 rather than MIN/MAX: one index probe each, even when
  // PostgreSQL's statistics lag behind a bulk of new points (MIN/MAX then scanned them all).
  const [bounds] = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT (SELECT "step" ${range} ORDER BY "step" ASC LIMIT 1) AS "first", (SELECT "step" ${range} ORDER BY "step" DESC LIMIT 1) AS "last"`;
  if (bounds?.first == null) return { name, points: [], totalPoints: 0, downsampled: false };
  const first = num(bounds.first);
  const last = num(bounds.last);
  const whole = async () => {
    const points = await pointsInRange(tx, jobId, name, first, last);
    return { name, points, totalPoints: points.length, downsampled: false };
  };
  // A series has at most one point per step, so a short range is a small one.
  const span = last - first + 1;
  if (span <= maxPoints) return whole();

  const buckets = Math.floor((maxPoints - 2) / 2);
  const width = ROLLUP_WIDTHS.find((w) => Math.floor(span / w) >= buckets);
  if (!width) {
    // Under 16 steps per bucket: the range has at most 16 × buckets points, read them.
    const all = await whole();
    const points = downsamplePoints(all.points, buckets);
    return { ...all, points, downsampled: points.length < all.totalPoints };
  }
  const stats = await bucketStats(tx, jobId, name, width, first, last);
  const totalPoints = stats.reduce((sum, s) => sum + s.count, 0);
  if (totalPoints <= maxPoints) return whole();
  const points = await pointsAtSteps(tx, provider, jobId, name, stepsToKeep(stats, buckets, first, last));
  return { name, points, totalPoints, downsampled: true };
}

/**
 * Steps per second over the last ~`window` points of a series, from the
 * trainer's own clock (wallTime): a rate over a recent window, so that time
 * lost to an interruption long ago does not slow the estimate.
 */
export async function recentStepRate(tx: Tx, jobId: string, name: string, window = 50): Promise<number | null> {
  const rows = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT "step", "wallTime" FROM "MetricPoint" WHERE "jobId" = ${jobId} AND "name" = ${name} ORDER BY "step" DESC LIMIT ${window}`;
  if (rows.length < 2) return null;
  const [latest, oldest] = [rows[0], rows[rows.length - 1]];
  const seconds = num(latest.wallTime) - num(oldest.wallTime);
  return seconds > 0 ? (num(latest.step) - num(oldest.step)) / seconds : null;
}

/**
 * A page of a job's points (from `fromStep` on) in (name, step) order, after
 * the given key: exports and replays read them page by page.
 */
export async function pointsPage(
  tx: Tx,
  jobId: string,
  names: string[] | null,
  after: { name: string; step: number } | null,
  size = 5000,
  fromStep = 0,
): Promise<MetricPoint[]> {
  const rows = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT "name", "step", "value", "epoch", "wallTime" FROM "MetricPoint" WHERE "jobId" = ${jobId} AND "step" >= ${fromStep}
    ${names?.length ? Prisma.sql`AND "name" IN (${Prisma.join(names)})` : Prisma.empty}
    ${after ? Prisma.sql`AND ("name" > ${after.name} OR ("name" = ${after.name} AND "step" > ${after.step}))` : Prisma.empty}
    ORDER BY "name", "step" LIMIT ${size}`;
  return rows.map(toPoint);
}
