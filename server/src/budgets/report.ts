import { stringify } from "csv-stringify";
import type { HttpRoute } from "../app.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import type { AppError } from "../errors.js";
import { jobsOfMonth, totalsOf, type ReportJob } from "./service.js";
import { parseMonth } from "./month.js";
import { billableSecondsAt, currentCostUsd } from "../costs/live.js";

// GET /api/budgets/:month/report.csv — the month's jobs and costs for the
// books, one row per job and a total. Bearer auth, like the GraphQL API.
// Costs of running jobs are as of the moment of the export.

const PATH = /^\/api\/budgets\/([^/]+)\/report\.csv$/;

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or return) as a
 * formula: job and client names come from users, so such text gets a leading
 * apostrophe. Numbers are written as numbers and left alone.
 */
export function guardFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const COLUMNS = [
  "month",
  "job_id",
  "job_name",
  "client",
  "project",
  "status",
  "preset",
  "gpu_type",
  "pricing_tier",
  "hourly_rate_usd",
  "billable_hours",
  "estimated_cost_usd",
  "cost_usd",
  "variance_pct",
  "started_at",
  "finished_at",
  "created_by",
];

const round = (value: number, digits: number) => Number(value.toFixed(digits));

function row(month: string, job: ReportJob, now: Date) {
  return [
    month,
    job.id,
    job.name,
    job.clientName ?? job.project?.clientName ?? "",
    job.project?.name ?? "",
    job.status,
    job.preset,
    job.gpuType,
    job.pricingTier,
    job.hourlyRateUsd,
    round(billableSecondsAt(job, now) / 3600, 4),
    round(job.estimatedCostUsd, 4),
    round(currentCostUsd(job, now), 4),
    job.estimatedCostUsd > 0 ? round((100 * (currentCostUsd(job, now) - job.estimatedCostUsd)) / job.estimatedCostUsd, 1) : "",
    job.queuedAt,
    job.finishedAt,
    job.createdBy.name,
  ];
}

function fail(res: Parameters<HttpRoute>[1], status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message } }));
  return true;
}

export const serveBudgetReport: HttpRoute = async (req, res, services) => {
  const match = PATH.exec(new URL(req.url ?? "/", "http://localhost").pathname);
  if (!match || req.method !== "GET") return false;
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  if (!viewer) return fail(res, 401, "UNAUTHENTICATED", "Send Authorization: Bearer <token>");
  if (!viewerHasScope(viewer, "read") && !viewerHasScope(viewer, "write"))
    return fail(res, 403, "FORBIDDEN", "This credential cannot read budgets");
  let month: string;
  try {
    month = parseMonth(decodeURIComponent(match[1]));
  } catch (error) {
    return fail(res, 400, "VALIDATION", (error as AppError).message);
  }
  const now = new Date();
  const jobs = await jobsOfMonth(services.db, viewer.orgId, month);
  const totals = totalsOf(jobs, now);
  res.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="tuneloop-costs-${month}.csv"`,
    "cache-control": "no-store",
  });
  const csv = stringify({ header: true, columns: COLUMNS, cast: { string: guardFormula, date: (d) => d.toISOString() } });
  csv.pipe(res);
  for (const job of jobs) csv.write(row(month, job, now));
  const hours = jobs.reduce((sum, j) => sum + billableSecondsAt(j, now), 0) / 3600;
  const estimated = jobs.reduce((sum, j) => sum + j.estimatedCostUsd, 0);
  csv.write([
    month,
    "TOTAL",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    round(hours, 4),
    round(estimated, 4),
    round(totals.spentUsd, 4),
    "",
    "",
    "",
    "",
  ]);
  csv.end();
  await new Promise<void>((resolve, reject) => res.on("finish", resolve).on("error", reject));
  return true;
};
