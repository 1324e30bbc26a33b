// Before/after examples: scenarios of a validation run answered by the base and
// the fine-tuned model, read from the run's stored review answers (however a
// worker computed them), grouped by the kind of conversation a client cares about.
import type { AppServices } from "../context.js";
import { SCENARIOS, type ScenarioTheme } from "../validation/content/scenarios.js";

export const SCENARIO_TYPES = ["EMPATHY", "FINANCIAL_ADVICE", "EMOTIONAL_SUPPORT"] as const;
export type ScenarioType = (typeof SCENARIO_TYPES)[number];
export const SCENARIO_TYPE_LABELS: Record<ScenarioType, string> = {
  EMPATHY: "Empathy",
  FINANCIAL_ADVICE: "Financial advice",
  EMOTIONAL_SUPPORT: "Emotional support",
};

/** Each scenario theme belongs to one type: what the person needs most from the answer. */
const TYPE_OF_THEME: Record<ScenarioTheme, ScenarioType> = {
  shame: "EMPATHY",
  regret: "EMPATHY",
  anger: "EMPATHY",
  conflict: "EMPATHY",
  anxiety: "EMOTIONAL_SUPPORT",
  fear: "EMOTIONAL_SUPPORT",
  grief: "EMOTIONAL_SUPPORT",
  overwhelm: "EMOTIONAL_SUPPORT",
  excitement: "FINANCIAL_ADVICE",
  uncertainty: "FINANCIAL_ADVICE",
};
const themeOf = new Map(SCENARIOS.map((s) => [s.id, s.theme]));

/** The type of a stored scenario; scenarios outside the built-in suite count as financial advice. */
export const scenarioTypeOf = (scenarioId: string): ScenarioType => TYPE_OF_THEME[themeOf.get(scenarioId) ?? "uncertainty"];

/** How many before/after examples a report and its page show. */
export const BEFORE_AFTER_COUNT = 10;

export type Example = { scenarioId: string; scenarioType: ScenarioType; prompt: string; base: string; adapted: string };

/**
 * Up to ten examples, taken in turn from each scenario type (in the run's
 * order) so that all three show; with `type`, up to ten of that type.
 * Empty while the blind review is open: before that they would tell reviewers which side is which.
 */
export async function beforeAfterExamples(
  services: AppServices,
  run: { id: string; reviewClosedAt: Date | null },
  type?: ScenarioType | null,
): Promise<Example[]> {
  if (!run.reviewClosedAt) return [];
  const items = await services.db.reviewItem.findMany({
    where: { runId: run.id },
    orderBy: { position: "asc" },
    select: { scenarioId: true, prompt: true, baseResponse: true, adaptedResponse: true },
  });
  const all = items.map((i) => ({
    scenarioId: i.scenarioId,
    scenarioType: scenarioTypeOf(i.scenarioId),
    prompt: i.prompt,
    base: i.baseResponse,
    adapted: i.adaptedResponse,
  }));
  if (type) return all.filter((e) => e.scenarioType === type).slice(0, BEFORE_AFTER_COUNT);
  const queues = SCENARIO_TYPES.map((t) => all.filter((e) => e.scenarioType === t));
  const picked: Example[] = [];
  for (let round = 0; picked.length < BEFORE_AFTER_COUNT && queues.some((q) => q.length > round); round++) {
    for (const q of queues) if (q[round] && picked.length < BEFORE_AFTER_COUNT) picked.push(q[round]);
  }
  const order = new Map(all.map((e, i) => [e, i]));
  return picked.sort((a, b) => order.get(a)! - order.get(b)!);
}
