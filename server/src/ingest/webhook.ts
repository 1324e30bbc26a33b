import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import type { HttpRoute } from "../app.js";
import type { AppServices } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { ingestReport, logRefusedReport, type IngestResult } from "./service.js";
import { isContractEvent, parseContractEvent, reportsForContractEvent } from "./overviewContract.js";
import { FINAL_STATUSES } from "../jobs/stateMachine.js";

// The webhook door: POST /api/webhooks/trainer/:jobId, signed per the
// Standard Webhooks spec with the job's own secret. A trainer that cannot hold
// a GraphQL client (a shell script, a Python container) reports through it.

const PATH = /^\/api\/webhooks\/trainer\/([A-Za-z0-9_-]{1,64})\/?(?:\?.*)?$/;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The job's signing secret (whsec_…), made on first request. Only its trainer may ask. */
export async function ensureWebhookSecret(services: AppServices, jobId: string): Promise<string> {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  // Conditional, so two racing first requests end with one secret.
  await services.db.trainingJob.updateMany({ where: { id: jobId, webhookSecret: null }, data: { webhookSecret: secret } });
  const job = await services.db.trainingJob.findUnique({ where: { id: jobId }, select: { webhookSecret: true } });
  if (!job?.webhookSecret) throw notFound("Training job", "jobId");
  return job.webhookSecret;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const trainerWebhookRoute: HttpRoute = async (req, res, services) => {
  const jobId = req.url?.match(PATH)?.[1];
  if (!jobId) return false;
  if (req.method !== "POST") {
    reply(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "POST a signed report" } });
    return true;
  }
  const body = await readBody(req);
  if (body === null) {
    reply(res, 413, { error: { code: "VALIDATION", message: `The report is larger than ${MAX_BODY_BYTES} bytes`, field: null } });
    return true;
  }
  // An unknown job and a wrong signature get the same answer: nothing to learn from probing.
  const job = await services.db.trainingJob.findUnique({ where: { id: jobId }, select: { webhookSecret: true, status: true } });
  let input: unknown;
  try {
    if (!job?.webhookSecret) throw new WebhookVerificationError("No matching signature found");
    input = new Webhook(job.webhookSecret).verify(body, req.headers as Record<string, string>);
  } catch (error) {
    if (error instanceof SyntaxError) reply(res, 400, { error: { code: "VALIDATION", message: "The body is not JSON", field: null } });
    else
      reply(res, 401, {
        error: { code: "UNAUTHENTICATED", message: `Webhook signature refused: ${(error as Error).message}`, field: null },
      });
    return true;
  }
  // Like a trainer token, the secret serves only until the job ends.
  if (FINAL_STATUSES.includes(job.status)) {
    reply(res, 409, {
      error: { code: "INVALID_TRANSITION", message: `The job is ${job.status.toLowerCase()}: it takes no more reports`, field: "jobId" },
    });
    return true;
  }
  const webhookId = String(req.headers["webhook-id"]);
  try {
    const result = isContractEvent(input)
      ? await ingestContractEvent(services, jobId, input, webhookId)
      : await ingestReport(services, jobId, input, { source: "webhook", webhookId });
    reply(res, 200, { ok: true, ...result });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    reply(res, error.code === "NOT_FOUND" && error.field === "jobId" ? 404 : 422, {
      error: { code: error.code, message: error.message, field: error.field },
    });
  }
  return true;
};

/**
 * An event in the overview's contract: its reports, in order, through the same
 * ingest path. Each gets its own de-duplication key from the webhook id, so a
 * redelivered event is acknowledged and changes nothing.
 */
async function ingestContractEvent(
  services: AppServices,
  jobId: string,
  body: { event: string },
  webhookId: string,
): Promise<IngestResult> {
  let reports: Record<string, unknown>[];
  try {
    const event = parseContractEvent(body);
    const job = await services.db.trainingJob.findUniqueOrThrow({ where: { id: jobId }, select: { status: true } });
    reports = reportsForContractEvent(event, job.status);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    await logRefusedReport(
      services,
      jobId,
      { type: String(body.event).slice(0, 40), payload: { received: body }, dedupeKey: null, sequence: null },
      error,
      { source: "webhook", webhookId },
      new Date(),
    );
    throw error;
  }
  const total: IngestResult = { duplicate: reports.length > 0, storedPoints: 0, checkpointId: null };
  for (const [i, report] of reports.entries()) {
    const key = i === reports.length - 1 ? webhookId : `${webhookId}#${i}`;
    const result = await ingestReport(services, jobId, report, { source: "webhook", webhookId: key });
    total.duplicate &&= result.duplicate;
    total.storedPoints += result.storedPoints;
    total.checkpointId ??= result.checkpointId;
  }
  return total;
}
