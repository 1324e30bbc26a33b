import type { AppServices, Viewer } from "../context.js";
import type { Prisma } from "../generated/sqlite/client.js";
import { AppError, notFound } from "../errors.js";
import { appendEvent, publishEvent } from "../events/service.js";
import { findOwnJob, transitionJob } from "../jobs/service.js";
import type { JobConfig } from "../jobs/config.js";
import { KNOWLEDGE_QUESTIONS } from "./content/knowledgeQuestions.js";
import { SCENARIOS } from "./content/scenarios.js";
import { qualitySettings } from "./settings.js";
import { evaluateRun, resultSentence, type RunSettings } from "./runner.js";
import { closeEngines } from "../serving/engineHost.js";
import { summarizeReview } from "./metrics.js";

type UserViewer = Extract<Viewer, { kind: "user" }>;

/** Seconds a server may work on a run without renewing its claim before another may take it over. */
const LEASE_SECONDS = 180;
/** The trainer holds out this share of conversations (trainer/src/engine/train.ts, DEFAULT_HYPERPARAMETERS). */
const VALIDATION_FRACTION = 0.2;
/** Review answers are sampled (with a secret seed, see runner.ts): greedy answers would be the playground's, and give the sides away. */
const GENERATION = { temperature: 0.7, topK: 40 };
export const BRAND_VOICE_SAMPLE = 30;

export type RunOptions = { questionCount?: number | null; scenarioCount?: number | null; maxNewTokens?: number | null };

async function settingsFor(services: AppServices, job: { orgId: string; config: unknown }, options: RunOptions = {}): Promise<RunSettings> {
  const quality = await qualitySettings(services.db, job.orgId);
  const config = job.config as JobConfig;
  const limit = (value: number | null | undefined, max: number, field: string) => {
    if (value == null) return max;
    if (!Number.isInteger(value) || value < 1 || value > max) throw new AppError("VALIDATION", `${field} must be between 1 and ${max}`, field);
    return value;
  };
  const maxNewTokens = options.maxNewTokens ?? quality.reviewMaxNewTokens;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > 256) throw new AppError("VALIDATION", "maxNewTokens must be between 1 and 256", "maxNewTokens");
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

const publishRun = (services: AppServices, run: { id: string; jobId: string }) => services.pubsub.publish("validation:updated", run.jobId, { jobId: run.jobId, runId: run.id });

/** On demand: queue a validation of a finished job's adapter. */
export async function requestValidation(services: AppServices, viewer: UserViewer, jobId: string, options: RunOptions = {}) {
  const job = await findOwnJob(services, viewer, jobId);
  if (job.status !== "COMPLETED" && job.status !== "VALIDATION") {
    throw new AppError("INVALID_TRANSITION", `Only a job that finished training can be validated; this one is ${job.status.toLowerCase()}`, "jobId");
  }
  const run = await services.db.validationRun.create({
    data: { jobId, requestedById: viewer.userId, settings: (await settingsFor(services, job, options)) as Prisma.InputJsonValue, details: {} },
  });
  publishRun(services, run);
  return run;
}

/** Jobs that reached their VALIDATION stage get their one automatic run. */
export async function queueAutomaticRuns(services: AppServices) {
  const jobs = await services.db.trainingJob.findMany({ where: { status: "VALIDATION", validationRuns: { none: { automaticForJobId: { not: null } } } }, take: 20 });
  for (const job of jobs) {
    try {
      const run = await services.db.validationRun.create({
        data: { jobId: job.id, automaticForJobId: job.id, settings: (await settingsFor(services, job)) as Prisma.InputJsonValue, details: {} },
      });
      publishRun(services, run);
    } catch (error) {
      // Another server instance queued it first (unique automaticForJobId).
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
  }
}

/** Takes the oldest queued run, or one whose server stopped renewing its lease. Null when none. */
export async function claimNextRun(services: AppServices) {
  const now = new Date();
  const claimable: Prisma.ValidationRunWhereInput = { OR: [{ status: "PENDING" }, { status: "RUNNING", leaseExpiresAt: { lt: now } }] };
  for (const candidate of await services.db.validationRun.findMany({ where: claimable, orderBy: { createdAt: "asc" }, take: 5, select: { id: true } })) {
    const { count } = await services.db.validationRun.updateMany({
      where: { id: candidate.id, ...claimable },
      data: { status: "RUNNING", startedAt: now, leaseExpiresAt: new Date(now.getTime() + LEASE_SECONDS * 1000), stage: "starting", progress: 0, error: null },
    });
    if (count === 1) return services.db.validationRun.findUniqueOrThrow({ where: { id: candidate.id } });
  }
  return null;
}

/**
 * Evaluates a claimed run and records the outcome. `stopping` tells a server
 * that is shutting down: its run is then left to be taken over, not failed.
 */
export async function executeRun(services: AppServices, run: { id: string; jobId: string; settings: unknown; automaticForJobId: string | null }, stopping: () => boolean) {
  const progress = async (stage: string, value: number) => {
    if (stopping()) throw new Error("server stopping");
    await services.db.validationRun.update({ where: { id: run.id }, data: { stage, progress: value, leaseExpiresAt: new Date(Date.now() + LEASE_SECONDS * 1000) } });
    publishRun(services, run);
  };
  let outcome: Awaited<ReturnType<typeof evaluateRun>> | null = null;
  let failure: string | null = null;
  try {
    outcome = await evaluateRun(services, { id: run.id, jobId: run.jobId, settings: run.settings as RunSettings }, progress);
  } catch (error) {
    if (stopping()) return;
    failure = error instanceof Error ? error.message : String(error);
  }
  const job = await services.db.trainingJob.findUniqueOrThrow({ where: { id: run.jobId } });
  const eventIds = await services.db.$transaction(async (tx) => {
    const ids: number[] = [];
    if (outcome) {
      const r = outcome.results;
      await tx.reviewItem.deleteMany({ where: { runId: run.id } });
      await tx.reviewItem.createMany({ data: outcome.reviewItems });
      await tx.validationRun.update({ where: { id: run.id }, data: { ...r, status: "COMPLETED", stage: "done", progress: 1, finishedAt: new Date(), leaseExpiresAt: null } });
      const sentence = resultSentence(r);
      ids.push((await appendEvent(tx, { jobId: job.id, type: "validation_completed", message: sentence, payload: { runId: run.id }, source: "system" })).id);
      if (r.retentionAlert) {
        const message = `Knowledge retention of "${job.name}" is ${r.retentionPct.toFixed(0)}%, under the ${(run.settings as RunSettings).retentionAlertPct}% alert level: the model may have forgotten what it knew (overtraining).`;
        await tx.alert.create({ data: { orgId: job.orgId, type: "knowledge_retention", message, jobId: job.id, dedupeKey: `retention:${run.id}` } });
        ids.push((await appendEvent(tx, { jobId: job.id, type: "retention_alert", message, payload: { runId: run.id, retentionPct: r.retentionPct }, source: "system" })).id);
      }
    } else {
      await tx.validationRun.update({ where: { id: run.id }, data: { status: "FAILED", error: failure, finishedAt: new Date(), leaseExpiresAt: null } });
      ids.push((await appendEvent(tx, { jobId: job.id, type: "validation_failed", message: `Validation failed: ${failure}`, payload: { runId: run.id }, source: "system" })).id);
    }
    return ids;
  });
  for (const id of eventIds) publishEvent(services.pubsub, job.id, id);
  publishRun(services, run);
  // The automatic run ends the job's VALIDATION stage either way: the adapter is
  // trained and downloadable; a failed validation can be run again on demand.
  if (run.automaticForJobId && job.status === "VALIDATION") {
    await transitionJob(services, job.id, "COMPLETED", { message: outcome ? "Validation finished" : "Completed without validation (it failed; run it again from the job page)" }).catch((error) => {
      if (!(error instanceof AppError && error.code === "INVALID_TRANSITION")) throw error;
    });
  }
}

/** The background worker: queues automatic runs and works through the queue, one run at a time per server. */
export function startValidationRunner(services: AppServices, pollMs = 1000): () => Promise<void> {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const tick = async () => {
    await queueAutomaticRuns(services);
    for (let run = await claimNextRun(services); run && !stopped; run = stopped ? null : await claimNextRun(services)) {
      await executeRun(services, run, () => stopped);
    }
  };
  const timer = setInterval(() => {
    current = current.then(tick).catch((error) => {
      if (!stopped) console.error("validation runner failed", error);
    });
  }, pollMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    // Terminating the engine threads ends a run in flight at once; it is left for another server to take over.
    await closeEngines(services.config);
    await current;
  };
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
  const item = await services.db.reviewItem.findFirst({ where: { id: itemId, run: { job: { orgId: viewer.orgId } } }, include: { run: true } });
  if (!item) throw notFound("Review item", "itemId");
  if (item.run.reviewClosedAt) throw new AppError("CONFLICT", "The review of this validation run is closed", "itemId");
  if (scores.length === 0) throw new AppError("VALIDATION", "Send at least one score", "scores");
  const criteria = item.criteria as string[];
  scores.forEach((s, i) => {
    if (s.side !== "A" && s.side !== "B") throw new AppError("VALIDATION", "side must be A or B", `scores.${i}.side`);
    if (!criteria.includes(s.criterion)) throw new AppError("VALIDATION", `"${s.criterion}" is not scored on this item; use ${criteria.join(", ")}`, `scores.${i}.criterion`);
    if (!Number.isInteger(s.score) || s.score < 1 || s.score > 5) throw new AppError("VALIDATION", "A score is a whole number from 1 to 5", `scores.${i}.score`);
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
  publishRun(services, item.run);
  return item;
}

/** Ends the review: results are computed and the A/B sides revealed. */
export async function closeReview(services: AppServices, viewer: UserViewer, runId: string) {
  const run = await findOwnRun(services, viewer, runId);
  if (run.status !== "COMPLETED") throw new AppError("CONFLICT", "The validation run has not finished", "runId");
  if (run.reviewClosedAt) throw new AppError("CONFLICT", "The review is already closed", "runId");
  if ((await services.db.reviewScore.count({ where: { item: { runId } } })) === 0) throw new AppError("CONFLICT", "No scores yet: review at least one scenario first", "runId");
  const closed = await services.db.validationRun.update({ where: { id: runId }, data: { reviewClosedAt: new Date() } });
  publishRun(services, closed);
  return closed;
}

/** Review results, or null while the review is open (so the A/B mapping cannot leak through averages). */
export async function reviewResults(services: AppServices, run: { id: string; reviewClosedAt: Date | null }) {
  if (!run.reviewClosedAt) return null;
  const items = await services.db.reviewItem.findMany({ where: { runId: run.id }, orderBy: { position: "asc" } });
  const scores = await services.db.reviewScore.findMany({ where: { item: { runId: run.id } } });
  return summarizeReview(items.map((i) => ({ ...i, criteria: i.criteria as string[] })), scores);
}

