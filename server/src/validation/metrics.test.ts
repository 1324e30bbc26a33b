import { describe, expect, it } from "vitest";
import { perplexityImprovementPct, retentionPct, summarizeReview } from "./metrics.js";
import { KNOWLEDGE_QUESTIONS } from "./content/knowledgeQuestions.js";
import { SCENARIOS } from "./content/scenarios.js";
import { BRAND_VOICE_CRITERIA, EMOTIONAL_INTELLIGENCE_CRITERIA } from "./content/rubric.js";

describe("validation metrics", () => {
  it("perplexity improvement is the relative drop", () => {
    expect(perplexityImprovementPct(24.5, 16.8)).toBeCloseTo(31.43, 2);
    expect(perplexityImprovementPct(10, 12)).toBeCloseTo(-20, 6);
  });

  it("retention is adapted correct over base correct, 100 when the base knew nothing", () => {
    expect(retentionPct(85, 81)).toBeCloseTo(95.29, 2);
    expect(retentionPct(40, 44)).toBeCloseTo(110, 6);
    expect(retentionPct(0, 3)).toBe(100);
  });

  it("review summary resolves A/B to base/adapted, averages per group and criterion, and flags scores under 3", () => {
    const ei = ["empathy", "clarity", "appropriateness"];
    const items = [
      { id: "i1", scenarioId: "ei-01", adaptedIsA: true, criteria: [...ei, "warmth"] },
      { id: "i2", scenarioId: "ei-02", adaptedIsA: false, criteria: ei },
    ];
    const s = (itemId: string, reviewerId: string, side: string, criterion: string, score: number) => ({
      itemId,
      reviewerId,
      side,
      criterion,
      score,
    });
    const scores = [
      // i1: A is adapted
      ...ei.map((c) => s("i1", "r1", "A", c, 5)),
      ...ei.map((c) => s("i1", "r1", "B", c, 3)),
      s("i1", "r1", "A", "warmth", 4),
      s("i1", "r1", "B", "warmth", 2),
      // i2: B is adapted; scored on empathy only so far
      s("i2", "r2", "B", "empathy", 4),
      s("i2", "r2", "A", "empathy", 1),
    ];
    const r = summarizeReview(items, scores);
    expect(r.reviewers).toBe(2);
    expect(r.completeItems).toBe(1);
    expect(r.emotionalIntelligence.adapted).toBeCloseTo((5 * 3 + 4) / 4, 6);
    expect(r.emotionalIntelligence.base).toBeCloseTo((3 * 3 + 1) / 4, 6);
    expect(r.emotionalIntelligence.improvementPct).toBeCloseTo(((4.75 - 2.5) / 2.5) * 100, 6);
    expect(r.emotionalIntelligence.byCriterion.find((c) => c.criterion === "empathy")).toMatchObject({ base: 2, adapted: 4.5 });
    expect(r.brandVoice).toMatchObject({ base: 2, adapted: 4, improvementPct: 100, adaptedAlignmentPct: 80 });
    expect(r.flags.map((f) => [f.itemId, f.which, f.criterion, f.score])).toEqual([
      ["i1", "base", "warmth", 2],
      ["i2", "base", "empathy", 1],
    ]);
  });
});

describe("shipped evaluation content", () => {
  it("has 100+ four-option questions across the four topics, each with one valid answer", () => {
    expect(KNOWLEDGE_QUESTIONS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(KNOWLEDGE_QUESTIONS.map((q) => q.id)).size).toBe(KNOWLEDGE_QUESTIONS.length);
    for (const q of KNOWLEDGE_QUESTIONS) {
      expect(q.options).toHaveLength(4);
      expect(new Set(q.options.map((o) => o.toLowerCase())).size).toBe(4);
      expect(q.answer).toBeGreaterThanOrEqual(0);
      expect(q.answer).toBeLessThan(4);
    }
    for (const c of ["taxes", "retirement", "investing", "insurance"])
      expect(KNOWLEDGE_QUESTIONS.filter((q) => q.category === c).length).toBeGreaterThanOrEqual(20);
    // The right answer sits in every position equally often.
    const positions = [0, 1, 2, 3].map((p) => KNOWLEDGE_QUESTIONS.filter((q) => q.answer === p).length);
    expect(Math.max(...positions) - Math.min(...positions)).toBeLessThanOrEqual(1);
  });

  it("has 50+ scenarios and a rubric of 3 emotional-intelligence criteria and 10 brand-voice characteristics", () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(SCENARIOS.map((s) => s.message)).size).toBe(SCENARIOS.length);
    expect(EMOTIONAL_INTELLIGENCE_CRITERIA).toHaveLength(3);
    expect(BRAND_VOICE_CRITERIA).toHaveLength(10);
  });
});
