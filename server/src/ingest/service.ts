import type { AppServices } from "../context.js";
import type { PubSub } from "../pubsub.js";
import { AppError } from "../errors.js";
import { afterCommit, appendEvent, inTransaction } from "../events/service.js";
import { refusedEventType } from "../events/types.js";
import { billableSecondsAt, billedCostUsd } from "../costs/live.js";
import { publishJobChange } from "../jobs/service.js";
import { applyReport, type AppliedReport } from "./handlers.js";
import { lockJob, updateJob, type JobChanges, type JobState } from "./jobRow.js";
import { parseReport, reportPayload, type Report } from "./reports.js";

// The one way a trainer's report enters the system; the GraphQL mutations and
// the webhook route are thin doors into ingestReport().

export type ReportOrigin = {
  source: "trainer" | "webhook";
  /** The webhook-id header: de-duplicates a report that carries no sequence number. */
  webhookId?: string | null;
  receivedAt?: Date;
};

export type IngestResult = {
  /** The report's sequence (or webhook id) was seen before: acknowledged and ignored. */
  duplicate: boolean;
  /** Metric points that were new (0 for other reports and for duplicates). */
  storedPoints: number;
  checkpointId: string | null;
};

/**
 * A burst of reports (100 trainers at once) outnumbers the PostgreSQL pool; a
 * report waits for a connection rather than failing after Prisma's default 2 s.
 */
const TRANSACTION = { maxWait: 30_000, timeout: 30_000 };

function dedupeKeyOf(report: Report, origin: ReportOrigin): string | null {
  if (report.sequence != null) return `seq:${report.sequence}`;
  return origin.webhookId ? `webhook:${origin.webhookId}` : null;
}

/** What every report, applied or refused, does: the trainer is alive, and the bill has grown. */
function everyReportChanges(job: JobState, sequence: number | null | undefined, now: Date): JobChanges {
  const data: JobChanges = { lastReportAt: now, stalledAt: null, updatedAt: now };
  if (sequence && sequence > job.lastSequence) data.lastSequence = sequence;
  if (job.startedAt) {
    // From the start until the end, time spent recovering from interruptions included.
    const seconds = billableSecondsAt(job, now);
    Object.assign(data, { billableSeconds: seconds, actualCostUsd: billedCostUsd(job, now) });
  }
  return data;
}

export async function ingestReport(services: AppServices, jobId: string, input: unknown, origin: ReportOrigin): Promise<IngestResult> {
  const receivedAt = origin.receivedAt ?? new Date();
  let report: Report;
  try {
    report = parseReport(input);
  } catch (error) {
    const type =
      typeof (input as { type?: unknown })?.type === "string" ? String((input as { type: string }).type).slice(0, 40) : "unknown";
    await logRefusedReport(
      services,
      jobId,
      { type, payload: { received: clip(input) }, dedupeKey: null, sequence: null },
      error as AppError,
      origin,
      receivedAt,
    );
    throw error;
  }
  const dedupeKey = dedupeKeyOf(report, origin);

  let outcome;
  try {
    outcome = await inTransaction(
      services,
      async (tx) => {
        const job = await lockJob(tx, jobId);
        if (!job) throw new AppError("NOT_FOUND", "Training job not found", "jobId");
        if (dedupeKey && (await tx.jobEvent.findUnique({ where: { jobId_dedupeKey: { jobId, dedupeKey } }, select: { id: true } })))
          return null;
        const now = new Date();
        const applied = await applyReport({ services, tx, job, now, source: origin.source, dedupeKey, receivedAt }, report);
        // A transition may have ended the job (finishedAt): bill up to then.
        const current = applied.transitions ? (await lockJob(tx, jobId))! : job;
        // Billed with what the report changed (time it says is not billed).
        await updateJob(tx, jobId, { ...applied.data, ...everyReportChanges({ ...current, ...applied.data }, report.sequence, now) });
        // After the status changes transitionJob logged: the report's own entry (unless a status change logged it).
        if (job.stalledAt) await appendEvent(tx, { jobId, type: "stall_cleared", message: "Reports arrive again", source: "system" });
        if (!applied.loggedByTransition) {
          await appendEvent(tx, {
            jobId,
            type: report.type,
            message: applied.message,
            payload: reportPayload(report, applied.newPoints?.length ?? 0),
            source: origin.source,
            dedupeKey,
            receivedAt,
          });
        }
        afterCommit(tx, (pubsub) => announce(pubsub, job, report, applied));
        return applied;
      },
      TRANSACTION,
    );
  } catch (error) {
    if (!(error instanceof AppError) || (error.code === "NOT_FOUND" && error.field === "jobId")) throw error;
    await logRefusedReport(
      services,
      jobId,
      { type: report.type, payload: reportPayload(report, 0), dedupeKey, sequence: report.sequence ?? null },
      error,
      origin,
      receivedAt,
    );
    throw error;
  }
  if (!outcome) return { duplicate: true, storedPoints: 0, checkpointId: null };
  return { duplicate: false, storedPoints: outcome.newPoints?.length ?? 0, checkpointId: outcome.checkpointId ?? null };
}

/** What subscribers hear of an applied report (once its transaction has committed). */
function announce(pubsub: PubSub, job: JobState, report: Report, applied: AppliedReport) {
  const jobId = job.id;
  if (applied.newPoints?.length) pubsub.publish("job:metrics", jobId, { jobId, points: applied.newPoints });
  // A status change announced the job to everyone already (transitionJob).
  if (applied.transitions) return;
  // A metrics report (hundreds a second across jobs) tells the job's watchers,
  // and the organization's job lists only when the whole-percent progress they
  // show has moved (each list viewer reads the job again per announcement).
  // Other reports also tell the spending watch. That watch re-checks billing jobs
  // every second on its own, so it need not hear of each metrics report (doing
  // so cut ingest throughput 2.7×).
  if (report.type === "metrics" && !job.stalledAt) {
    pubsub.publish("job:updated", jobId, { jobId });
    const progress = applied.data.progress ?? job.progress;
    if (Math.floor(progress) !== Math.floor(job.progress)) pubsub.publish("org:jobs", job.orgId, { jobId, change: "updated" });
  } else publishJobChange(pubsub, job, "updated");
}

/** A refused report is logged with the reason, and still counts as a sign of life. */
export async function logRefusedReport(
  services: AppServices,
  jobId: string,
  entry: { type: string; payload: Record<string, unknown>; dedupeKey: string | null; sequence: number | null },
  error: AppError,
  origin: ReportOrigin,
  receivedAt: Date,
) {
  const now = new Date();
  await inTransaction(
    services,
    async (tx) => {
      const job = await lockJob(tx, jobId);
      if (!job) return;
      await updateJob(tx, jobId, everyReportChanges(job, entry.sequence, now));
      await appendEvent(tx, {
        jobId,
        type: refusedEventType(entry.type),
        message: `Refused: ${error.message}`,
        payload: entry.payload,
        source: origin.source,
        dedupeKey: entry.dedupeKey,
        receivedAt,
        processingError: `${error.code}: ${error.message}`,
      });
      afterCommit(tx, (pubsub) => pubsub.publish("job:updated", jobId, { jobId }));
    },
    TRANSACTION,
  ).catch((failure: { code?: string }) => {
    // The same refused report logged by a concurrent copy of it.
    if (failure?.code !== "P2002") throw failure;
  });
}

/** A refused input as logged: whole when small, else its beginning. */
function clip(input: unknown): unknown {
  const json = JSON.stringify(input) ?? "undefined";
  return json.length <= 4000 ? input : `${json.slice(0, 4000)}…`;
}
