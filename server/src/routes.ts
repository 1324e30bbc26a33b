import type { HttpRoute } from "./app.js";
import { serveArtifactDownload } from "./artifacts/service.js";
import { serveModelCompletion } from "./serving/route.js";
import { serveReports } from "./reports/routes.js";
import { serveBudgetReport } from "./budgets/report.js";
import { serveProfitabilityReport } from "./budgets/profitability.js";
import { trainerWebhookRoute } from "./ingest/webhook.js";
import { jobExportRoute } from "./metrics/exports.js";
import { jobHistoryRoute } from "./jobs/history.js";
import { comparePdfRoute } from "./reports/comparePdf.js";
import { auditExportRoute } from "./audit/export.js";
import { ssoRoutes } from "./sso/routes.js";

// Routes outside GraphQL, one per domain (webhooks, signed downloads). Each
// checks its own path and returns false for requests that are not its own.
export const httpRoutes: HttpRoute[] = [
  serveArtifactDownload,
  serveModelCompletion,
  serveReports,
  serveBudgetReport,
  serveProfitabilityReport,
  trainerWebhookRoute,
  jobExportRoute,
  jobHistoryRoute,
  comparePdfRoute,
  auditExportRoute,
  ssoRoutes,
];
