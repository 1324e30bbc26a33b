import { stringify } from "csv-stringify";
import type { HttpRoute } from "../app.js";
import type { Db } from "../db/client.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { guardFormula } from "../budgets/report.js";

// The job history over time: trends per month and per preset (GraphQL
// `jobTrends`) and the full history as CSV (GET /api/jobs/history.csv, Bearer
// auth like the API).

export type TrendRow = {
  month: string;
  preset: string | null;
  jobs: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Completed ÷ (completed + failed); null while none has ended either way. */
  successRate: number | null;
  averageCostUsd: number | null;
  averageDurationSec: number | null;
  averageQualityScore: number | null;
};

type TrendJob = {
  createdAt: Date;
  preset: string;
  status: string;
  actualCostUsd: number;
  actualDurationSec: number | null;
  qualityScore: number | null;
};

const monthOf = (date: Date) => date.toISOString().slice(0, 7);
const average = (values: (number | null)[]) => {
  const present = values.filter((v): v is number => v != null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
};

function rowOf(month: string, preset: string | null, jobs: TrendJob[]): TrendRow {
  const ended = jobs.filter((j) => j.status === "COMPLETED" || j.status === "FAILED" || j.status === "CANCELLED");
  const completed = jobs.filter((j) => j.status === "COMPLETED").length;
  const failed = jobs.filter((j) => j.status === "FAILED").length;
  return {
    month,
    preset,
    jobs: jobs.length,
    completed,
    failed,
    cancelled: jobs.filter((j) => j.status === "CANCELLED").length,
    successRate: completed + failed ? completed / (completed + failed) : null,
    // Costs and durations of jobs that ended: a running job's are not final yet.
    averageCostUsd: average(ended.map((j) => j.actualCostUsd)),
    averageDurationSec: average(ended.map((j) => j.actualDurationSec)),
    averageQualityScore: average(jobs.map((j) => j.qualityScore)),
  };
}

/** Per month (preset null), then per month and preset, for the organization's jobs created in the last `months` months, oldest first. */
export async function jobTrends(db: Db, orgId: string, months: number, now = new Date()): Promise<TrendRow[]> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
  const jobs = await db.trainingJob.findMany({
    where: { orgId, createdAt: { gte: since } },
    select: { createdAt: true, preset: true, status: true, actualCostUsd: true, actualDurationSec: true, qualityScore: true },
  });
  const groups = new Map<string, TrendJob[]>();
  const add = (key: string, job: TrendJob) => groups.set(key, [...(groups.get(key) ?? []), job]);
  for (const job of jobs) {
    add(`${monthOf(job.createdAt)}|`, job);
    add(`${monthOf(job.createdAt)}|${job.preset}`, job);
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      const [month, preset] = key.split("|");
      return rowOf(month, preset || null, group);
    })
    .sort((a, b) => a.month.localeCompare(b.month) || (a.preset ?? "").localeCompare(b.preset ?? ""));
}

const PAGE = 1000;
const COLUMNS = [
  "job_id",
  "name",
  "created_at",
  "started_at",
  "finished_at",
  "status",
  "preset",
  "gpu_type",
  "pricing_tier",
  "dataset",
  "client",
  "project",
  "estimated_cost_usd",
  "cost_usd",
  "estimated_duration_sec",
  "duration_sec",
  "quality_score_pct",
  "error_type",
  "retry_of",
  "auto_retry_attempt",
  "template",
  "created_by",
];

const PATH = "/api/jobs/history.csv";

/** GET /api/jobs/history.csv — every job of the organization, newest first, streamed page by page. */
export const jobHistoryRoute: HttpRoute = async (req, res, services) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname !== PATH) return false;
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  if (req.method !== "GET" || !viewer || !(viewerHasScope(viewer, "read") || viewerHasScope(viewer, "write"))) {
    res.writeHead(req.method !== "GET" ? 405 : 401, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error:
          req.method !== "GET"
            ? { code: "METHOD_NOT_ALLOWED", message: "Use GET" }
            : { code: "UNAUTHENTICATED", message: "Send Authorization: Bearer <token>" },
      }),
    );
    return true;
  }
  res.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": 'attachment; filename="tuneloop-job-history.csv"',
    "cache-control": "no-store",
  });
  const csv = stringify({ header: true, columns: COLUMNS, cast: { string: guardFormula, date: (d) => d.toISOString() } });
  csv.pipe(res);
  const templates = new Map(
    (await services.db.template.findMany({ where: { orgId: viewer.orgId }, select: { id: true, name: true } })).map((t) => [t.id, t.name]),
  );
  for (let cursor: string | undefined; ; ) {
    const page = await services.db.trainingJob.findMany({
      where: { orgId: viewer.orgId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: PAGE,
      ...(cursor && { skip: 1, cursor: { id: cursor } }),
      include: { dataset: { select: { name: true } }, project: { select: { name: true } }, createdBy: { select: { email: true } } },
    });
    for (const j of page) {
      csv.write([
        j.id,
        j.name,
        j.createdAt,
        j.startedAt ?? "",
        j.finishedAt ?? "",
        j.status,
        j.preset,
        j.gpuType,
        j.pricingTier,
        j.dataset.name,
        j.clientName ?? "",
        j.project?.name ?? "",
        j.estimatedCostUsd.toFixed(2),
        j.actualCostUsd.toFixed(2),
        Math.round(j.estimatedDurationSec),
        j.actualDurationSec == null ? "" : Math.round(j.actualDurationSec),
        j.qualityScore == null ? "" : j.qualityScore.toFixed(1),
        j.errorType ?? "",
        j.retryOfId ?? "",
        j.autoRetryAttempt,
        j.templateId ? (templates.get(j.templateId) ?? "") : "",
        j.createdBy.email,
      ]);
    }
    if (page.length < PAGE) break;
    cursor = page[page.length - 1].id;
  }
  csv.end();
  await new Promise<void>((resolve, reject) => res.on("finish", resolve).on("error", reject));
  return true;
};
