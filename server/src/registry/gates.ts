// Quality gates: what a model version must show before it may be deployed.
// Thresholds are the organization's (QualitySettings); a null threshold is not checked.
export type Benchmarks = {
  validationRunId: string | null;
  perplexityBase: number | null;
  perplexityAdapted: number | null;
  perplexityImprovementPct: number | null;
  knowledgeBaseCorrect: number | null;
  knowledgeAdaptedCorrect: number | null;
  retentionPct: number | null;
  /** Human review, once closed: emotional-intelligence improvement and brand-voice alignment of the adapted model. */
  reviewImprovementPct: number | null;
  brandVoicePct: number | null;
};

export type GateThresholds = {
  gateMinPerplexityImprovementPct: number | null;
  gateMinRetentionPct: number | null;
  gateMinReviewImprovementPct: number | null;
  gateMinBrandVoicePct: number | null;
  gateRequireApproval: boolean;
};

export type GateResult = { gate: string; threshold: number | null; actual: number | null; passed: boolean; message: string };

const pct = (x: number) => `${x.toFixed(1)}%`;

export function evaluateGates(t: GateThresholds, b: Benchmarks, approved: boolean): GateResult[] {
  const minimum = (gate: string, label: string, threshold: number | null, actual: number | null): GateResult[] => {
    if (threshold === null) return [];
    if (actual === null) return [{ gate, threshold, actual, passed: false, message: `${label}: not measured (needs ${pct(threshold)})` }];
    const passed = actual >= threshold;
    return [
      {
        gate,
        threshold,
        actual,
        passed,
        message: `${label} ${pct(actual)} ${passed ? "meets" : "is below"} the ${pct(threshold)} minimum`,
      },
    ];
  };
  return [
    ...minimum("perplexity_improvement", "Perplexity improvement", t.gateMinPerplexityImprovementPct, b.perplexityImprovementPct),
    ...minimum("knowledge_retention", "Knowledge retention", t.gateMinRetentionPct, b.retentionPct),
    ...minimum("review_improvement", "Human-review improvement", t.gateMinReviewImprovementPct, b.reviewImprovementPct),
    ...minimum("brand_voice", "Brand-voice alignment", t.gateMinBrandVoicePct, b.brandVoicePct),
    ...(t.gateRequireApproval
      ? [
          {
            gate: "qa_approval",
            threshold: null,
            actual: null,
            passed: approved,
            message: approved ? "Approved by QA" : "Not approved by QA yet",
          },
        ]
      : []),
  ];
}
