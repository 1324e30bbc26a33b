import { describe, expect, it } from "vitest";
import { compareRows, highlighted, toCsv, toJson, toPdfRequest, type ComparedJob } from "./compareRows";

const job = (over: Partial<ComparedJob>): ComparedJob => ({
  id: "j",
  name: "run",
  status: "COMPLETED",
  preset: "BALANCED",
  gpuType: "H100_PCIE_80GB",
  pricingTier: "SPOT",
  config: { rank: 16, learningRate: 2e-4, targetModules: ["q_proj", "v_proj"] },
  currentStep: 30,
  totalSteps: 30,
  latestLoss: 1,
  latestValLoss: 1.2,
  latestPerplexity: 3.3,
  actualCostUsd: 2,
  actualDurationSec: 100,
  billableSeconds: 100,
  series: {
    val_loss: [
      { step: 1, value: 2 },
      { step: 2, value: 1.1 },
      { step: 3, value: 1.2 },
    ],
  },
  ...over,
});

describe("compareRows", () => {
  const jobs = [
    job({ id: "a", name: "A" }),
    job({ id: "b", name: '=HYPERLINK("x")', latestLoss: 0.8, actualCostUsd: 3, config: { rank: 8, learningRate: 2e-4 } }),
  ];
  const rows = compareRows(jobs);
  const row = (label: string) => rows.find((r) => r.label === label)!;

  it("ranks results (lowest is best) and marks differing settings", () => {
    expect(highlighted(row("Latest training loss"))).toEqual([false, true]);
    expect(highlighted(row("Cost"))).toEqual([true, false]);
    expect(row("Best validation loss").values).toEqual([1.1, 1.1]);
    expect(highlighted(row("Best validation loss"))).toEqual([true, true]);
    expect(highlighted(row("LoRA rank"))).toEqual([true, true]);
    expect(highlighted(row("Learning rate"))).toEqual([false, false]);
    expect(row("Target modules").values).toEqual(["q_proj, v_proj", null]);
    expect(highlighted(row("Step"))).toEqual([false, false]);
    expect(row("Step").format(row("Step").values[0])).toBe("30 of 30");
  });

  it("does not rank a row with fewer than two values", () => {
    const single = compareRows([job({ latestPerplexity: null }), job({ latestPerplexity: 2 })]);
    expect(highlighted(single.find((r) => r.label === "Perplexity")!)).toEqual([false, false]);
  });

  it("exports CSV with formulas defused, and JSON with series and config", () => {
    const csv = toCsv(jobs, rows);
    expect(csv.split("\r\n")[0]).toBe(`"","A","'=HYPERLINK(""x"")"`);
    expect(csv).toContain(`"Latest training loss","1","0.8"`);
    const json = toJson(jobs, rows);
    expect(json.jobs[1].table.Cost).toBe(3);
    expect(json.jobs[0].series.val_loss).toHaveLength(3);
  });
});

describe("compareRows with validation scores and estimates", () => {
  const validation = (ppl: number, retention: number, ei: number, bv: number) => ({
    perplexityImprovementPct: ppl,
    retentionPct: retention,
    reviewResults: {
      emotionalIntelligence: { base: 3.2, adapted: ei, improvementPct: ((ei - 3.2) / 3.2) * 100 },
      brandVoice: { adapted: (bv / 100) * 5, adaptedAlignmentPct: bv },
    },
  });
  const jobs = [
    job({ id: "a", name: "A", estimatedCostUsd: 2.5, estimatedDurationSec: 80, latestValidation: validation(31, 97, 4.5, 88) }),
    job({
      id: "b",
      name: "B",
      actualCostUsd: 3,
      estimatedCostUsd: 2,
      estimatedDurationSec: 120,
      latestValidation: validation(22, 99, 4.1, 80),
    }),
  ];
  const rows = compareRows(jobs);
  const row = (label: string) => rows.find((r) => r.label === label)!;

  it("ranks validation scores (highest is best) in their own section", () => {
    expect(row("Perplexity improvement")).toMatchObject({ section: "Validation", values: [31, 22] });
    expect(highlighted(row("Perplexity improvement"))).toEqual([true, false]);
    expect(highlighted(row("Knowledge retention"))).toEqual([false, true]);
    expect(highlighted(row("Emotional intelligence, fine-tuned (1–5)"))).toEqual([true, false]);
    expect(row("Brand voice alignment").format(88)).toBe("88%");
    expect(row("Emotional intelligence improvement").values[0]).toBeCloseTo(40.6, 1);
  });

  it("sets estimates beside actual cost and duration", () => {
    expect(row("Estimated cost")).toMatchObject({ section: "Cost and time", values: [2.5, 2] });
    expect(row("Cost vs estimate").values).toEqual([-20, 50]);
    expect(row("Cost vs estimate").format(-20)).toBe("−20%");
    expect(row("Duration vs estimate").values[0]).toBeCloseTo(25);
    expect(row("Duration vs estimate").format(25)).toBe("+25%");
  });

  it("leaves the validation section out when no run was validated, and sends the rows as shown for the PDF", () => {
    expect(compareRows([job({ id: "x" }), job({ id: "y" })]).some((r) => r.section === "Validation")).toBe(false);
    const request = toPdfRequest(jobs, rows);
    expect(request.jobIds).toEqual(["a", "b"]);
    expect(request.rows.find((r) => r.label === "Perplexity improvement")).toEqual({
      label: "Perplexity improvement",
      section: "Validation",
      cells: ["31%", "22%"],
      best: [true, false],
    });
    expect(request.rows.find((r) => r.label === "Preset")!.best).toBeNull();
  });
});
