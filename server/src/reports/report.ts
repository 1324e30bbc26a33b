// The validation report as data: one object that the report page, the PDF
// and the share link all render, so they can never disagree.
import type { AppServices } from "../context.js";
import { notFound } from "../errors.js";
import { readSeries } from "../metrics/service.js";
import type { JobConfig } from "../jobs/config.js";
import { reviewResults } from "../validation/service.js";
import type { RunDetails, RunSettings } from "../validation/runner.js";
import type { ReviewSummary } from "../validation/metrics.js";
import { KNOWLEDGE_QUESTIONS } from "../validation/content/knowledgeQuestions.js";
import { beforeAfterExamples, type Example } from "./beforeAfter.js";
import { costBenefitOf, type CostBenefit } from "./costBenefit.js";

export type Curve = { name: string; points: { step: number; value: number }[] };
export type { Example };

export type ValidationReport = {
  generatedAt: string;
  job: {
    id: string;
    name: string;
    clientName: string | null;
    dataset: string;
    conversations: number;
    preset: string;
    config: JobConfig;
    finishedAt: string | null;
    durationSec: number | null;
    costUsd: number;
  };
  run: {
    id: string;
    status: string;
    createdAt: string;
    finishedAt: string | null;
    settings: RunSettings;
    heldOutConversations: number | null;
    error: string | null;
  };
  perplexity: { base: number; adapted: number; improvementPct: number; passed: boolean; passMarkPct: number; tokens: number | null } | null;
  knowledge: {
    questions: number;
    baseCorrect: number;
    adaptedCorrect: number;
    retentionPct: number;
    alert: boolean;
    alertPct: number;
    byCategory: { category: string; total: number; baseCorrect: number; adaptedCorrect: number }[];
    forgotten: { question: string; correct: string; adaptedAnswer: string }[];
  } | null;
  review: (ReviewSummary & { closedAt: string }) | { closedAt: null; items: number; scoredItems: number };
  curves: Curve[];
  examples: Example[];
  costBenefit: CostBenefit;
  summary: string[];
};

const CURVES = ["train_loss", "val_loss"];

/** A job's training and validation loss, at most 200 points each: the report's chart and the comparison PDF's. */
export function lossCurves(services: AppServices, jobId: string): Promise<Curve[]> {
  return Promise.all(
    CURVES.map(async (name) => ({
      name,
      points: (await readSeries(services.db, services.provider, jobId, name, { maxPoints: 200 })).points.map((p) => ({
        step: p.step,
        value: p.value,
      })),
    })),
  );
}

const fmt = (x: number, digits = 1) => x.toFixed(digits);

/** The executive summary: what a client needs to know, in plain words. */
function plainSummary(r: Pick<ValidationReport, "perplexity" | "knowledge" | "review">): string[] {
  const lines: string[] = [];
  if (r.perplexity) {
    const p = r.perplexity;
    lines.push(
      p.improvementPct > 0
        ? `The fine-tuned model predicts held-out conversations written in your style ${fmt(p.improvementPct, 0)}% better than the base model (perplexity from ${fmt(p.base)} to ${fmt(p.adapted)}), ${p.passed ? "meeting" : "short of"} the ${fmt(p.passMarkPct, 0)}% target.`
        : `The fine-tuned model did not predict held-out conversations better than the base model (perplexity from ${fmt(p.base)} to ${fmt(p.adapted)}); it needs more or better data, or other settings.`,
    );
  }
  if (r.knowledge) {
    const k = r.knowledge;
    lines.push(
      k.alert
        ? `Warning: the model answers ${k.adaptedCorrect} of ${k.questions} general financial questions correctly against ${k.baseCorrect} before training (${fmt(k.retentionPct, 0)}% retention, under the ${fmt(k.alertPct, 0)}% threshold) — it may have forgotten some of what it knew.`
        : `It kept its general financial knowledge: ${k.adaptedCorrect} of ${k.questions} questions right against ${k.baseCorrect} before training (${fmt(k.retentionPct, 0)}% retention).`,
    );
    // With four options, 25% is what guessing scores: near it, retention says little.
    if (Math.max(k.baseCorrect, k.adaptedCorrect) / k.questions < 0.35) {
      lines.push(
        `Both models answer close to chance (25% for four options), so the knowledge test shows little about forgetting for a base model this small.`,
      );
    }
  }
  if (r.review.closedAt !== null) {
    const ei = r.review.emotionalIntelligence;
    const bv = r.review.brandVoice;
    if (ei.base !== null && ei.adapted !== null) {
      lines.push(
        `Reviewers, not told which answer came from which model, rated emotional intelligence ${fmt(ei.base)}/5 for the base model and ${fmt(ei.adapted)}/5 for the fine-tuned one (${ei.improvementPct! >= 0 ? "+" : ""}${fmt(ei.improvementPct!, 0)}%).`,
      );
    }
    if (bv.adapted !== null)
      lines.push(
        `Brand-voice alignment of the fine-tuned model: ${fmt(bv.adaptedAlignmentPct!, 0)}% (average ${fmt(bv.adapted)}/5 over ten characteristics).`,
      );
    if (r.review.flags.length) lines.push(`${r.review.flags.length} individual scores were under 3 and are listed for follow-up.`);
  } else {
    lines.push(
      `Human review is in progress (${r.review.scoredItems} of ${r.review.items} scenarios scored); its results appear here when QA closes it.`,
    );
  }
  return lines;
}

export async function buildReport(services: AppServices, runId: string): Promise<ValidationReport> {
  const run = await services.db.validationRun.findUnique({ where: { id: runId }, include: { job: { include: { dataset: true } } } });
  if (!run) throw notFound("Validation run", "runId");
  const job = run.job;
  const settings = run.settings as RunSettings;
  const details = run.details as RunDetails;
  const done = run.status === "COMPLETED";
  const perplexity = done
    ? {
        base: run.perplexityBase!,
        adapted: run.perplexityAdapted!,
        improvementPct: run.perplexityImprovementPct!,
        passed: run.perplexityPassed!,
        passMarkPct: settings.perplexityPassMarkPct,
        tokens: details.perplexity?.tokens ?? null,
      }
    : null;
  const questionById = new Map(KNOWLEDGE_QUESTIONS.map((q) => [q.id, q]));
  const knowledge = done
    ? {
        questions: run.knowledgeQuestions!,
        baseCorrect: run.knowledgeBaseCorrect!,
        adaptedCorrect: run.knowledgeAdaptedCorrect!,
        retentionPct: run.retentionPct!,
        alert: run.retentionAlert!,
        alertPct: settings.retentionAlertPct,
        byCategory: Object.entries(details.knowledge?.byCategory ?? {}).map(([category, c]) => ({ category, ...c })),
        // Questions the base model knew and the adapted model got wrong: forgetting, question by question.
        forgotten: (details.knowledge?.questions ?? [])
          .filter((d) => d.base === d.answer && d.adapted !== d.answer)
          .map((d) => {
            const q = questionById.get(d.id)!;
            return { question: q.question, correct: q.options[d.answer], adaptedAnswer: q.options[d.adapted] };
          }),
      }
    : null;
  const closed = await reviewResults(services, run);
  const items = await services.db.reviewItem.findMany({
    where: { runId },
    orderBy: { position: "asc" },
    include: { _count: { select: { scores: true } } },
  });
  const review =
    closed && run.reviewClosedAt
      ? { ...closed, closedAt: run.reviewClosedAt.toISOString() }
      : { closedAt: null, items: items.length, scoredItems: items.filter((i) => i._count.scores > 0).length };
  const curves = await lossCurves(services, job.id);
  const examples = await beforeAfterExamples(services, run);
  const deal = await services.db.reportDeal.findUnique({ where: { runId }, select: { outcome: true, valueUsd: true } });
  const partial = { perplexity, knowledge, review };
  return {
    generatedAt: new Date().toISOString(),
    job: {
      id: job.id,
      name: job.name,
      clientName: job.clientName,
      dataset: job.dataset.name,
      conversations: job.dataset.conversationCount,
      preset: job.preset,
      config: job.config as JobConfig,
      finishedAt: job.finishedAt?.toISOString() ?? null,
      durationSec: job.actualDurationSec,
      costUsd: job.actualCostUsd,
    },
    run: {
      id: run.id,
      status: run.status,
      createdAt: run.createdAt.toISOString(),
      finishedAt: run.finishedAt?.toISOString() ?? null,
      settings,
      heldOutConversations: run.heldOutConversations,
      error: run.error,
    },
    perplexity,
    knowledge,
    review,
    curves: curves.filter((c) => c.points.length > 0),
    examples,
    costBenefit: await costBenefitOf(services, job.id, deal?.outcome === "WON" ? deal.valueUsd : null),
    summary: plainSummary(partial),
  };
}
