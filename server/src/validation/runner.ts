// Executes one validation run: the real base model and the job's real adapter,
// evaluated in the engine's worker thread, the results stored in one transaction.
import { randomInt } from "node:crypto";
import type { AppServices } from "../context.js";
import type { Prisma } from "../generated/sqlite/client.js";
import { readDatasetChats } from "../datasets/service.js";
import { engineFor } from "../serving/engineHost.js";
import { adapterDir } from "../serving/adapterFiles.js";
import type { Chat, GenerationSettings, ModelRef } from "../serving/engineProtocol.js";
import { KNOWLEDGE_QUESTIONS, type KnowledgeCategory } from "./content/knowledgeQuestions.js";
import { SCENARIOS, SCENARIO_SYSTEM_PROMPT } from "./content/scenarios.js";
import { BRAND_VOICE_CRITERIA, EMOTIONAL_INTELLIGENCE_CRITERIA } from "./content/rubric.js";
import { perplexityImprovementPct, retentionPct } from "./metrics.js";

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
  /** How review answers are sampled; their seed is secret (drawn per run, never stored). */
  generation: Omit<GenerationSettings, "seed">;
};

export type KnowledgeDetail = { id: string; category: KnowledgeCategory; answer: number; base: number; adapted: number };
export type RunDetails = {
  knowledge?: { questions: KnowledgeDetail[]; byCategory: Record<string, { total: number; baseCorrect: number; adaptedCorrect: number }> };
  perplexity?: { baseLoss: number; adaptedLoss: number; tokens: number };
  timings?: Record<string, number>;
};

const CHUNK = { questions: 25, prompts: 5 };

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

export type Progress = (stage: string, progress: number) => Promise<void>;

/** Runs the evaluations; returns what to store. Throws when the engine fails. */
export async function evaluateRun(services: AppServices, run: { id: string; jobId: string; settings: RunSettings }, progress: Progress) {
  const s = run.settings;
  const job = await services.db.trainingJob.findUniqueOrThrow({ where: { id: run.jobId }, include: { dataset: true } });
  const engine = engineFor(services.config, "validation");
  const queue = { owner: job.orgId };
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>) => {
    const started = performance.now();
    const result = await f();
    timings[name] = Math.round(performance.now() - started);
    return result;
  };

  await progress("preparing held-out conversations", 0.02);
  const chats = (await readDatasetChats(services, job.dataset)) as Chat[];
  const heldOutIndices = await engine.run({ kind: "heldOut", conversations: chats.length, fraction: s.validationFraction, seed: s.seed }, queue);
  const heldOut = heldOutIndices.map((i) => chats[i]);
  const base: ModelRef = { baseModel: s.baseModel, adapterDir: null };
  const adapted: ModelRef = { baseModel: s.baseModel, adapterDir: await adapterDir(services, job.id) };

  await progress("perplexity of the base model", 0.05);
  const pBase = await timed("perplexityBase", () => engine.run({ kind: "perplexity", model: base, chats: heldOut, maxSeqLength: s.maxSeqLength }, queue));
  await progress("perplexity of the adapted model", 0.1);
  const pAdapted = await timed("perplexityAdapted", () => engine.run({ kind: "perplexity", model: adapted, chats: heldOut, maxSeqLength: s.maxSeqLength }, queue));

  const questions = KNOWLEDGE_QUESTIONS.slice(0, s.questionCount);
  const choices: Record<"base" | "adapted", number[]> = { base: [], adapted: [] };
  const questionChunks = chunks(questions, CHUNK.questions);
  for (const [which, model] of [["base", base], ["adapted", adapted]] as const) {
    for (const [i, part] of questionChunks.entries()) {
      await progress(`knowledge questions, ${which} model`, 0.15 + (which === "adapted" ? 0.15 : 0) + (0.15 * i) / questionChunks.length);
      const results = await timed(`knowledge_${which}_${i}`, () => engine.run({ kind: "multipleChoice", model, items: part.map((q) => ({ question: q.question, options: q.options })) }, queue));
      choices[which].push(...results.map((r) => r.best));
    }
  }

  const scenarios = SCENARIOS.slice(0, s.scenarioCount);
  // The review answers are sampled with a seed drawn here and kept nowhere: the
  // playground cannot reproduce them, so nobody can tell which side is the adapter.
  const reviewSeed = randomInt(2 ** 31);
  const responses: Record<"base" | "adapted", string[]> = { base: [], adapted: [] };
  const promptChunks = chunks(scenarios, CHUNK.prompts);
  for (const [which, model] of [["base", base], ["adapted", adapted]] as const) {
    for (const [i, part] of promptChunks.entries()) {
      await progress(`scenario responses, ${which} model`, 0.45 + (which === "adapted" ? 0.25 : 0) + (0.25 * i) / promptChunks.length);
      const prompts = part.map((sc) => ({ messages: [{ role: "system" as const, content: SCENARIO_SYSTEM_PROMPT }, { role: "user" as const, content: sc.message }] }));
      const results = await timed(`scenarios_${which}_${i}`, () => engine.run({ kind: "generate", model, prompts, settings: { ...s.generation, seed: reviewSeed } }, queue));
      responses[which].push(...results.map((r) => r.text.trim()));
    }
  }

  const detail: KnowledgeDetail[] = questions.map((q, i) => ({ id: q.id, category: q.category, answer: q.answer, base: choices.base[i], adapted: choices.adapted[i] }));
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

  const brandIds = new Set(scenarios.slice(0, s.brandVoiceSample).map((sc) => sc.id));
  const reviewItems: Prisma.ReviewItemCreateManyInput[] = scenarios.map((sc, position) => ({
    runId: run.id,
    position,
    scenarioId: sc.id,
    prompt: sc.message,
    baseResponse: responses.base[position],
    adaptedResponse: responses.adapted[position],
    // Drawn per item and kept on the server: reviewers cannot learn which side is which.
    adaptedIsA: randomInt(2) === 1,
    criteria: [...EMOTIONAL_INTELLIGENCE_CRITERIA, ...(brandIds.has(sc.id) ? BRAND_VOICE_CRITERIA : [])].map((c) => c.id),
  }));

  const details: RunDetails = { knowledge: { questions: detail, byCategory }, perplexity: { baseLoss: pBase.loss, adaptedLoss: pAdapted.loss, tokens: pAdapted.tokens }, timings };
  return {
    results: {
      heldOutConversations: heldOut.length,
      perplexityBase: pBase.perplexity,
      perplexityAdapted: pAdapted.perplexity,
      perplexityImprovementPct: improvement,
      perplexityPassed: improvement >= s.perplexityPassMarkPct,
      knowledgeQuestions: questions.length,
      knowledgeBaseCorrect: baseCorrect,
      knowledgeAdaptedCorrect: adaptedCorrect,
      retentionPct: retention,
      retentionAlert: retention < s.retentionAlertPct,
      details: details as Prisma.InputJsonValue,
    },
    reviewItems,
  };
}

/** One line for the job's event log and the alert. */
export function resultSentence(r: { perplexityBase: number; perplexityAdapted: number; perplexityImprovementPct: number; perplexityPassed: boolean; retentionPct: number; knowledgeBaseCorrect: number; knowledgeAdaptedCorrect: number }) {
  return (
    `Perplexity ${r.perplexityBase.toFixed(1)} → ${r.perplexityAdapted.toFixed(1)} (${r.perplexityImprovementPct.toFixed(0)}% improvement) ${r.perplexityPassed ? "✓" : "✗"}; ` +
    `knowledge retention ${r.retentionPct.toFixed(0)}% (${r.knowledgeAdaptedCorrect} vs ${r.knowledgeBaseCorrect} correct)`
  );
}

