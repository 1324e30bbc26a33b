import type { Prisma } from "../generated/sqlite/client.js";
import type { JobStatus, Preset } from "../generated/sqlite/enums.js";
import type { DbProvider } from "../db/client.js";

export type JobFilter = {
  status?: JobStatus[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  createdById?: string | null;
  tag?: string | null;
  preset?: Preset[] | null;
  minCostUsd?: number | null;
  maxCostUsd?: number | null;
  search?: string | null;
  projectId?: string | null;
};

export type JobSortField = "CREATED_AT" | "NAME" | "COST" | "STATUS" | "DURATION" | "PROGRESS" | "QUALITY";

const SORT_COLUMN: Record<JobSortField, keyof Prisma.TrainingJobOrderByWithRelationInput> = {
  CREATED_AT: "createdAt",
  NAME: "name",
  COST: "actualCostUsd",
  STATUS: "status",
  DURATION: "actualDurationSec",
  PROGRESS: "progress",
  QUALITY: "qualityScore",
};

/** The job list's filter as a Prisma `where`, always inside one organization. */
export function jobWhere(orgId: string, filter: JobFilter | null | undefined, provider: DbProvider): Prisma.TrainingJobWhereInput {
  const f = filter ?? {};
  const where: Prisma.TrainingJobWhereInput = { orgId };
  if (f.status?.length) where.status = { in: f.status };
  if (f.preset?.length) where.preset = { in: f.preset };
  if (f.createdById) where.createdById = f.createdById;
  if (f.projectId) where.projectId = f.projectId;
  if (f.tag) where.tags = { some: { tag: f.tag.trim().toLowerCase() } };
  if (f.createdAfter || f.createdBefore)
    where.createdAt = { ...(f.createdAfter && { gte: f.createdAfter }), ...(f.createdBefore && { lte: f.createdBefore }) };
  if (f.minCostUsd != null || f.maxCostUsd != null) {
    where.actualCostUsd = { ...(f.minCostUsd != null && { gte: f.minCostUsd }), ...(f.maxCostUsd != null && { lte: f.maxCostUsd }) };
  }
  const search = f.search?.trim();
  if (search) {
    // SQLite's LIKE is already case-insensitive for ASCII; PostgreSQL needs the mode.
    const contains = provider === "postgres" ? { contains: search, mode: "insensitive" as const } : { contains: search };
    where.OR = [{ name: contains }, { notes: contains }, { description: contains }];
  }
  return where;
}

export function jobOrderBy(
  field: JobSortField = "CREATED_AT",
  direction: "ASC" | "DESC" = "DESC",
): Prisma.TrainingJobOrderByWithRelationInput[] {
  const dir = direction === "ASC" ? "asc" : "desc";
  const column = SORT_COLUMN[field];
  // Jobs without a value (never validated, never finished) come last either way. The id breaks ties so that pages never overlap.
  const nullable = column === "qualityScore" || column === "actualDurationSec";
  return [{ [column]: nullable ? { sort: dir, nulls: "last" } : dir }, { id: dir }];
}
