import type { JobFilter, JobSort, JobSortField, JobStatus, Preset, SortDirection } from "../../graphql/graphql";

// The job list's filters, sort and page live in the URL (shareable, and the
// back button works); these functions translate between the URL and the query.

export const STATUS_GROUPS: Record<string, { label: string; statuses: JobStatus[] }> = {
  active: {
    label: "Active",
    statuses: ["QUEUED", "PROVISIONING", "PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION", "VALIDATION", "RECOVERING"],
  },
  PENDING: { label: "Draft (not started)", statuses: ["PENDING"] },
  QUEUED: { label: "Queued", statuses: ["QUEUED"] },
  TRAINING: { label: "Training", statuses: ["TRAINING"] },
  RECOVERING: { label: "Recovering", statuses: ["RECOVERING"] },
  COMPLETED: { label: "Completed", statuses: ["COMPLETED"] },
  FAILED: { label: "Failed", statuses: ["FAILED"] },
  CANCELLED: { label: "Cancelled", statuses: ["CANCELLED"] },
};

export const PRESET_OPTIONS: Preset[] = ["CONSERVATIVE", "BALANCED", "AGGRESSIVE", "CUSTOM"];
export const PAGE_SIZES = [25, 50, 100];
export const DEFAULT_PAGE_SIZE = 50;

export type ListParams = {
  status: string;
  preset: string;
  from: string;
  to: string;
  /** A user id, or empty for anyone. */
  creator: string;
  tag: string;
  q: string;
  sort: JobSortField;
  dir: SortDirection;
  size: number;
  after: string;
  before: string;
};

const SORT_FIELDS: JobSortField[] = ["CREATED_AT", "NAME", "COST", "STATUS", "DURATION", "PROGRESS", "QUALITY"];

export function readParams(search: URLSearchParams): ListParams {
  const sort = search.get("sort") as JobSortField | null;
  const size = Number(search.get("size"));
  return {
    status: search.get("status") ?? "",
    preset: search.get("preset") ?? "",
    from: search.get("from") ?? "",
    to: search.get("to") ?? "",
    creator: search.get("creator") ?? "",
    tag: search.get("tag") ?? "",
    q: search.get("q") ?? "",
    sort: sort && SORT_FIELDS.includes(sort) ? sort : "CREATED_AT",
    dir: search.get("dir") === "ASC" ? "ASC" : "DESC",
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_PAGE_SIZE,
    after: search.get("after") ?? "",
    before: search.get("before") ?? "",
  };
}

/** The URL for `params`; changing a filter or the sort goes back to the first page. */
export function writeParams(params: ListParams): URLSearchParams {
  const out = new URLSearchParams();
  if (params.status) out.set("status", params.status);
  if (params.preset) out.set("preset", params.preset);
  if (params.from) out.set("from", params.from);
  if (params.to) out.set("to", params.to);
  if (params.creator) out.set("creator", params.creator);
  if (params.tag) out.set("tag", params.tag);
  if (params.q) out.set("q", params.q);
  if (params.sort !== "CREATED_AT") out.set("sort", params.sort);
  if (params.dir !== "DESC") out.set("dir", params.dir);
  if (params.size !== DEFAULT_PAGE_SIZE) out.set("size", String(params.size));
  if (params.after) out.set("after", params.after);
  if (params.before) out.set("before", params.before);
  return out;
}

/** Local calendar dates (yyyy-mm-dd) to instants: "to" includes the whole day. */
export function toFilter(params: ListParams): JobFilter {
  const filter: JobFilter = {};
  const group = STATUS_GROUPS[params.status];
  if (group) filter.status = group.statuses;
  if (params.preset && PRESET_OPTIONS.includes(params.preset as Preset)) filter.preset = [params.preset as Preset];
  if (params.from) filter.createdAfter = new Date(`${params.from}T00:00:00`).toISOString();
  if (params.to) filter.createdBefore = new Date(`${params.to}T23:59:59.999`).toISOString();
  if (params.creator) filter.createdById = params.creator;
  if (params.tag.trim()) filter.tag = params.tag.trim();
  if (params.q.trim()) filter.search = params.q.trim();
  return filter;
}

export function toSort(params: ListParams): JobSort {
  return { field: params.sort, direction: params.dir };
}
