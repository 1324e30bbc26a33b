// Project profitability: what each client project brings in (its contract
// value) against what its training cost over its whole life, per project and
// per client. The product's bar: training under 5% of the sale price.
import { stringify } from "csv-stringify";
import type { HttpRoute } from "../app.js";
import type { Db } from "../db/client.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { currentCostUsd, JOB_MONEY_SELECT } from "../costs/live.js";
import { COST_SHARE_TARGET_PCT } from "../reports/costBenefit.js";
import { guardFormula } from "./report.js";

export type Margin = {
  revenueUsd: number | null;
  trainingCostUsd: number;
  jobs: number;
  marginUsd: number | null;
  marginPct: number | null;
  trainingSharePct: number | null;
  meetsTarget: boolean | null;
};

function margin(revenueUsd: number | null, trainingCostUsd: number, jobs: number): Margin {
  const priced = revenueUsd !== null && revenueUsd > 0;
  const trainingSharePct = priced ? (100 * trainingCostUsd) / revenueUsd : null;
  return {
    revenueUsd,
    trainingCostUsd,
    jobs,
    marginUsd: revenueUsd === null ? null : revenueUsd - trainingCostUsd,
    marginPct: priced ? (100 * (revenueUsd - trainingCostUsd)) / revenueUsd : null,
    trainingSharePct,
    meetsTarget: trainingSharePct === null ? null : trainingSharePct < COST_SHARE_TARGET_PCT,
  };
}

const jobMoney = { ...JOB_MONEY_SELECT, projectId: true, clientName: true } as const;

/** All-time revenue, training cost and margin per project and per client (a job's client: its own, else its project's). */
export async function profitability(db: Db, orgId: string, now = new Date()) {
  const [projects, jobs] = await Promise.all([
    db.project.findMany({ where: { orgId }, orderBy: { name: "asc" } }),
    db.trainingJob.findMany({ where: { orgId, OR: [{ projectId: { not: null } }, { clientName: { not: null } }] }, select: jobMoney }),
  ]);
  const projectById = new Map(projects.map((p) => [p.id, p]));
  const cost = (list: typeof jobs) => list.reduce((sum, j) => sum + currentCostUsd(j, now), 0);
  const projectLines = projects.map((p) => {
    const own = jobs.filter((j) => j.projectId === p.id);
    return { projectId: p.id, name: p.name, clientName: p.clientName, ...margin(p.contractValueUsd, cost(own), own.length) };
  });
  const clientOf = (j: (typeof jobs)[number]) => j.clientName ?? (j.projectId ? (projectById.get(j.projectId)?.clientName ?? null) : null);
  const clients = [...new Set([...projects.map((p) => p.clientName), ...jobs.map(clientOf)].filter((c): c is string => c !== null))].sort();
  const clientLines = clients.map((clientName) => {
    const priced = projects.filter((p) => p.clientName === clientName && p.contractValueUsd !== null);
    const revenue = priced.length ? priced.reduce((sum, p) => sum + p.contractValueUsd!, 0) : null;
    const own = jobs.filter((j) => clientOf(j) === clientName);
    return { clientName, ...margin(revenue, cost(own), own.length) };
  });
  return { targetPct: COST_SHARE_TARGET_PCT, projects: projectLines, clients: clientLines };
}
export type Profitability = Awaited<ReturnType<typeof profitability>>;

// GET /api/budgets/profitability.csv — the same lines for the books: one row
// per project, then one per client. Bearer auth, like the monthly cost CSV.
const PATH = "/api/budgets/profitability.csv";
const COLUMNS = [
  "level",
  "name",
  "client",
  "revenue_usd",
  "training_cost_usd",
  "margin_usd",
  "margin_pct",
  "training_share_pct",
  "meets_5pct_target",
  "jobs",
];
const round = (value: number | null, digits: number) => (value === null ? "" : Number(value.toFixed(digits)));
const row = (level: string, name: string, client: string | null, m: Margin) => [
  level,
  name,
  client ?? "",
  round(m.revenueUsd, 2),
  round(m.trainingCostUsd, 4),
  round(m.marginUsd, 2),
  round(m.marginPct, 2),
  round(m.trainingSharePct, 3),
  m.meetsTarget === null ? "" : m.meetsTarget ? "yes" : "no",
  m.jobs,
];

export const serveProfitabilityReport: HttpRoute = async (req, res, services) => {
  if (new URL(req.url ?? "/", "http://localhost").pathname !== PATH || req.method !== "GET") return false;
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  if (!viewer || (!viewerHasScope(viewer, "read") && !viewerHasScope(viewer, "write"))) {
    res.writeHead(viewer ? 403 : 401, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error: viewer
          ? { code: "FORBIDDEN", message: "This credential cannot read budgets" }
          : { code: "UNAUTHENTICATED", message: "Send Authorization: Bearer <token>" },
      }),
    );
    return true;
  }
  const report = await profitability(services.db, viewer.orgId);
  res.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="tuneloop-profitability.csv"`,
    "cache-control": "no-store",
  });
  const csv = stringify({ header: true, columns: COLUMNS, cast: { string: guardFormula } });
  csv.pipe(res);
  for (const p of report.projects) csv.write(row("project", p.name, p.clientName, p));
  for (const c of report.clients) csv.write(row("client", c.clientName, c.clientName, c));
  csv.end();
  await new Promise<void>((resolve, reject) => res.on("finish", resolve).on("error", reject));
  return true;
};
