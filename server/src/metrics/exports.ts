import type { ServerResponse } from "node:http";
import type { Writable } from "node:stream";
import { once } from "node:events";
import { stringify } from "csv-stringify/sync";
import type { HttpRoute } from "../app.js";
import type { AppServices } from "../context.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { eventFilterWhere } from "../events/service.js";
import { pointsPage, type MetricPoint } from "./service.js";
import { errorLogOf } from "../failures/errorLog.js";

// Downloads of a job's metric history and event log, for spreadsheets and
// support tickets: GET /api/jobs/:id/metrics.csv | metrics.json | events.json
// | error-log.json (failures/errorLog.ts)
// with the same Bearer token as the API. Large histories stream page by page.

const PATH = /^\/api\/jobs\/([A-Za-z0-9_-]{1,64})\/(metrics\.csv|metrics\.json|events\.json|error-log\.json)$/;
const CSV_COLUMNS = ["name", "step", "value", "epoch", "wall_time"];

/** A spreadsheet runs a cell that starts with = + - @ (or tab, CR) as a formula: make it text. */
export function guardFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function fail(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** Writes a chunk, waiting when the client reads slower than we write. */
async function send(res: Writable, chunk: string) {
  if (!res.write(chunk)) await once(res, "drain");
}

async function* allPoints(services: AppServices, jobId: string, names: string[] | null) {
  let after: MetricPoint | null = null;
  for (;;) {
    const page = await pointsPage(services.db, jobId, names, after);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1];
  }
}

export async function metricsCsv(res: Writable, services: AppServices, jobId: string, names: string[] | null) {
  await send(res, stringify([], { header: true, columns: CSV_COLUMNS }));
  for await (const page of allPoints(services, jobId, names)) {
    const rows = page.map((p) => [p.name, p.step, p.value, p.epoch ?? "", p.wallTime]);
    await send(res, stringify(rows, { cast: { string: guardFormula } }));
  }
}

export async function metricsJson(res: Writable, services: AppServices, jobId: string, names: string[] | null) {
  await send(res, `{"jobId":${JSON.stringify(jobId)},"series":[`);
  let current: string | null = null;
  for await (const page of allPoints(services, jobId, names)) {
    let chunk = "";
    for (const p of page) {
      const point = JSON.stringify({ step: p.step, value: p.value, epoch: p.epoch, wallTime: p.wallTime });
      if (p.name === current) chunk += `,${point}`;
      else {
        chunk += `${current === null ? "" : "]},"}{"name":${JSON.stringify(p.name)},"points":[${point}`;
        current = p.name;
      }
    }
    await send(res, chunk);
  }
  await send(res, `${current === null ? "" : "]}"}]}`);
}

async function eventsJson(res: ServerResponse, services: AppServices, jobId: string, url: URL) {
  const where = {
    jobId,
    ...eventFilterWhere({ types: url.searchParams.get("types")?.split(","), search: url.searchParams.get("search") }, services.provider),
  };
  await send(res, `{"jobId":${JSON.stringify(jobId)},"events":[`);
  let after = 0;
  for (let first = true; ; ) {
    const page = await services.db.jobEvent.findMany({
      where: { ...where, id: { gt: after } },
      orderBy: { id: "asc" },
      take: 1000,
      omit: { dedupeKey: true, jobId: true },
    });
    if (page.length === 0) break;
    await send(res, (first ? "" : ",") + page.map((e) => JSON.stringify(e)).join(","));
    first = false;
    after = page[page.length - 1].id;
  }
  await send(res, "]}");
}

export const jobExportRoute: HttpRoute = async (req, res, services) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const match = url.pathname.match(PATH);
  if (!match) return false;
  if (req.method !== "GET") {
    fail(res, 405, "METHOD_NOT_ALLOWED", "Use GET");
    return true;
  }
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  if (!viewer || !(viewerHasScope(viewer, "read") || viewerHasScope(viewer, "write"))) {
    fail(res, 401, "UNAUTHENTICATED", "Send Authorization: Bearer <session token or API key with the read scope>");
    return true;
  }
  const [, jobId, file] = match;
  // Another organization's job is simply not found.
  const job = await services.db.trainingJob.findFirst({ where: { id: jobId, orgId: viewer.orgId }, select: { id: true } });
  if (!job) {
    fail(res, 404, "NOT_FOUND", "Training job not found");
    return true;
  }
  const names = url.searchParams.get("names")?.split(",").filter(Boolean) ?? null;
  const type = file.endsWith(".csv") ? "text/csv; charset=utf-8" : "application/json";
  res.writeHead(200, {
    "content-type": type,
    "content-disposition": `attachment; filename="job-${jobId}-${file}"`,
    "cache-control": "no-store",
  });
  if (file === "metrics.csv") await metricsCsv(res, services, jobId, names);
  else if (file === "metrics.json") await metricsJson(res, services, jobId, names);
  else if (file === "error-log.json") await send(res, JSON.stringify(await errorLogOf(services, jobId), null, 2));
  else await eventsJson(res, services, jobId, url);
  res.end();
  return true;
};
