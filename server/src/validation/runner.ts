// What a validation run asks of a worker and what the server makes of the
// answers. The run is split into tasks (a perplexity, a chunk of questions, a
// chunk of review prompts), each with a stable key: a worker reports each
// task's result once it has it, so a run resumes where a dead worker left it
// and a result reported twice is stored once. The server never evaluates a
// model; it lists the tasks, checks the results' shapes and aggregates them.
import { randomInt } from "node:crypto";
import { z } from "zod";
import type { Prisma } from "../generated/sqlite/client.js";
import { AppError } from "../errors.js";
import { KNOWLEDGE_QUESTIONS, type KnowledgeCategory } from "./content/knowledgeQuestions.js";
import { SCENARIOS, SCENARIO_SYSTEM_PROMPT } from "./content/scenarios.js";
import { BRAND_VOICE_CRITERIA, EMOTIONAL_INTELLIGENCE_CRITERIA } from "./content/rubric.js";
import { perplexityImprovementPct, retentionPct } from "./metrics.js";

export type GenerationSettings = { maxNewTokens: number; temperature: number; topK: number };

/** Everything that decides a run's numbers, stored with it (the report's technical appendix shows it). */
export type RunSettings = {
  perplexityPassMarkPct: number;
  retentionAlertPct: number;
  validationFraction: number;
  seed: number;
  maxSeqLength: number;
  baseModel: string;
  questionCount: number;
  scenarioCount: number;
  brandVoiceSample: number;
  /** How review answers are sampled; their seed is secret (drawn per claim, never stored). */
  generation: GenerationSettings;
};

export type KnowledgeDetail = { id: string; category: KnowledgeCategory; answer: number; base: number; adapted: number };
export type RunDetails = {
  knowledge?: { questions: KnowledgeDetail[]; byCategory: Record<string, { total: number; baseCorrect: number; adaptedCorrect: number }> };
  perplexity?: { baseLoss: number; adaptedLoss: number; tokens: number };
  /** Milliseconds each task took on its worker, by task key. */
  timings?: Record<string, number>;
};

export type Which = "base" | "adapted";
export type ValidationTask =
  | { key: string; kind: "perplexity"; model: Which }
  | { key: string; kind: "multipleChoice"; model: Which; questions: { id: string; question: string; options: string[] }[] }
  | {
      key: string;
      kind: "generate";
      model: Which;
      prompts: { scenarioId: string; messages: { role: "system" | "user"; content: string }[] }[];
    };

/** Questions and prompts per task: small enough that a worker reports (and renews its lease) every few seconds on a CPU. */
const CHUNK = { questions: 25, prompts: 5 };
const SIDES: Which[] = ["base", "adapted"];

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** The run's tasks, in the order a worker does them. Deterministic for the settings: the keys are the same on every claim. */
export function tasksOf(settings: RunSettings): ValidationTask[] {
  const questions = KNOWLEDGE_QUESTIONS.slice(0, settings.questionCount).map((q) => ({
    id: q.id,
    question: q.question,
    options: q.options,
  }));
  const prompts = SCENARIOS.slice(0, settings.scenarioCount).map((sc) => ({
    scenarioId: sc.id,
    messages: [
      { role: "system" as const, content: SCENARIO_SYSTEM_PROMPT },
      { role: "user" as const, content: sc.message },
    ],
  }));
  return [
    ...SIDES.map((model) => ({ key: `perplexity:${model}`, kind: "perplexity" as const, model })),
    ...SIDES.flatMap((model) =>
      chunks(questions, CHUNK.questions).map((part, i) => ({
        key: `knowledge:${model}:${i}`,
        kind: "multipleChoice" as const,
        model,
        questions: part,
      })),
    ),
    ...SIDES.flatMap((model) =>
      chunks(prompts, CHUNK.prompts).map((part, i) => ({ key: `review:${model}:${i}`, kind: "generate" as const, model, prompts: part })),
    ),
  ];
}

const STAGES: Record<ValidationTask["kind"], string> = {
  perplexity: "perplexity",
  multipleChoice: "knowledge questions",
  generate: "scenario responses",
};
export const stageOf = (task: ValidationTask) => `${STAGES[task.kind]}, ${task.model} model`;

const ms = z.number().nonnegative().finite().optional();
const RESULT_SHAPES = {
  perplexity: z
    .object({
      loss: z.number().finite(),
      perplexity: z.number().positive(),
      tokens: z.number().int().positive(),
      conversations: z.number().int().nonnegative(),
      ms,
    })
    .strict(),
  multipleChoice: z.object({ best: z.array(z.number().int().nonnegative()), ms }).strict(),
  generate: z.object({ texts: z.array(z.string().max(20_000)), ms }).strict(),
};
export type PerplexityResult = z.infer<typeof RESULT_SHAPES.perplexity>;
type ChoiceResult = z.infer<typeof RESULT_SHAPES.multipleChoice>;
type GenerateResult = z.infer<typeof RESULT_SHAPES.generate>;

/** Checks a reported result against its task; a wrong shape is the worker's bug, refused before anything is stored. */
export function parseResult(task: ValidationTask, result: unknown) {
  const parsed = RESULT_SHAPES[task.kind].safeParse(result);
  if (!parsed.success)
    throw new AppError(
      "VALIDATION",
      `Result of ${task.key}: ${parsed.error.issues[0].path.join(".")} ${parsed.error.issues[0].message}`,
      "result",
    );
  const value = parsed.data as Record<string, unknown>;
  if (task.kind === "multipleChoice") {
    const best = (value as ChoiceResult).best;
    if (best.length !== task.questions.length || best.some((b, i) => b >= task.questions[i].options.length)) {
      throw new AppError("VALIDATION", `Result of ${task.key}: one answer index per question, each within its options`, "result");
    }
  }
  if (task.kind === "generate" && (value as GenerateResult).texts.length !== task.prompts.length) {
    throw new AppError("VALIDATION", `Result of ${task.key}: one text per prompt`, "result");
  }
  return value as Prisma.InputJsonValue;
}

/** The stored numbers of a run whose every task has a result. */
export function aggregateRun(runId: string, settings: RunSettings, results: Map<string, unknown>) {
  const tasks = tasksOf(settings);
  const timings: Record<string, number> = {};
  for (const [key, r] of results) if (typeof (r as { ms?: number }).ms === "number") timings[key] = Math.round((r as { ms: number }).ms);
  const perplexity = (model: Which) => results.get(`perplexity:${model}`) as PerplexityResult;
  const pBase = perplexity("base");
  const pAdapted = perplexity("adapted");
  const collect = <T>(kind: ValidationTask["kind"], model: Which, field: "best" | "texts") =>
    tasks.filter((t) => t.kind === kind && t.model === model).flatMap((t) => (results.get(t.key) as Record<string, T[]>)[field]);
  const choices = {
    base: collect<number>("multipleChoice", "base", "best"),
    adapted: collect<number>("multipleChoice", "adapted", "best"),
  };
  const responses = { base: collect<string>("generate", "base", "texts"), adapted: collect<string>("generate", "adapted", "texts") };

  const questions = KNOWLEDGE_QUESTIONS.slice(0, settings.questionCount);
  const detail: KnowledgeDetail[] = questions.map((q, i) => ({
    id: q.id,
    category: q.category,
    answer: q.answer,
    base: choices.base[i],
    adapted: choices.adapted[i],
  }));
  const byCategory: Record<string, { total: number; baseCorrect: number; adaptedCorrect: number }> = {};
  for (const d of detail) {
    const c = (byCategory[d.category] ??= { total: 0, baseCorrect: 0, adaptedCorrect: 0 });
    c.total++;
    c.baseCorrect += Number(d.base === d.answer);
    c.adaptedCorrect += Number(d.adapted === d.answer);
  }
  const baseCorrect = detail.filter((d) => d.base === d.answer).length;
  const adaptedCorrect = detail.filter((d) => d.adapted === d.answer).length;
  const improvement = perplexityImprovementPct(pBase.perplexity, pAdapted.perplexity);
  const retention = retentionPct(baseCorrect, adaptedCorrect);

  const scenarios = SCENARIOS.slice(0, settings.scenarioCount);
  const brandIds = new Set(scenarios.slice(0, settings.brandVoiceSample).map((sc) => sc.id));
  const reviewItems: Prisma.ReviewItemCreateManyInput[] = scenarios.map((sc, position) => ({
    runId,
    position,
    scenarioId: sc.id,
    prompt: sc.message,
    baseResponse: responses.base[position].trim(),
    adaptedResponse: responses.adapted[position].trim(),
    // Drawn per item and kept on the server: reviewers cannot learn which side is which.
    adaptedIsA: randomInt(2) === 1,
    criteria: [...EMOTIONAL_INTELLIGENCE_CRITERIA, ...(brandIds.has(sc.id) ? BRAND_VOICE_CRITERIA : [])].map((c) => c.id),
  }));

  const details: RunDetails = {
    knowledge: { questions: detail, byCategory },
    perplexity: { baseLoss: pBase.loss, adaptedLoss: pAdapted.loss, tokens: pAdapted.tokens },
    timings,
  };
  return {
    results: {
      heldOutConversations: pAdapted.conversations,
      perplexityBase: pBase.perplexity,
      perplexityAdapted: pAdapted.perplexity,
      perplexityImprovementPct: improvement,
      perplexityPassed: improvement >= settings.perplexityPassMarkPct,
      knowledgeQuestions: questions.length,
      knowledgeBaseCorrect: baseCorrect,
      knowledgeAdaptedCorrect: adaptedCorrect,
      retentionPct: retention,
      retentionAlert: retention < settings.retentionAlertPct,
      details: details as Prisma.InputJsonValue,
    },
    reviewItems,
  };
}

/** One line for the job's event log and the alert. */
export function resultSentence(r: {
  perplexityBase: number;
  perplexityAdapted: number;
  perplexityImprovementPct: number;
  perplexityPassed: boolean;
  retentionPct: number;
  knowledgeBaseCorrect: number;
  knowledgeAdaptedCorrect: number;
}) {
  return (
    `Perplexity ${r.perplexityBase.toFixed(1)} → ${r.perplexityAdapted.toFixed(1)} (${r.perplexityImprovementPct.toFixed(0)}% improvement) ${r.perplexityPassed ? "✓" : "✗"}; ` +
    `knowledge retention ${r.retentionPct.toFixed(0)}% (${r.knowledgeAdaptedCorrect} vs ${r.knowledgeBaseCorrect} correct)`
  );
}
