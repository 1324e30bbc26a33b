import type { AppServices } from "../context.js";
import type { JobStatus } from "../generated/sqlite/enums.js";
import type { Tx } from "../events/service.js";
import { notFound } from "../errors.js";
import { transitionJob } from "../jobs/service.js";
import { statusInWords } from "../jobs/stateMachine.js";
import { latestPoints, storePoints, type MetricPoint } from "../metrics/service.js";
import { reportPayload, type Report } from "./reports.js";
import { describeAutoRetry, planAutoRetry } from "../failures/autoRetry.js";
import type { JobChanges, JobState } from "./jobRow.js";

// What each kind of report does to a job, inside the ingest transaction.
// Status changes go through transitionJob, which refuses illegal ones.

export type AppliedReport = {
  /** Job fields to set besides those every report sets (everyReportChanges). */
  data: JobChanges;
  message: string;
  /** Status changes made (each logged its own status_changed event). */
  transitions: number;
  /** The report is logged by the status change it made, not by an event of its own. */
  loggedByTransition?: boolean;
  newPoints?: MetricPoint[];
  checkpointId?: string;
};

type Ctx = {
  services: AppServices;
  tx: Tx;
  job: JobState;
  now: Date;
  source: "trainer" | "webhook";
  dedupeKey: string | null;
  receivedAt: Date;
};
type Handler<T extends Report["type"]> = (ctx: Ctx, report: Extract<Report, { type: T }>) => Promise<AppliedReport>;

/** Series whose latest value the job keeps in a column of its own. */
const LATEST_COLUMNS = {
  train_loss: "latestLoss",
  val_loss: "latestValLoss",
  learning_rate: "latestLearningRate",
  perplexity: "latestPerplexity",
  epoch: "currentEpoch",
} as const satisfies Record<string, keyof JobChanges>;

function progressAt(job: Pick<JobState, "progress" | "totalSteps">, step: number): number {
  if (!job.totalSteps) return job.progress;
  return Math.max(job.progress, Math.min(100, (100 * step) / job.totalSteps));
}

type StatusChangeOptions = Pick<NonNullable<Parameters<typeof transitionJob>[3]>, "message" | "data" | "payload" | "event">;

async function changeStatus(ctx: Ctx, to: JobStatus, options: StatusChangeOptions = {}) {
  await transitionJob(ctx.services, ctx.job.id, to, { tx: ctx.tx, source: ctx.source, ...options });
}

const metrics: Handler<"metrics"> = async ({ services, tx, job, now }, report) => {
  const points = report.points.map((p) => ({
    name: p.name,
    step: p.step,
    value: p.value,
    epoch: p.epoch ?? null,
    wallTime: p.wallTime ?? now.getTime() / 1000,
  }));
  const newPoints = await storePoints(tx, services.provider, job.id, points);
  const data: JobChanges = {};
  // Progress only moves forward: a late point updates the history, not the job.
  const top = points.reduce((a, b) => (b.step > a.step ? b : a));
  if (top.step > job.currentStep) {
    Object.assign(data, { currentStep: top.step, progress: progressAt(job, top.step) });
    if (top.epoch != null) data.currentEpoch = top.epoch;
  }
  const tracked = [...new Set(points.map((p) => p.name))].filter((name): name is keyof typeof LATEST_COLUMNS =>
    Object.hasOwn(LATEST_COLUMNS, name),
  );
  // The value at each series' highest stored step, so a late point changes nothing here.
  for (const latest of await latestPoints(tx, job.id, tracked))
    data[LATEST_COLUMNS[latest.name as keyof typeof LATEST_COLUMNS]] = latest.value;
  const steps = top.step === points[0].step ? `step ${top.step}` : `steps ${Math.min(...points.map((p) => p.step))}–${top.step}`;
  return { data, transitions: 0, newPoints, message: `${newPoints.length} new of ${points.length} points, ${steps}` };
};

const status: Handler<"status"> = async (ctx, report) => {
  const data: JobChanges = {};
  if (report.unbilledSeconds) {
    // Valued at the rate the job pays now, so that the bill drops by what that time added to it.
    const { job } = ctx;
    const rate = job.machineSince ? (job.machineRateUsd ?? job.hourlyRateUsd) : job.hourlyRateUsd;
    data.unbilledSeconds = job.unbilledSeconds + report.unbilledSeconds;
    data.unbilledCostUsd = job.unbilledCostUsd + (report.unbilledSeconds / 3600) * rate;
  }
  if (report.totalSteps)
    Object.assign(data, {
      totalSteps: report.totalSteps,
      progress: progressAt({ ...ctx.job, totalSteps: report.totalSteps }, ctx.job.currentStep),
    });
  // A stage reported again (after a resume, say) is not a change.
  if (report.status === ctx.job.status) return { data, transitions: 0, message: report.message ?? `Still ${statusInWords(report.status)}` };
  // One entry in the event log: the status change, carrying the report (its sequence, as received).
  await changeStatus(ctx, report.status, {
    message: report.message ?? undefined,
    data: report.status === "COMPLETED" ? { progress: 100 } : {},
    payload: { report: reportPayload(report, 0) },
    event: { dedupeKey: ctx.dedupeKey, receivedAt: ctx.receivedAt },
  });
  return { data, transitions: 1, loggedByTransition: true, message: report.message ?? statusInWords(report.status) };
};

const checkpoint: Handler<"checkpoint"> = async ({ tx, job }, report) => {
  if (report.artifactId && !(await tx.artifact.findFirst({ where: { id: report.artifactId, jobId: job.id }, select: { id: true } }))) {
    throw notFound("Artifact", "artifactId");
  }
  const fields = {
    epoch: report.epoch ?? null,
    artifactId: report.artifactId ?? null,
    trainLoss: report.trainLoss ?? null,
    valLoss: report.valLoss ?? null,
  };
  // Saving the same step again (after a resume) replaces the checkpoint.
  const saved = await tx.checkpoint.upsert({
    where: { jobId_step: { jobId: job.id, step: report.step } },
    create: { jobId: job.id, step: report.step, ...fields },
    update: fields,
  });
  return {
    data: {},
    transitions: 0,
    checkpointId: saved.id,
    message: `Checkpoint at step ${report.step}${report.artifactId ? "" : " (no artifact)"}`,
  };
};

const interrupted: Handler<"interrupted"> = async (ctx, report) => {
  const message = `Interrupted at step ${report.step}${report.reason ? `: ${report.reason}` : ""}; waiting for a worker to resume from the last checkpoint`;
  // The trainer is gone: release the lease so another worker can take the job at once.
  // The status change says only "training → recovering": the report's own entry has the details.
  await changeStatus(ctx, "RECOVERING", { data: { leaseExpiresAt: null }, payload: { step: report.step, reason: report.reason ?? null } });
  return { data: {}, transitions: 1, message };
};

const resumed: Handler<"resumed"> = async ({ job }, report) => ({
  data: { recoveryCount: job.recoveryCount + 1 },
  transitions: 0,
  message: `Resumed from step ${report.fromStep}`,
});

const error: Handler<"error"> = async (ctx, report) => {
  const retry = planAutoRetry(ctx.services.config, ctx.job, report.errorType, report.transient, ctx.now);
  await changeStatus(ctx, "FAILED", {
    data: { errorType: report.errorType, errorMessage: report.message, autoRetryAt: retry?.at ?? null },
    payload: { errorType: report.errorType, ...(retry && { autoRetryAt: retry.at.toISOString() }) },
  });
  return {
    data: {},
    transitions: 1,
    message: `${report.errorType}: ${report.message}${retry ? ` (${describeAutoRetry(retry, ctx.now)})` : ""}`,
  };
};

/** Something the trainer wants a person to see that changes nothing (the overview's `warning` event). */
const warning: Handler<"warning"> = async (_ctx, report) => ({ data: {}, transitions: 0, message: report.message });

const completed: Handler<"completed"> = async (ctx, report) => {
  let transitions = 0;
  // Training that ends without a separate finalization report passes through it.
  if (ctx.job.status === "TRAINING") {
    await changeStatus(ctx, "FINALIZATION");
    transitions++;
  }
  const to = report.validationFollows ? "VALIDATION" : "COMPLETED";
  await changeStatus(ctx, to, { data: to === "COMPLETED" ? { progress: 100 } : {} });
  return {
    data: {},
    transitions: transitions + 1,
    message: report.validationFollows ? "Training complete; validation follows" : "Completed",
  };
};

const handlers: { [T in Report["type"]]: Handler<T> } = { metrics, status, checkpoint, interrupted, resumed, error, warning, completed };

export function applyReport(ctx: Ctx, report: Report): Promise<AppliedReport> {
  return (handlers[report.type] as Handler<typeof report.type>)(ctx, report as never);
}
