import { randomInt } from "node:crypto";
import type { AppServices, UserViewer, Viewer } from "../context.js";
import type { Prisma } from "../generated/sqlite/client.js";
import { AppError, notFound } from "../errors.js";
import { afterCommit, appendEvent, inTransaction } from "../events/service.js";
import { findOwnJob, transitionJob } from "../jobs/service.js";
import type { JobConfig } from "../jobs/config.js";
import type { PubSub } from "../pubsub.js";
import { KNOWLEDGE_QUESTIONS } from "./content/knowledgeQuestions.js";
import { SCENARIOS } from "./content/scenarios.js";
import { qualitySettings } from "./settings.js";
import { aggregateRun, parseResult, resultSentence, stageOf, tasksOf, type RunSettings } from "./runner.js";
import { backendOf, type ClaimFilter } from "../workers/service.js";
import { summarizeReview } from "./metrics.js";
import { readDatasetText } from "../datasets/service.js";
import { adapterArtifacts } from "../serving/adapterFiles.js";

/** Seconds a worker may work on a run without reporting or renewing its claim before another may take it over. */
const LEASE_SECONDS = 180;
/** The trainer holds out this share of conversations (packages/engine/src/train.ts, DEFAULT_HYPERPARAMETERS). */
const VALIDATION_FRACTION = 0.2;
/** Review answers are sampled (with a secret seed drawn per claim): greedy answers would be the playground's, and give the sides away. */
const GENERATION = { temperature: 0.7, topK: 40 };
export const BRAND_VOICE_SAMPLE = 30;

export type RunOptions = { questionCount?: number | null; scenarioCount?: number | null; maxNewTokens?: number | null };

async function settingsFor(services: AppServices, job: { orgId: string; config: unknown }, options: RunOptions = {}): Promise<RunSettings> {
  const quality = await qualitySettings(services.db, job.orgId);
  const config = job.config as JobConfig;
  const limit = (value: number | null | undefined, max: number, field: string) => {
    if (value == null) return max;
    if (!Number.isInteger(value) || value < 1 || value > max)
      throw new AppError("VALIDATION", `${field} must be between 1 and ${max}`, field);
    return value;
  };
  const maxNewTokens = options.maxNewTokens ?? quality.reviewMaxNewTokens;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > 256)
    throw new AppError("VALIDATION", "maxNewTokens must be between 1 and 256", "maxNewTokens");
  return {
    perplexityPassMarkPct: quality.perplexityPassMarkPct,
    retentionAlertPct: quality.retentionAlertPct,
    validationFraction: VALIDATION_FRACTION,
    seed: config.seed,
    maxSeqLength: config.maxSeqLength,
    baseModel: config.baseModel,
    questionCount: limit(options.questionCount, KNOWLEDGE_QUESTIONS.length, "questionCount"),
    scenarioCount: limit(options.scenarioCount, SCENARIOS.length, "scenarioCount"),
    brandVoiceSample: BRAND_VOICE_SAMPLE,
    generation: { ...GENERATION, maxNewTokens },
  };
}

const publishRun = (pubsub: PubSub, run: { id: string; jobId: string }) =>
  pubsub.publish("validation:updated", run.jobId, { jobId: run.jobId, runId: run.id });

/** On demand: queue a validation of a finished job's adapter. */
export async function requestValidation(services: AppServices, viewer: UserViewer, jobId: string, options: RunOptions = {}) {
  const job = await findOwnJob(services, viewer, jobId);
  if (job.status !== "COMPLETED" && job.status !== "VALIDATION") {
    throw new AppError(
      "INVALID_TRANSITION",
      `Only a job that finished training can be validated; this one is ${job.status.toLowerCase()}`,
      "jobId",
    );
  }
  const run = await services.db.validationRun.create({
    data: {
      jobId,
      requestedById: viewer.userId,
      settings: (await settingsFor(services, job, options)) as Prisma.InputJsonValue,
      details: {},
    },
  });
  publishRun(services.pubsub, run);
  return run;
}

/** Jobs that reached their VALIDATION stage get their one automatic run (pending until a worker claims it). */
export async function queueAutomaticRuns(services: AppServices) {
  const jobs = await services.db.trainingJob.findMany({
    where: { status: "VALIDATION", validationRuns: { none: { automaticForJobId: { not: null } } } },
    take: 20,
  });
  for (const job of jobs) {
    try {
      const run = await services.db.validationRun.create({
        data: {
          jobId: job.id,
          automaticForJobId: job.id,
          settings: (await settingsFor(services, job)) as Prisma.InputJsonValue,
          details: {},
        },
      });
      publishRun(services.pubsub, run);
    } catch (error) {
      // Another server instance queued it first (unique automaticForJobId).
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
  }
}

/** Takes the oldest queued run of the organization that the worker can evaluate, or one whose worker stopped renewing its lease. Null when none. */
export async function claimNextRun(services: AppServices, orgId: string, workerId: string, filter: ClaimFilter) {
  if (!/^[A-Za-z0-9._:@-]{1,100}$/.test(workerId))
    throw new AppError("VALIDATION", "The worker id must be 1–100 letters, digits or . _ : @ -", "workerId");
  // The job that just finished training gets its automatic run now, so its own worker can go straight on.
  await queueAutomaticRuns(services);
  const now = new Date();
  const claimable: Prisma.ValidationRunWhereInput = { OR: [{ status: "PENDING" }, { status: "RUNNING", leaseExpiresAt: { lt: now } }] };
  const candidates = await services.db.validationRun.findMany({
    where: {
      ...claimable,
      job: { orgId, ...(filter.gpuTypes?.length && { gpuType: { in: filter.gpuTypes } }) },
      ...(filter.jobId && { jobId: filter.jobId }),
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: 20,
    select: { id: true, job: { select: { config: true } } },
  });
  for (const candidate of candidates) {
    if (filter.backends?.length && !filter.backends.includes(backendOf(candidate.job.config))) continue;
    const { count } = await services.db.validationRun.updateMany({
      where: { id: candidate.id, ...claimable },
      data: { status: "RUNNING", workerId, startedAt: now, leaseExpiresAt: new Date(now.getTime() + LEASE_SECONDS * 1000), error: null },
    });
    if (count === 0) continue;
    const run = await services.db.validationRun.findUniqueOrThrow({
      where: { id: candidate.id },
      include: { job: { include: { dataset: true } }, results: { select: { key: true } } },
    });
    publishRun(services.pubsub, run);
    let adapter;
    try {
      adapter = await adapterArtifacts(services, run.jobId);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await finishRun(services, run, { failure: error.message });
      continue;
    }
    const done = new Set(run.results.map((r) => r.key));
    const settings = run.settings as RunSettings;
    return {
      run,
      settings,
      adapter,
      datasetContent: await readDatasetText(services, run.job.dataset),
      // Drawn per claim and kept nowhere: the playground cannot reproduce the review answers, so nobody can tell which side is the adapter.
      reviewSeed: randomInt(2 ** 31),
      leaseExpiresAt: new Date(now.getTime() + LEASE_SECONDS * 1000),
      tasks: tasksOf(settings).filter((t) => !done.has(t.key)),
    };
  }
  return null;
}

/** What a worker may evaluate: its organization's runs, or one job's runs for a machine launched with that job's token. */
export type WorkerScope = { orgId: string; jobId: string | null };

/** The run, if this worker holds it and it is still running. */
async function heldRun(services: AppServices, scope: WorkerScope, runId: string, workerId: string) {
  const run = await services.db.validationRun.findFirst({
    where: { id: runId, job: { orgId: scope.orgId }, ...(scope.jobId && { jobId: scope.jobId }) },
  });
  if (!run) throw notFound("Validation run", "runId");
  if (run.status !== "RUNNING" || run.workerId !== workerId)
    throw new AppError("CONFLICT", `This validation run is no longer ${workerId}'s to run (${run.status.toLowerCase()})`, "runId");
  return run;
}

/** Renews the worker's lease on a run. */
export async function heartbeatRun(services: AppServices, scope: WorkerScope, runId: string, workerId: string) {
  const run = await heldRun(services, scope, runId, workerId);
  const leaseExpiresAt = new Date(Date.now() + LEASE_SECONDS * 1000);
  await services.db.validationRun.updateMany({ where: { id: run.id, status: "RUNNING", workerId }, data: { leaseExpiresAt } });
  return { leaseExpiresAt };
}

/**
 * Stores one task's result and renews the lease; the last one completes the
 * run. A result already stored (a worker that died after reporting it, a
 * report sent twice) is kept as it was: nothing is counted twice.
 */
export async function recordResult(
  services: AppServices,
  scope: WorkerScope,
  runId: string,
  workerId: string,
  key: string,
  result: unknown,
) {
  const run = await heldRun(services, scope, runId, workerId);
  const settings = run.settings as RunSettings;
  const tasks = tasksOf(settings);
  const task = tasks.find((t) => t.key === key);
  if (!task) throw new AppError("VALIDATION", `This run has no task ${key}`, "key");
  const value = parseResult(task, result);
  try {
    await services.db.validationResult.create({ data: { runId, key, result: value, workerId } });
  } catch (error) {
    if ((error as { code?: string }).code !== "P2002") throw error;
  }
  const done = await services.db.validationResult.count({ where: { runId } });
  await services.db.validationRun.update({
    where: { id: runId },
    data: { stage: stageOf(task), progress: done / tasks.length, leaseExpiresAt: new Date(Date.now() + LEASE_SECONDS * 1000) },
  });
  if (done === tasks.length) await completeRun(services, run);
  else publishRun(services.pubsub, run);
  return services.db.validationRun.findUniqueOrThrow({ where: { id: runId } });
}

/** The worker could not evaluate (the adapter does not load, the model does not fit): the run fails with its message. */
export async function failRun(services: AppServices, scope: WorkerScope, runId: string, workerId: string, message: string) {
  const run = await heldRun(services, scope, runId, workerId);
  await finishRun(services, run, { failure: message.slice(0, 2000) });
  return services.db.validationRun.findUniqueOrThrow({ where: { id: runId } });
}

async function completeRun(services: AppServices, run: { id: string; jobId: string; settings: unknown; automaticForJobId: string | null }) {
  const stored = await services.db.validationResult.findMany({ where: { runId: run.id } });
  const outcome = aggregateRun(run.id, run.settings as RunSettings, new Map(stored.map((r) => [r.key, r.result])));
  await finishRun(services, run, { outcome });
}

/** Records the outcome in one transaction; of two reports that both see the run finish, the second changes nothing. */
async function finishRun(
  services: AppServices,
  run: { id: string; jobId: string; settings: unknown; automaticForJobId: string | null },
  end: { outcome: ReturnType<typeof aggregateRun> } | { failure: string },
) {
  const job = await services.db.trainingJob.findUniqueOrThrow({ where: { id: run.jobId } });
  const outcome = "outcome" in end ? end.outcome : null;
  const finishedNow = await inTransaction(services, async (tx) => {
    const finished = { finishedAt: new Date(), leaseExpiresAt: null };
    if (outcome) {
      const r = outcome.results;
      const { count } = await tx.validationRun.updateMany({
        where: { id: run.id, status: "RUNNING" },
        data: { ...r, ...finished, status: "COMPLETED", stage: "done", progress: 1 },
      });
      if (count === 0) return false;
      // The job history sorts by it (jobs(sort: { field: QUALITY })).
      await tx.trainingJob.update({ where: { id: job.id }, data: { qualityScore: r.perplexityImprovementPct } });
      await tx.reviewItem.createMany({ data: outcome.reviewItems });
      await appendEvent(tx, {
        jobId: job.id,
        type: "validation_completed",
        message: resultSentence(r),
        payload: { runId: run.id },
        source: "system",
      });
      if (r.retentionAlert) {
        const message = `Knowledge retention of "${job.name}" is ${r.retentionPct.toFixed(0)}%, under the ${(run.settings as RunSettings).retentionAlertPct}% alert level: the model may have forgotten what it knew (overtraining).`;
        await tx.alert.create({
          data: { orgId: job.orgId, type: "knowledge_retention", message, jobId: job.id, dedupeKey: `retention:${run.id}` },
        });
        await appendEvent(tx, {
          jobId: job.id,
          type: "retention_alert",
          message,
          payload: { runId: run.id, retentionPct: r.retentionPct },
          source: "system",
        });
      }
    } else {
      const failure = (end as { failure: string }).failure;
      const { count } = await tx.validationRun.updateMany({
        where: { id: run.id, status: "RUNNING" },
        data: { ...finished, status: "FAILED", error: failure },
      });
      if (count === 0) return false;
      await appendEvent(tx, {
        jobId: job.id,
        type: "validation_failed",
        message: `Validation failed: ${failure}`,
        payload: { runId: run.id },
        source: "system",
      });
    }
    afterCommit(tx, (pubsub) => publishRun(pubsub, run));
    return true;
  });
  if (!finishedNow) return;
  // The automatic run ends the job's VALIDATION stage either way: the adapter is
  // trained and downloadable; a failed validation can be run again on demand.
  if (run.automaticForJobId && job.status === "VALIDATION") {
    await transitionJob(services, job.id, "COMPLETED", {
      message: outcome ? "Validation finished" : "Completed without validation (it failed; run it again from the job page)",
    }).catch((error) => {
      if (!(error instanceof AppError && error.code === "INVALID_TRANSITION")) throw error;
    });
  }
}

// ── Reading runs and human review ──

export async function findOwnRun(services: AppServices, viewer: Viewer, runId: string) {
  const run = await services.db.validationRun.findFirst({ where: { id: runId, job: { orgId: viewer.orgId } } });
  if (!run) throw notFound("Validation run", "runId");
  return run;
}

export async function latestRun(services: AppServices, jobId: string) {
  return services.db.validationRun.findFirst({ where: { jobId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
}

export type ScoreInput = { side: "A" | "B"; criterion: string; score: number };

/** A reviewer's scores for one item (blind: sides A and B). Sending a score again replaces it. */
export async function scoreReviewItem(services: AppServices, viewer: UserViewer, itemId: string, scores: ScoreInput[]) {
  const item = await services.db.reviewItem.findFirst({
    where: { id: itemId, run: { job: { orgId: viewer.orgId } } },
    include: { run: true },
  });
  if (!item) throw notFound("Review item", "itemId");
  if (item.run.reviewClosedAt) throw new AppError("CONFLICT", "The review of this validation run is closed", "itemId");
  if (scores.length === 0) throw new AppError("VALIDATION", "Send at least one score", "scores");
  const criteria = item.criteria as string[];
  scores.forEach((s, i) => {
    if (s.side !== "A" && s.side !== "B") throw new AppError("VALIDATION", "side must be A or B", `scores.${i}.side`);
    if (!criteria.includes(s.criterion))
      throw new AppError("VALIDATION", `"${s.criterion}" is not scored on this item; use ${criteria.join(", ")}`, `scores.${i}.criterion`);
    if (!Number.isInteger(s.score) || s.score < 1 || s.score > 5)
      throw new AppError("VALIDATION", "A score is a whole number from 1 to 5", `scores.${i}.score`);
  });
  await services.db.$transaction(
    scores.map((s) =>
      services.db.reviewScore.upsert({
        where: { itemId_reviewerId_side_criterion: { itemId, reviewerId: viewer.userId, side: s.side, criterion: s.criterion } },
        create: { itemId, reviewerId: viewer.userId, side: s.side, criterion: s.criterion, score: s.score },
        update: { score: s.score },
      }),
    ),
  );
  publishRun(services.pubsub, item.run);
  return item;
}

/** Ends the review: results are computed and the A/B sides revealed. */
export async function closeReview(services: AppServices, viewer: UserViewer, runId: string) {
  const run = await findOwnRun(services, viewer, runId);
  if (run.status !== "COMPLETED") throw new AppError("CONFLICT", "The validation run has not finished", "runId");
  if (run.reviewClosedAt) throw new AppError("CONFLICT", "The review is already closed", "runId");
  if ((await services.db.reviewScore.count({ where: { item: { runId } } })) === 0)
    throw new AppError("CONFLICT", "No scores yet: review at least one scenario first", "runId");
  const closed = await services.db.validationRun.update({ where: { id: runId }, data: { reviewClosedAt: new Date() } });
  publishRun(services.pubsub, closed);
  return closed;
}

/** Review results, or null while the review is open (so the A/B mapping cannot leak through averages). */
export async function reviewResults(services: AppServices, run: { id: string; reviewClosedAt: Date | null }) {
  if (!run.reviewClosedAt) return null;
  const items = await services.db.reviewItem.findMany({ where: { runId: run.id }, orderBy: { position: "asc" } });
  const scores = await services.db.reviewScore.findMany({ where: { item: { runId: run.id } } });
  return summarizeReview(
    items.map((i) => ({ ...i, criteria: i.criteria as string[] })),
    scores,
  );
}
