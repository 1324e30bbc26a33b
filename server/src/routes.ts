import type { HttpRoute } from "./app.js";
import { serveArtifactDownload } from "./artifacts/service.js";
import { serveModelCompletion } from "./serving/route.js";
import { serveReports } from "./reports/routes.js";
import { serveBudgetReport } from "./budgets/report.js";
import { trainerWebhookRoute } from "./ingest/webhook.js";
import { jobExportRoute } from "./metrics/exports.js";
import { auditExportRoute } from "./audit/export.js";

// Routes outside GraphQL, one per domain (webhooks, signed downloads). Each
// checks its own path and returns false for requests that are not its own.
export const httpRoutes: HttpRoute[] = [
  serveArtifactDownload,
  serveModelCompletion,
  serveReports,
  serveBudgetReport,
  trainerWebhookRoute,
  jobExportRoute,
  auditExportRoute,
];
