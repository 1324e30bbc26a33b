import { formatDuration, formatMetric, formatUsd, humanize } from "../../format";

// The side-by-side table of a comparison, as data: the page renders it, and
// the CSV and JSON exports write the same rows.

export type ComparedJob = {
  id: string;
  name: string;
  status: string;
  preset: string;
  gpuType: string;
  pricingTier: string;
  config: unknown;
  currentStep: number;
  totalSteps?: number | null;
  latestLoss?: number | null;
  latestValLoss?: number | null;
  latestPerplexity?: number | null;
  actualCostUsd: number;
  actualDurationSec?: number | null;
  billableSeconds: number;
  estimatedCostUsd?: number | null;
  estimatedDurationSec?: number | null;
  latestValidation?: {
    perplexityImprovementPct?: number | null;
    retentionPct?: number | null;
    reviewResults?: {
      emotionalIntelligence: { base?: number | null; adapted?: number | null; improvementPct?: number | null };
      brandVoice: { adapted?: number | null; adaptedAlignmentPct?: number | null };
    } | null;
  } | null;
  series: Record<string, { step: number; value: number }[]>;
};

export type CompareRow = {
  label: string;
  values: (number | string | null)[];
  format(value: number | string | null): string;
  /** "min" / "max": the lowest / highest number is best; "differs": no best, but show where the runs differ. */
  mode: "min" | "max" | "differs" | "none";
  /** The group the row belongs to (results, validation, cost and time, settings). */
  section: string;
};

const minOf = (points: { value: number }[] | undefined) => (points?.length ? Math.min(...points.map((p) => p.value)) : null);
const num = (value: number | string | null) => (typeof value === "number" ? formatMetric(value) : "—");
const text = (value: number | string | null) => (value == null || value === "" ? "—" : String(value));
const pct = (value: number | string | null) => (typeof value === "number" ? `${value.toFixed(0)}%` : "—");
const signedPct = (value: number | string | null) =>
  typeof value === "number" ? `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(0)}%` : "—";
const usd = (value: number | string | null) => (typeof value === "number" ? formatUsd(value) : "—");
/** How far the actual figure is from its estimate, in percent of the estimate; null while either is unknown. */
const variance = (actual: number | null, estimate: number | null | undefined) =>
  actual != null && estimate ? ((actual - estimate) / estimate) * 100 : null;

const HYPERPARAMETERS: [string, string][] = [
  ["rank", "LoRA rank"],
  ["alpha", "LoRA alpha"],
  ["learningRate", "Learning rate"],
  ["epochs", "Epochs"],
  ["batchSize", "Batch size"],
  ["maxSeqLength", "Max sequence length"],
  ["dropout", "Dropout"],
  ["warmupRatio", "Warm-up ratio"],
  ["weightDecay", "Weight decay"],
  ["targetModules", "Target modules"],
  ["seed", "Seed"],
];

export function compareRows(jobs: ComparedJob[]): CompareRow[] {
  const config = (job: ComparedJob) => (job.config ?? {}) as Record<string, unknown>;
  const results: Omit<CompareRow, "section">[] = [
    { label: "Status", values: jobs.map((j) => humanize(j.status)), format: text, mode: "none" },
    {
      label: "Step",
      values: jobs.map((j) => (j.totalSteps ? `${j.currentStep} of ${j.totalSteps}` : j.currentStep)),
      format: text,
      mode: "none",
    },
    { label: "Latest training loss", values: jobs.map((j) => j.latestLoss ?? null), format: num, mode: "min" },
    { label: "Latest validation loss", values: jobs.map((j) => j.latestValLoss ?? null), format: num, mode: "min" },
    { label: "Best validation loss", values: jobs.map((j) => minOf(j.series.val_loss)), format: num, mode: "min" },
    { label: "Perplexity", values: jobs.map((j) => j.latestPerplexity ?? null), format: num, mode: "min" },
  ];
  const validation = jobs.map((j) => j.latestValidation ?? null);
  const review = validation.map((v) => v?.reviewResults ?? null);
  const validated: Omit<CompareRow, "section">[] = validation.some(Boolean)
    ? [
        { label: "Perplexity improvement", values: validation.map((v) => v?.perplexityImprovementPct ?? null), format: pct, mode: "max" },
        { label: "Knowledge retention", values: validation.map((v) => v?.retentionPct ?? null), format: pct, mode: "max" },
        {
          label: "Emotional intelligence, base (1–5)",
          values: review.map((r) => r?.emotionalIntelligence.base ?? null),
          format: num,
          mode: "none",
        },
        {
          label: "Emotional intelligence, fine-tuned (1–5)",
          values: review.map((r) => r?.emotionalIntelligence.adapted ?? null),
          format: num,
          mode: "max",
        },
        {
          label: "Emotional intelligence improvement",
          values: review.map((r) => r?.emotionalIntelligence.improvementPct ?? null),
          format: pct,
          mode: "max",
        },
        { label: "Brand voice alignment", values: review.map((r) => r?.brandVoice.adaptedAlignmentPct ?? null), format: pct, mode: "max" },
      ]
    : [];
  const costAndTime: Omit<CompareRow, "section">[] = [
    { label: "Cost", values: jobs.map((j) => j.actualCostUsd), format: usd, mode: "min" },
    { label: "Estimated cost", values: jobs.map((j) => j.estimatedCostUsd ?? null), format: usd, mode: "none" },
    { label: "Cost vs estimate", values: jobs.map((j) => variance(j.actualCostUsd, j.estimatedCostUsd)), format: signedPct, mode: "none" },
    {
      label: "Duration",
      values: jobs.map((j) => j.actualDurationSec ?? (j.billableSeconds || null)),
      format: (v) => (typeof v === "number" ? formatDuration(v) : "—"),
      mode: "min",
    },
    {
      label: "Estimated duration",
      values: jobs.map((j) => j.estimatedDurationSec ?? null),
      format: (v) => (typeof v === "number" ? formatDuration(v) : "—"),
      mode: "none",
    },
    {
      label: "Duration vs estimate",
      values: jobs.map((j) => variance(j.actualDurationSec ?? null, j.estimatedDurationSec)),
      format: signedPct,
      mode: "none",
    },
  ];
  const settings: Omit<CompareRow, "section">[] = [
    { label: "Preset", values: jobs.map((j) => humanize(j.preset)), format: text, mode: "differs" },
    { label: "GPU", values: jobs.map((j) => j.gpuType), format: text, mode: "differs" },
    { label: "Pricing", values: jobs.map((j) => (j.pricingTier === "SPOT" ? "Spot" : "On-demand")), format: text, mode: "differs" },
  ];
  for (const [key, label] of HYPERPARAMETERS) {
    const values = jobs.map((j) => {
      const value = config(j)[key];
      return Array.isArray(value) ? value.join(", ") : typeof value === "number" || typeof value === "string" ? value : null;
    });
    if (values.some((v) => v != null))
      settings.push({ label, values, format: (v) => (typeof v === "number" ? formatMetric(v) : text(v)), mode: "differs" });
  }
  const inSection = (section: string, rows: Omit<CompareRow, "section">[]) => rows.map((row) => ({ ...row, section }));
  return [
    ...inSection("Results", results),
    ...inSection("Validation", validated),
    ...inSection("Cost and time", costAndTime),
    ...inSection("Settings", settings),
  ];
}

/** Which cells to highlight: the best (lowest) value of a "min" row, the differing values of a "differs" row. */
export function highlighted(row: CompareRow): boolean[] {
  if (row.mode === "min" || row.mode === "max") {
    const numbers = row.values.filter((v): v is number => typeof v === "number");
    if (numbers.length < 2) return row.values.map(() => false);
    const best = row.mode === "min" ? Math.min(...numbers) : Math.max(...numbers);
    return row.values.map((v) => v === best);
  }
  if (row.mode === "differs") {
    const distinct = new Set(row.values.map((v) => JSON.stringify(v)));
    return row.values.map(() => distinct.size > 1);
  }
  return row.values.map(() => false);
}

/** A CSV cell, quoted, and defused if a spreadsheet would read it as a formula. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function toCsv(jobs: ComparedJob[], rows: CompareRow[]): string {
  const header = ["", ...jobs.map((j) => j.name)];
  const lines = [
    header,
    ["Job id", ...jobs.map((j) => j.id)],
    ...rows.map((r) => [r.label, ...r.values.map((v) => (v == null ? "" : String(v)))]),
  ];
  return `${lines.map((line) => line.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

export function toJson(jobs: ComparedJob[], rows: CompareRow[]) {
  return {
    exportedAt: new Date().toISOString(),
    jobs: jobs.map((job, i) => ({
      id: job.id,
      name: job.name,
      table: Object.fromEntries(rows.map((r) => [r.label, r.values[i]])),
      config: job.config,
      series: job.series,
    })),
  };
}

/** What the server's comparison PDF is made from (POST /api/compare/report.pdf): the rows as the page shows them. */
export function toPdfRequest(jobs: ComparedJob[], rows: CompareRow[]) {
  return {
    jobIds: jobs.map((j) => j.id),
    rows: rows.map((row) => ({
      label: row.label,
      section: row.section,
      cells: row.values.map((v) => row.format(v)),
      best: row.mode === "min" || row.mode === "max" ? highlighted(row) : null,
    })),
  };
}
