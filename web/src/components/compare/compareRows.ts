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
  series: Record<string, { step: number; value: number }[]>;
};

export type CompareRow = {
  label: string;
  values: (number | string | null)[];
  format(value: number | string | null): string;
  /** "min": the lowest number is best; "differs": no best, but show where the runs differ. */
  mode: "min" | "differs" | "none";
};

const minOf = (points: { value: number }[] | undefined) => (points?.length ? Math.min(...points.map((p) => p.value)) : null);
const num = (value: number | string | null) => (typeof value === "number" ? formatMetric(value) : "—");
const text = (value: number | string | null) => (value == null || value === "" ? "—" : String(value));

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
  const rows: CompareRow[] = [
    { label: "Status", values: jobs.map((j) => humanize(j.status)), format: text, mode: "none" },
    { label: "Step", values: jobs.map((j) => (j.totalSteps ? `${j.currentStep} of ${j.totalSteps}` : j.currentStep)), format: text, mode: "none" },
    { label: "Latest training loss", values: jobs.map((j) => j.latestLoss ?? null), format: num, mode: "min" },
    { label: "Latest validation loss", values: jobs.map((j) => j.latestValLoss ?? null), format: num, mode: "min" },
    { label: "Best validation loss", values: jobs.map((j) => minOf(j.series.val_loss)), format: num, mode: "min" },
    { label: "Perplexity", values: jobs.map((j) => j.latestPerplexity ?? null), format: num, mode: "min" },
    { label: "Cost", values: jobs.map((j) => j.actualCostUsd), format: (v) => (typeof v === "number" ? formatUsd(v) : "—"), mode: "min" },
    {
      label: "Duration",
      values: jobs.map((j) => j.actualDurationSec ?? (j.billableSeconds || null)),
      format: (v) => (typeof v === "number" ? formatDuration(v) : "—"),
      mode: "min",
    },
    { label: "Preset", values: jobs.map((j) => humanize(j.preset)), format: text, mode: "differs" },
    { label: "GPU", values: jobs.map((j) => j.gpuType), format: text, mode: "differs" },
    { label: "Pricing", values: jobs.map((j) => (j.pricingTier === "SPOT" ? "Spot" : "On-demand")), format: text, mode: "differs" },
  ];
  for (const [key, label] of HYPERPARAMETERS) {
    const values = jobs.map((j) => {
      const value = config(j)[key];
      return Array.isArray(value) ? value.join(", ") : typeof value === "number" || typeof value === "string" ? value : null;
    });
    if (values.some((v) => v != null)) rows.push({ label, values, format: (v) => (typeof v === "number" ? formatMetric(v) : text(v)), mode: "differs" });
  }
  return rows;
}

/** Which cells to highlight: the best (lowest) value of a "min" row, the differing values of a "differs" row. */
export function highlighted(row: CompareRow): boolean[] {
  if (row.mode === "min") {
    const numbers = row.values.filter((v): v is number => typeof v === "number");
    if (numbers.length < 2) return row.values.map(() => false);
    const best = Math.min(...numbers);
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
  const lines = [header, ["Job id", ...jobs.map((j) => j.id)], ...rows.map((r) => [r.label, ...r.values.map((v) => (v == null ? "" : String(v)))])];
  return lines.map((line) => line.map(csvCell).join(",")).join("\r\n") + "\r\n";
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
