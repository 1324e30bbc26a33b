import type { AppServices, UserViewer, Viewer } from "../context.js";
import type { Prisma } from "../generated/sqlite/client.js";
import type { JobStatus } from "../generated/sqlite/enums.js";
import { AppError, notFound } from "../errors.js";
import { afterCommit, appendEvent, inTransaction, type NewEvent, type Tx } from "../events/service.js";
import type { PubSub } from "../pubsub.js";
import { resolveSettings, type JobSettings } from "../costs/service.js";
import { FINAL_STATUSES, sourcesOf, statusInWords, TRANSITIONS } from "./stateMachine.js";
import { aboveApprovalThreshold, assertApproved, checkJobFunding, requestApproval } from "../budgets/guard.js";
import { planRetry } from "../failures/retry.js";
import { countTemplateUse } from "../templates/service.js";
import { billableSecondsAt, billedCostUsd } from "../costs/live.js";

export type CreateJobInput = JobSettings & {
  name: string;
  description?: string | null;
  notes?: string | null;
  tags?: string[] | null;
  clientName?: string | null;
  projectId?: string | null;
  start?: boolean | null;
  /** An owner's reason to let the job go over the monthly budget. */
  budgetOverrideReason?: string | null;
  /** The template the job is started from: counted as one more use of it. */
  templateId?: string | null;
};

function checkText(field: string, value: string | null | undefined, max: number, required = false) {
  if (required && !value?.trim()) throw new AppError("VALIDATION", `${field} is required`, field);
  if (value && value.length > max) throw new AppError("VALIDATION", `${field} must be at most ${max} characters`, field);
}

export function normalizeTags(tags: string[] | null | undefined): string[] {
  const clean = [...new Set((tags ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))];
  if (clean.length > 20) throw new AppError("VALIDATION", "At most 20 tags", "tags");
  const long = clean.find((t) => t.length > 40);
  if (long) throw new AppError("VALIDATION", `Tag "${long.slice(0, 20)}…" is longer than 40 characters`, "tags");
  return clean;
}

/** Loads a job of the viewer's organization; another organization's job is "not found". */
export async function findOwnJob(services: AppServices, viewer: Viewer, jobId: string) {
  const job = await services.db.trainingJob.findFirst({ where: { id: jobId, orgId: viewer.orgId } });
  if (!job) throw notFound("Training job", "jobId");
  return job;
}

type JobChange = "created" | "updated" | "deleted";

/** Tells the job's watchers, its organization's lists and the server's own watchers (spending) that the job changed. */
export function publishJobChange(pubsub: PubSub, job: { id: string; orgId: string }, change: JobChange) {
  pubsub.publish("job:updated", job.id, { jobId: job.id });
  pubsub.publish("org:jobs", job.orgId, { jobId: job.id, change });
  pubsub.publish("jobs:changed", { jobId: job.id, orgId: job.orgId, change });
}

/** publishJobChange once `tx` (from inTransaction) has committed. */
export function queueJobChange(tx: Tx, job: { id: string; orgId: string }, change: JobChange) {
  afterCommit(tx, (pubsub) => publishJobChange(pubsub, job, change));
}

/**
 * Moves a job to `to` if, and only if, its current status allows it — in one
 * conditional update, so two racing callers cannot both succeed. Records the
 * change in the event log in the same transaction, after `precondition` (which
 * may refuse by throwing). The event and the change are announced once the
 * transaction commits: its own, or the caller's `tx` (from inTransaction).
 */
export async function transitionJob(
  services: AppServices,
  jobId: string,
  to: JobStatus,
  options: {
    data?: Prisma.TrainingJobUncheckedUpdateManyInput;
    message?: string;
    source?: NewEvent["source"];
    payload?: Record<string, unknown>;
    /** When the change is a trainer's report: the event is also the report's entry (its dedupe key, when it arrived). */
    event?: Pick<NewEvent, "dedupeKey" | "receivedAt">;
    tx?: Tx;
    precondition?: (tx: Tx) => Promise<void>;
  } = {},
) {
  const run = async (tx: Tx) => {
    await options.precondition?.(tx);
    const before = await tx.trainingJob.findUnique({ where: { id: jobId } });
    if (!before) throw notFound("Training job", "jobId");
    const now = new Date();
    const stamps: Prisma.TrainingJobUncheckedUpdateManyInput = {};
    if (to === "QUEUED") stamps.queuedAt = now;
    if (to === "PROVISIONING" && !before.startedAt) stamps.startedAt = now;
    // The worker lets go of the GPU when training is done (validation runs here) or the job ends.
    if ((to === "VALIDATION" || FINAL_STATUSES.includes(to)) && !before.billingEndedAt) stamps.billingEndedAt = now;
    if (FINAL_STATUSES.includes(to)) {
      stamps.finishedAt = now;
      stamps.workerId = null;
      stamps.leaseExpiresAt = null;
      if (before.startedAt) stamps.actualDurationSec = (now.getTime() - before.startedAt.getTime()) / 1000;
      // The bill ends with the job, even when no report follows (cancelled, hard-stopped, lease lost).
      const billed = { ...before, finishedAt: now };
      Object.assign(stamps, { billableSeconds: billableSecondsAt(billed, now), actualCostUsd: billedCostUsd(billed, now) });
    }
    const { count } = await tx.trainingJob.updateMany({
      where: { id: jobId, status: { in: sourcesOf(to) } },
      data: {
        status: to,
        stage: to === "RECOVERING" || FINAL_STATUSES.includes(to) ? before.stage : to.toLowerCase(),
        ...stamps,
        ...options.data,
      },
    });
    if (count === 0) {
      const allowed = TRANSITIONS[before.status].map(statusInWords).join(", ") || "nothing (it has finished)";
      throw new AppError(
        "INVALID_TRANSITION",
        `A ${statusInWords(before.status)} job cannot become ${statusInWords(to)}; from ${statusInWords(before.status)} it can become: ${allowed}`,
        "status",
      );
    }
    await appendEvent(tx, {
      jobId,
      type: "status_changed",
      message: options.message ?? `${statusInWords(before.status)} → ${statusInWords(to)}`,
      payload: { from: before.status, to, ...options.payload },
      source: options.source ?? "system",
      ...options.event,
    });
    queueJobChange(tx, before, "updated");
    return tx.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
  };
  return options.tx ? run(options.tx) : inTransaction(services, run);
}

export async function createJob(services: AppServices, viewer: UserViewer, input: CreateJobInput) {
  checkText("name", input.name, 200, true);
  checkText("description", input.description, 2000);
  checkText("notes", input.notes, 10000);
  checkText("clientName", input.clientName, 200);
  const tags = normalizeTags(input.tags);
  const settings = await resolveSettings(services, viewer.orgId, input);
  if (settings.dataset.status !== "VALID") {
    throw new AppError("DATASET_INVALID", `Dataset "${settings.dataset.name}" failed validation; fix it and upload it again`, "datasetId");
  }
  if (input.projectId && !(await services.db.project.findFirst({ where: { id: input.projectId, orgId: viewer.orgId } }))) {
    throw notFound("Project", "projectId");
  }
  const { estimate, config } = settings;
  const awaitsApproval = Boolean(input.start) && (await aboveApprovalThreshold(services, viewer.orgId, estimate.costUsd));
  // Its events (created, budget_overridden, status_changed) are published once the job exists.
  const job = await inTransaction(services, async (tx) => {
    const funding = await checkJobFunding(tx, viewer, {
      projectId: input.projectId,
      estimateUsd: estimate.costUsd,
      overrideReason: input.budgetOverrideReason,
    });
    const created = await tx.trainingJob.create({
      data: {
        orgId: viewer.orgId,
        name: input.name.trim(),
        description: input.description,
        notes: input.notes,
        datasetId: settings.dataset.id,
        config,
        preset: settings.preset,
        totalEpochs: config.epochs,
        estimatedCostUsd: estimate.costUsd,
        estimatedCostLowUsd: estimate.costLowUsd,
        estimatedCostHighUsd: estimate.costHighUsd,
        estimatedDurationSec: estimate.durationSeconds,
        gpuType: settings.gpu.id,
        pricingTier: settings.tier,
        onDemandFallback: settings.onDemandFallback,
        onDemandAfterPreemptions: settings.onDemandAfterPreemptions,
        hourlyRateUsd: estimate.hourlyRateUsd,
        createdById: viewer.userId,
        clientName: input.clientName,
        projectId: input.projectId,
        templateId: input.templateId,
        tags: { create: tags.map((tag) => ({ tag })) },
      },
    });
    if (input.templateId) await countTemplateUse(tx, viewer.orgId, input.templateId);
    queueJobChange(tx, created, "created");
    await appendEvent(tx, {
      jobId: created.id,
      type: "created",
      message: `Created with the ${settings.preset.toLowerCase()} preset; estimated $${estimate.costUsd.toFixed(2)} (${estimate.costLowUsd.toFixed(2)}–${estimate.costHighUsd.toFixed(2)})`,
      payload: { config, estimate: { costUsd: estimate.costUsd, durationSeconds: estimate.durationSeconds } },
      source: "user",
    });
    await funding.record(tx, created.id);
    return input.start && !awaitsApproval
      ? transitionJob(services, created.id, "QUEUED", { tx, source: "user", message: "Started" })
      : created;
  });
  // Above the approval threshold the job waits, PENDING, for an owner.
  if (awaitsApproval) await requestApproval(services, job);
  return job;
}

export async function startJob(services: AppServices, viewer: UserViewer, jobId: string) {
  const job = await findOwnJob(services, viewer, jobId);
  const dataset = await services.db.dataset.findUniqueOrThrow({ where: { id: job.datasetId } });
  if (dataset.status !== "VALID") throw new AppError("DATASET_INVALID", `Dataset "${dataset.name}" failed validation`, "datasetId");
  if (job.status === "PENDING") await assertApproved(services, job);
  // A job that was never queued joins the month's forecast now: check it in the same transaction.
  const checkBudget = async (tx: Tx) => {
    if (job.status === "PENDING")
      await checkJobFunding(tx, viewer, { jobId: job.id, projectId: job.projectId, estimateUsd: job.estimatedCostUsd });
  };
  return transitionJob(services, job.id, "QUEUED", { source: "user", message: "Started", precondition: checkBudget });
}

export async function cancelJob(services: AppServices, viewer: UserViewer, jobId: string, reason?: string | null) {
  const job = await findOwnJob(services, viewer, jobId);
  return transitionJob(services, job.id, "CANCELLED", {
    source: "user",
    message: reason ? `Cancelled: ${reason}` : "Cancelled",
    payload: { by: viewer.userId },
  });
}

export async function deleteJob(services: AppServices, viewer: UserViewer, jobId: string) {
  const job = await findOwnJob(services, viewer, jobId);
  const { count } = await services.db.trainingJob.deleteMany({ where: { id: job.id, status: "PENDING" } });
  if (count === 0) {
    const hint = FINAL_STATUSES.includes(job.status) ? "" : " Cancel it instead.";
    throw new AppError(
      "CONFLICT",
      `Only a job that never started can be deleted; this one is ${statusInWords(job.status)}.${hint}`,
      "jobId",
    );
  }
  publishJobChange(services.pubsub, job, "deleted");
  return job;
}

/** A new job with the failed one's settings, the suggested fix (unless declined) and `overrides`, started at once. */
export async function retryJob(
  services: AppServices,
  viewer: UserViewer,
  jobId: string,
  overrides?: object | null,
  applySuggestedFix = true,
  /** Set by the automatic retry of a transient failure (failures/autoRetry.ts): how many in a row this one is. */
  automatic?: { autoRetryAttempt: number },
) {
  const failed = await findOwnJob(services, viewer, jobId);
  if (failed.status !== "FAILED" && failed.status !== "CANCELLED") {
    throw new AppError(
      "INVALID_TRANSITION",
      `Only a failed or cancelled job can be retried; this one is ${statusInWords(failed.status)}`,
      "jobId",
    );
  }
  // A person retrying first takes the place of a pending automatic retry.
  // The failed job changes too: no retry is pending on it any more, so it is a person's failure (JOB_FAILED).
  if (!automatic && failed.autoRetryAt) {
    await services.db.trainingJob.updateMany({ where: { id: failed.id }, data: { autoRetryAt: null } });
    publishJobChange(services.pubsub, failed, "updated");
  }
  const tags = await services.db.jobTag.findMany({ where: { jobId: failed.id } });
  const job = await createJob(services, viewer, {
    name: failed.name.replace(/( \(retry \d+\))?$/, ` (retry ${failed.retryCount + 1})`),
    description: failed.description,
    notes: failed.notes,
    tags: tags.map((t) => t.tag),
    clientName: failed.clientName,
    projectId: failed.projectId,
    onDemandFallback: failed.onDemandFallback,
    onDemandAfterPreemptions: failed.onDemandAfterPreemptions,
    ...(await planRetry(services, failed, overrides, applySuggestedFix)),
    start: true,
  });
  return services.db.trainingJob.update({
    where: { id: job.id },
    data: { retryOfId: failed.id, retryCount: failed.retryCount + 1, autoRetryAttempt: automatic?.autoRetryAttempt ?? 0 },
  });
}

export async function updateJobDetails(
  services: AppServices,
  viewer: UserViewer,
  jobId: string,
  input: { name?: string | null; description?: string | null; notes?: string | null; tags?: string[] | null },
) {
  const job = await findOwnJob(services, viewer, jobId);
  if (input.name !== undefined) checkText("name", input.name, 200, true);
  checkText("description", input.description, 2000);
  checkText("notes", input.notes, 10000);
  const tags = input.tags ? normalizeTags(input.tags) : null;
  return inTransaction(services, async (tx) => {
    if (tags) {
      await tx.jobTag.deleteMany({ where: { jobId: job.id } });
      await tx.jobTag.createMany({ data: tags.map((tag) => ({ jobId: job.id, tag })) });
    }
    queueJobChange(tx, job, "updated");
    return tx.trainingJob.update({
      where: { id: job.id },
      data: {
        ...(input.name != null && { name: input.name.trim() }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.notes !== undefined && { notes: input.notes }),
      },
    });
  });
}
