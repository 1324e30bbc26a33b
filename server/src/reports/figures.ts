import { barChart, lineChart } from "./charts.js";
import type { ValidationReport } from "./report.js";

const CURVE_LABELS: Record<string, string> = { train_loss: "Training loss", val_loss: "Validation loss" };
const pct = (v: number) => `${v.toFixed(0)}%`;

/** The report's charts, as SVG: the same in the PDF and on the shared page. */
export function figures(r: ValidationReport): { title: string; svg: string }[] {
  const out: { title: string; svg: string }[] = [];
  if (r.curves.length) {
    out.push({
      title: "Training curves",
      svg: lineChart(
        "Loss during training",
        r.curves.map((c) => ({ name: c.name, label: CURVE_LABELS[c.name] ?? c.name, points: c.points })),
      ),
    });
  }
  if (r.perplexity) {
    out.push({
      title: "Perplexity",
      svg: barChart(
        "Perplexity on held-out conversations (lower is better)",
        [{ label: "Held-out conversations", base: r.perplexity.base, adapted: r.perplexity.adapted }],
        { height: 180 },
      ),
    });
  }
  if (r.knowledge) {
    const groups = r.knowledge.byCategory.map((c) => ({
      label: c.category,
      base: (100 * c.baseCorrect) / c.total,
      adapted: (100 * c.adaptedCorrect) / c.total,
    }));
    out.push({ title: "Knowledge", svg: barChart("Financial knowledge: questions answered correctly", groups, { max: 100, format: pct }) });
  }
  if (r.review.closedAt !== null) {
    const review = r.review;
    const bars = (criteria: typeof review.brandVoice.byCriterion) =>
      criteria.filter((c) => c.base !== null || c.adapted !== null).map((c) => ({ label: c.name, base: c.base, adapted: c.adapted }));
    out.push({
      title: "Emotional intelligence",
      svg: barChart("Emotional intelligence: reviewer scores (1–5)", bars(review.emotionalIntelligence.byCriterion), {
        max: 5,
        height: 180,
      }),
    });
    out.push({
      title: "Brand voice",
      svg: barChart("Brand voice: reviewer scores (1–5)", bars(review.brandVoice.byCriterion), { max: 5, height: 200 }),
    });
  }
  return out;
}
