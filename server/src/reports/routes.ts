import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppServices } from "../context.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { buildReport } from "./report.js";
import { beforeAfterPage, customReportPage, reportPage, refusedPage } from "./html.js";
import { customReportDocument, renderPdf, renderReportPdf } from "./pdf.js";
import { openShareLink, type ReportTarget } from "./shareLinks.js";
import { customReportData } from "./customReports.js";
import { beforeAfterExamples, SCENARIO_TYPES, type ScenarioType } from "./beforeAfter.js";

const SHARE = /^\/share\/(tlr_[A-Za-z0-9_-]{10,64})(\/report\.pdf|\/before-after)?$/;
const OWN_PDF = /^\/api\/(reports|custom-reports)\/([A-Za-z0-9_-]{1,64})\/report\.pdf$/;

// The token is in the URL: keep it out of referrers, caches and search engines.
const PRIVATE = {
  "cache-control": "private, no-store",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex",
  "x-content-type-options": "nosniff",
};

const fileName = (kind: string, name: string) =>
  `${kind}-${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 60)}.pdf`;

async function sendPdf(res: ServerResponse, services: AppServices, target: ReportTarget) {
  let pdf: Buffer, file: string;
  if ("runId" in target) {
    const report = await buildReport(services, target.runId);
    [pdf, file] = [await renderReportPdf(report), fileName("validation-report", report.job.name)];
  } else {
    const report = await customReportData(services, target.customReportId);
    [pdf, file] = [await renderPdf(customReportDocument(report)), fileName("custom-report", report.title)];
  }
  res.writeHead(200, {
    ...PRIVATE,
    "content-type": "application/pdf",
    "content-length": String(pdf.length),
    "content-disposition": `attachment; filename="${file}"`,
  });
  res.end(pdf);
}

/**
 * GET /share/:token — the report, read-only, for anyone holding a live link;
 * GET /share/:token/report.pdf — its PDF;
 * GET /share/:token/before-after?type=empathy — a validation report's before/after examples;
 * GET /api/reports/:runId/report.pdf, /api/custom-reports/:id/report.pdf — the PDF for a signed-in user (Bearer token).
 */
export async function serveReports(req: IncomingMessage, res: ServerResponse, services: AppServices): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://local");
  const path = url.pathname;
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
    } else if (share[2] === "/report.pdf") await sendPdf(res, services, opened);
    else {
      const base = `/share/${share[1]}`;
      const html = await sharedPage(services, opened, share[2] ? url.searchParams.get("type") : undefined, base);
      if (html === null) {
        res.writeHead(404, { ...PRIVATE, "content-type": "text/html; charset=utf-8" });
        res.end(refusedPage("unknown"));
        return true;
      }
      res.writeHead(200, {
        ...PRIVATE,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      });
      res.end(html);
    }
    return true;
  }
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  const [, kind, id] = own!;
  const readable = viewer && (viewerHasScope(viewer, "read") || viewerHasScope(viewer, "write"));
  const target: ReportTarget | null = !readable
    ? null
    : kind === "reports"
      ? (await services.db.validationRun.findFirst({ where: { id, job: { orgId: viewer.orgId } }, select: { id: true } })) && { runId: id }
      : (await services.db.customReport.findFirst({ where: { id, orgId: viewer.orgId }, select: { id: true } })) && { customReportId: id };
  if (!target) {
    res.writeHead(viewer ? 404 : 401, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error: viewer
          ? { code: "NOT_FOUND", message: "Report not found" }
          : { code: "UNAUTHENTICATED", message: "Send Authorization: Bearer <session token or API key>" },
      }),
    );
    return true;
  }
  await sendPdf(res, services, target);
  return true;
}

/** The page a share link shows; `type` set (maybe empty) for the before/after page. Null: no such page for this report. */
async function sharedPage(
  services: AppServices,
  target: ReportTarget,
  type: string | null | undefined,
  base: string,
): Promise<string | null> {
  if ("customReportId" in target)
    return type === undefined ? customReportPage(await customReportData(services, target.customReportId), `${base}/report.pdf`) : null;
  const report = await buildReport(services, target.runId);
  if (type === undefined) return reportPage(report, `${base}/report.pdf`, `${base}/before-after`);
  const wanted = SCENARIO_TYPES.find((t) => t.toLowerCase() === type?.toLowerCase()) ?? null;
  const run = await services.db.validationRun.findUniqueOrThrow({
    where: { id: target.runId },
    select: { id: true, reviewClosedAt: true },
  });
  return beforeAfterPage(report, await beforeAfterExamples(services, run, wanted as ScenarioType | null), wanted, base);
}
