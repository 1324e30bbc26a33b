// The numbers of a validation report, as plain functions of what was measured.
import { ALL_CRITERIA, criterionById, FLAG_BELOW } from "./content/rubric.js";

/** ((base − adapted) / base) × 100: how much lower the adapted model's perplexity is on held-out chats. */
export function perplexityImprovementPct(base: number, adapted: number): number {
  return ((base - adapted) / base) * 100;
}

/**
 * Knowledge retention: adapted correct ÷ base correct × 100, the definition
 * the product specifies ("must score ≥95% of baseline"). Above 100 means the
 * adapted model answered more questions right. A base model that answers
 * nothing right has nothing to forget: 100.
 */
export function retentionPct(baseCorrect: number, adaptedCorrect: number): number {
  return baseCorrect === 0 ? 100 : (adaptedCorrect / baseCorrect) * 100;
}

export type Side = "A" | "B";
export type Which = "base" | "adapted";
export type ReviewItemLike = { id: string; scenarioId: string; adaptedIsA: boolean; criteria: string[] };
export type ReviewScoreLike = { itemId: string; reviewerId: string; side: string; criterion: string; score: number };

export const whichSide = (item: { adaptedIsA: boolean }, side: string): Which => ((side === "A") === item.adaptedIsA ? "adapted" : "base");

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const improvement = (base: number | null, adapted: number | null) => (base && adapted !== null ? ((adapted - base) / base) * 100 : null);

export type GroupSummary = {
  base: number | null;
  adapted: number | null;
  /** (adapted − base) / base × 100. */
  improvementPct: number | null;
  /** Adapted average as a share of the top score: 4.25/5 → 85%. */
  adaptedAlignmentPct: number | null;
  byCriterion: { criterion: string; name: string; base: number | null; adapted: number | null }[];
};

export type ReviewSummary = {
  items: number;
  /** Items with every criterion scored on both sides by at least one reviewer. */
  completeItems: number;
  reviewers: number;
  scores: number;
  emotionalIntelligence: GroupSummary;
  brandVoice: GroupSummary;
  /** Every score under 3, with whose response it was. */
  flags: { itemId: string; scenarioId: string; which: Which; criterion: string; score: number; reviewerId: string }[];
};

/** Averages, improvements and flags over reviewers' scores, with A/B resolved to base/adapted. */
export function summarizeReview(items: ReviewItemLike[], scores: ReviewScoreLike[]): ReviewSummary {
  const byId = new Map(items.map((i) => [i.id, i]));
  const resolved = scores
    .filter((s) => byId.has(s.itemId))
    .map((s) => ({ ...s, item: byId.get(s.itemId)!, which: whichSide(byId.get(s.itemId)!, s.side) }));
  const group = (g: "emotional_intelligence" | "brand_voice"): GroupSummary => {
    const inGroup = resolved.filter((s) => criterionById.get(s.criterion)?.group === g);
    const avg = (which: Which, criterion?: string) =>
      mean(inGroup.filter((s) => s.which === which && (!criterion || s.criterion === criterion)).map((s) => s.score));
    const base = avg("base");
    const adapted = avg("adapted");
    return {
      base,
      adapted,
      improvementPct: improvement(base, adapted),
      adaptedAlignmentPct: adapted === null ? null : (adapted / 5) * 100,
      byCriterion: ALL_CRITERIA.filter((c) => c.group === g).map((c) => ({
        criterion: c.id,
        name: c.name,
        base: avg("base", c.id),
        adapted: avg("adapted", c.id),
      })),
    };
  };
  const scored = new Set(resolved.map((s) => `${s.itemId}|${s.side}|${s.criterion}`));
  const completeItems = items.filter((i) => i.criteria.every((c) => scored.has(`${i.id}|A|${c}`) && scored.has(`${i.id}|B|${c}`))).length;
  return {
    items: items.length,
    completeItems,
    reviewers: new Set(resolved.map((s) => s.reviewerId)).size,
    scores: resolved.length,
    emotionalIntelligence: group("emotional_intelligence"),
    brandVoice: group("brand_voice"),
    flags: resolved
      .filter((s) => s.score < FLAG_BELOW)
      .map((s) => ({
        itemId: s.itemId,
        scenarioId: s.item.scenarioId,
        which: s.which,
        criterion: s.criterion,
        score: s.score,
        reviewerId: s.reviewerId,
      })),
  };
}
