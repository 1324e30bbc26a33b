import type { AppServices } from "../context.js";
import { failureGuidance } from "./guidance.js";

// The error log a support ticket gets (GET /api/jobs/:id/error-log.json): the
// failure and its guidance, the job's settings, its whole event log (every
// report and webhook delivery with its processing status) and the trainer's
// last output lines, in one JSON file. No secret leaves: the job's webhook
// secret and trainer tokens are never read, and any key in a payload that
// names a secret is replaced.

const SECRET_KEY = /secret|token|password|passphrase|authorization|api[-_]?key|credential|cookie/i;
const REDACTED = "[redacted]";

/** A copy of `value` with every property whose name names a secret replaced, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, SECRET_KEY.test(key) ? REDACTED : redactSecrets(v)]));
  }
  // A bearer token or signing secret pasted into a message.
  if (typeof value === "string")
    return value
      .replace(/\b(whsec_|tlk_|tls_|tlt_|tlr_)[A-Za-z0-9+/=_-]+/g, `$1${REDACTED}`)
      .replace(/(Bearer\s+)[^\s"']+/gi, `$1${REDACTED}`);
  return value;
}

export async function errorLogOf(services: AppServices, jobId: string) {
  const job = await services.db.trainingJob.findUniqueOrThrow({
    where: { id: jobId },
    select: {
      id: true,
      name: true,
      status: true,
      stage: true,
      orgId: true,
      preset: true,
      gpuType: true,
      pricingTier: true,
      config: true,
      datasetId: true,
      errorType: true,
      errorMessage: true,
      currentStep: true,
      totalSteps: true,
      recoveryCount: true,
      retryCount: true,
      retryOfId: true,
      autoRetryAt: true,
      autoRetryAttempt: true,
      createdAt: true,
      queuedAt: true,
      startedAt: true,
      finishedAt: true,
      lastReportAt: true,
      dataset: { select: { id: true, name: true } },
    },
  });
  const events = await services.db.jobEvent.findMany({ where: { jobId }, orderBy: { id: "asc" }, omit: { jobId: true, dedupeKey: true } });
  const reports = events.filter((e) => e.source === "trainer" || e.source === "webhook");
  // The latest error report's own lines (the trainer sends its last output with the failure).
  const lastError = [...events].reverse().find((e) => e.type === "error" && !e.processingError);
  const outputLines = ((lastError?.payload as { outputLines?: unknown } | undefined)?.outputLines ?? null) as string[] | null;
  const guidance = job.status === "FAILED" ? await failureGuidance(services, job) : null;
  return redactSecrets({
    exportedAt: new Date().toISOString(),
    job: {
      id: job.id,
      name: job.name,
      status: job.status,
      stage: job.stage,
      currentStep: job.currentStep,
      totalSteps: job.totalSteps,
      recoveryCount: job.recoveryCount,
      retryCount: job.retryCount,
      retryOfId: job.retryOfId,
      autoRetryAt: job.autoRetryAt,
      autoRetryAttempt: job.autoRetryAttempt,
      createdAt: job.createdAt,
      queuedAt: job.queuedAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      lastReportAt: job.lastReportAt,
    },
    settings: { preset: job.preset, gpuType: job.gpuType, pricingTier: job.pricingTier, dataset: job.dataset, config: job.config },
    failure: job.errorType || job.errorMessage ? { errorType: job.errorType, message: job.errorMessage, guidance } : null,
    trainerOutput: outputLines ?? [],
    reports: {
      received: reports.length,
      applied: reports.filter((e) => !e.processingError).length,
      refused: reports.filter((e) => e.processingError).length,
      viaWebhook: reports.filter((e) => e.source === "webhook").length,
    },
    events: events.map((e) => ({
      id: e.id,
      type: e.type,
      source: e.source,
      message: e.message,
      receivedAt: e.receivedAt,
      processedAt: e.processedAt,
      processingError: e.processingError,
      payload: e.payload,
    })),
  });
}
