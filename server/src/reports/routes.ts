import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppServices } from "../context.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { buildReport } from "./report.js";
import { reportPage, refusedPage } from "./html.js";
import { renderReportPdf } from "./pdf.js";
import { openShareLink } from "./shareLinks.js";

const SHARE = /^\/share\/(tlr_[A-Za-z0-9_-]{10,64})(\/report\.pdf)?$/;
const OWN_PDF = /^\/api\/reports\/([A-Za-z0-9_-]{1,64})\/report\.pdf$/;

// The token is in the URL: keep it out of referrers, caches and search engines.
const PRIVATE = { "cache-control": "private, no-store", "referrer-policy": "no-referrer", "x-robots-tag": "noindex", "x-content-type-options": "nosniff" };

async function sendPdf(res: ServerResponse, services: AppServices, runId: string) {
  const report = await buildReport(services, runId);
  const pdf = await renderReportPdf(report);
  const file = `validation-report-${report.job.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 60)}.pdf`;
  res.writeHead(200, { ...PRIVATE, "content-type": "application/pdf", "content-length": String(pdf.length), "content-disposition": `attachment; filename="${file}"` });
  res.end(pdf);
}

/**
 * GET /share/:token — the report, read-only, for anyone holding a live link;
 * GET /share/:token/report.pdf — its PDF;
 * GET /api/reports/:runId/report.pdf — the PDF for a signed-in user (Bearer token).
 */
export async function serveReports(req: IncomingMessage, res: ServerResponse, services: AppServices): Promise<boolean> {
  const path = new URL(req.url ?? "/", "http://local").pathname;
  const share = path.match(SHARE);
  const own = path.match(OWN_PDF);
  if (!share && !own) return false;
  if (req.method !== "GET") {
    res.writeHead(405, { allow: "GET", "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code: "METHOD_NOT_ALLOWED", message: "Use GET" } }));
    return true;
  }
  if (share) {
    const opened = await openShareLink(services, share[1]);
    if ("refused" in opened) {
      res.writeHead(opened.refused === "unknown" ? 404 : 410, { ...PRIVATE, "content-type": "text/html; charset=utf-8" });
      res.end(refusedPage(opened.refused));
    } else if (share[2]) await sendPdf(res, services, opened.runId);
    else {
      const html = reportPage(await buildReport(services, opened.runId), `/share/${share[1]}/report.pdf`);
      res.writeHead(200, { ...PRIVATE, "content-type": "text/html; charset=utf-8", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:" });
      res.end(html);
    }
    return true;
  }
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  const run = viewer && (viewerHasScope(viewer, "read") || viewerHasScope(viewer, "write"))
    ? await services.db.validationRun.findFirst({ where: { id: own![1], job: { orgId: viewer.orgId } }, select: { id: true } })
    : null;
  if (!run) {
    res.writeHead(viewer ? 404 : 401, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: viewer ? { code: "NOT_FOUND", message: "Validation run not found" } : { code: "UNAUTHENTICATED", message: "Send Authorization: Bearer <session token or API key>" } }));
    return true;
  }
  await sendPdf(res, services, run.id);
  return true;
}
