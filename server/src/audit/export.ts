import { stringify } from "csv-stringify";
import type { HttpRoute } from "../app.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { AppError } from "../errors.js";
import { guardFormula } from "../budgets/report.js";
import { assertAuditReader, auditWhere, type AuditFilter } from "./service.js";

// GET /api/audit.csv?action=…&from=…&to=…&actorId=… — the audit log for a
// spreadsheet or a SIEM import, newest first. Bearer auth, like the GraphQL API.

const PAGE = 1000;
const COLUMNS = ["created_at", "action", "actor_email", "actor_id", "target_type", "target_id", "address", "before", "after", "id"];

function fail(res: Parameters<HttpRoute>[1], status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message } }));
  return true;
}

function dateParam(params: URLSearchParams, name: string): Date | null {
  const value = params.get(name);
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new AppError("VALIDATION", `${name} must be a date like 2026-01-31`, name);
  return date;
}

export const auditExportRoute: HttpRoute = async (req, res, services) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname !== "/api/audit.csv" || req.method !== "GET") return false;
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  if (!viewer) return fail(res, 401, "UNAUTHENTICATED", "Send Authorization: Bearer <token>");
  let filter: AuditFilter;
  try {
    if (!viewerHasScope(viewer, "read") && !viewerHasScope(viewer, "write")) throw new AppError("FORBIDDEN", "This credential cannot read");
    assertAuditReader(viewer);
    const p = url.searchParams;
    filter = {
      actions: p.getAll("action"),
      actorId: p.get("actorId"),
      targetType: p.get("targetType"),
      targetId: p.get("targetId"),
      from: dateParam(p, "from"),
      to: dateParam(p, "to"),
    };
  } catch (error) {
    const e = error as AppError;
    return fail(res, e.code === "VALIDATION" ? 400 : 403, e.code, e.message);
  }
  res.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": 'attachment; filename="tuneloop-audit.csv"',
    "cache-control": "no-store",
  });
  const csv = stringify({ header: true, columns: COLUMNS, cast: { string: guardFormula, date: (d) => d.toISOString() } });
  csv.pipe(res);
  const where = auditWhere(viewer.orgId, filter);
  // Page by cursor so a long log streams without being held in memory.
  for (let cursor: string | undefined; ; ) {
    const page = await services.db.auditEvent.findMany({
      where,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: PAGE,
      ...(cursor && { skip: 1, cursor: { id: cursor } }),
    });
    for (const e of page) {
      csv.write([
        e.createdAt,
        e.action,
        e.actorEmail ?? "",
        e.actorId ?? "",
        e.targetType ?? "",
        e.targetId ?? "",
        e.address ?? "",
        e.before === null ? "" : JSON.stringify(e.before),
        e.after === null ? "" : JSON.stringify(e.after),
        e.id,
      ]);
    }
    if (page.length < PAGE) break;
    cursor = page[page.length - 1].id;
  }
  csv.end();
  await new Promise<void>((resolve, reject) => res.on("finish", resolve).on("error", reject));
  return true;
};
