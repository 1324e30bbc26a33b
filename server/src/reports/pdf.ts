// The validation report as a PDF (pdfmake 0.2, server side): embedded Roboto,
// vector charts, an executive summary up front and the technical appendix last.
import { createRequire } from "node:module";
import PdfPrinter from "pdfmake";
import type { Content, TDocumentDefinitions, TableCell } from "pdfmake/interfaces";
import { figures } from "./figures.js";
import type { ValidationReport } from "./report.js";
import { ALL_CRITERIA } from "../validation/content/rubric.js";
import { SCENARIO_TYPE_LABELS, type ScenarioType } from "./beforeAfter.js";
import { costBenefitLines } from "./costBenefit.js";
import type { CustomReportData } from "./customReports.js";

const require = createRequire(import.meta.url);
// The fonts ship inside pdfmake as base64 (its browser build's virtual file system).
const vfs = require("pdfmake/build/vfs_fonts.js") as Record<string, string>;
const font = (name: string) => Buffer.from(vfs[name], "base64");
const printer = new PdfPrinter({
  Roboto: {
    normal: font("Roboto-Regular.ttf"),
    bold: font("Roboto-Medium.ttf"),
    italics: font("Roboto-Italic.ttf"),
    bolditalics: font("Roboto-MediumItalic.ttf"),
  },
});

const n = (x: number | null | undefined, digits = 1) => (x == null ? "—" : x.toFixed(digits));
const signed = (x: number | null | undefined) => (x == null ? "—" : `${x >= 0 ? "+" : "-"}${Math.abs(x).toFixed(0)}%`);
const criterionName = new Map(ALL_CRITERIA.map((c) => [c.id, c.name]));

function resultsTable(r: ValidationReport): Content {
  const head = ["Measure", "Base model", "Fine-tuned", "Change", "Target", "Result"].map((text) => ({ text, style: "th" }));
  const rows: TableCell[][] = [];
  if (r.perplexity) {
    const p = r.perplexity;
    rows.push([
      "Perplexity (held-out)",
      n(p.base),
      n(p.adapted),
      `${n(p.improvementPct, 0)}% lower`,
      `≥ ${n(p.passMarkPct, 0)}% lower`,
      p.passed ? "Pass" : "Below target",
    ]);
  }
  if (r.knowledge) {
    const k = r.knowledge;
    rows.push([
      `Knowledge (${k.questions} questions)`,
      `${k.baseCorrect} correct`,
      `${k.adaptedCorrect} correct`,
      `${n(k.retentionPct, 0)}% retained`,
      `≥ ${n(k.alertPct, 0)}%`,
      k.alert ? "Alert" : "Pass",
    ]);
  }
  if (r.review.closedAt !== null) {
    const ei = r.review.emotionalIntelligence;
    const bv = r.review.brandVoice;
    rows.push([
      "Emotional intelligence (1–5)",
      n(ei.base),
      n(ei.adapted),
      signed(ei.improvementPct),
      "≥ +40%",
      ei.improvementPct !== null && ei.improvementPct >= 40 ? "Pass" : "Below target",
    ]);
    rows.push([
      "Brand voice (1–5)",
      n(bv.base),
      n(bv.adapted),
      `${n(bv.adaptedAlignmentPct, 0)}% aligned`,
      "≥ 85%",
      bv.adaptedAlignmentPct !== null && bv.adaptedAlignmentPct >= 85 ? "Pass" : "Below target",
    ]);
  }
  if (rows.length === 0)
    return {
      text: r.run.status === "FAILED" ? `The validation failed: ${r.run.error}` : "The validation has not finished yet.",
      italics: true,
    };
  return {
    table: { headerRows: 1, widths: ["*", "auto", "auto", "auto", "auto", "auto"], body: [head, ...rows] },
    layout: "lightHorizontalLines",
    margin: [0, 4, 0, 10],
  };
}

function examples(list: { prompt: string; base: string; adapted: string; scenarioType?: ScenarioType }[]): Content[] {
  if (list.length === 0)
    return [{ text: "Before/after examples appear once the blind human review is closed.", italics: true, color: "#6b7280" }];
  return list.flatMap((e) => [
    {
      text: [
        { text: `“${e.prompt}”`, bold: true },
        e.scenarioType ? { text: `  ${SCENARIO_TYPE_LABELS[e.scenarioType]}`, color: "#6b7280" } : "",
      ],
      margin: [0, 8, 0, 4],
    },
    {
      table: {
        widths: ["*", "*"],
        body: [
          [
            { text: "Base model", style: "th" },
            { text: "Fine-tuned", style: "th" },
          ],
          [e.base || "(no answer)", e.adapted || "(no answer)"],
        ],
      },
      layout: "lightHorizontalLines",
    } as Content,
  ]);
}

function appendix(r: ValidationReport): Content[] {
  const s = r.run.settings;
  const c = r.job.config;
  const rows: [string, string][] = [
    ["Job", `${r.job.name} (${r.job.id})`],
    ["Dataset", `${r.job.dataset}: ${r.job.conversations} conversations`],
    ["Base model", s.baseModel],
    ["LoRA", `rank ${c.rank}, alpha ${c.alpha}, dropout ${c.dropout}, target modules ${c.targetModules.join(", ")}`],
    [
      "Training",
      `${c.epochs} epochs, learning rate ${c.learningRate}, batch ${c.batchSize}, max sequence ${c.maxSeqLength}, seed ${c.seed}`,
    ],
    [
      "Held-out set",
      `${r.run.heldOutConversations ?? "—"} conversations (${Math.round(s.validationFraction * 100)}%, the trainer's own split, seed ${s.seed})${r.perplexity?.tokens ? `, ${r.perplexity.tokens} scored tokens` : ""}`,
    ],
    ["Knowledge test", `${s.questionCount} four-option questions (taxes, retirement, investing, insurance)`],
    ["Scenarios", `${s.scenarioCount} emotional-intelligence scenarios; ${s.brandVoiceSample} also scored on the brand-voice rubric`],
    [
      "Generation",
      `${s.generation.temperature === 0 ? "greedy" : `temperature ${s.generation.temperature}`}, up to ${s.generation.maxNewTokens} new tokens`,
    ],
    ["Run", `${r.run.id}, finished ${r.run.finishedAt ?? "—"}`],
  ];
  const method = [
    "Perplexity: exp of the mean negative log-likelihood of the assistant tokens of the held-out conversations, for the base model and for the base model with the LoRA adapter. Improvement = (base − fine-tuned) ÷ base × 100.",
    "Knowledge retention: each question's four options are scored as the assistant's reply by their mean log-probability per token; the highest is the model's answer. Retention = fine-tuned correct ÷ base correct × 100 (100 when the base model answers none correctly).",
    "Human review: both models answer every scenario; reviewers score the two answers 1–5 per criterion without knowing which model wrote which (the order is drawn at random per scenario and kept on the server until the review closes). Improvement = (fine-tuned average − base average) ÷ base average × 100; brand-voice alignment = fine-tuned average ÷ 5; any score under 3 is flagged.",
  ];
  const out: Content[] = [
    { text: "Technical appendix", style: "h1", pageBreak: "before" },
    { text: "Method", style: "h2" },
    { ul: method, margin: [0, 0, 0, 8] },
    { text: "Settings", style: "h2" },
    { table: { widths: [100, "*"], body: rows.map(([k, v]) => [{ text: k, bold: true }, v]) }, layout: "lightHorizontalLines" },
  ];
  if (r.knowledge?.byCategory.length) {
    out.push({ text: "Knowledge by topic", style: "h2" });
    out.push({
      table: {
        headerRows: 1,
        widths: ["*", "auto", "auto", "auto"],
        body: [
          ["Topic", "Questions", "Base correct", "Fine-tuned correct"].map((text) => ({ text, style: "th" })),
          ...r.knowledge.byCategory.map((b) => [b.category, String(b.total), String(b.baseCorrect), String(b.adaptedCorrect)]),
        ],
      },
      layout: "lightHorizontalLines",
    });
  }
  if (r.knowledge?.forgotten.length) {
    out.push({ text: "Questions the base model answered correctly and the fine-tuned model did not", style: "h2" });
    out.push({
      ul: r.knowledge.forgotten.slice(0, 30).map((f) => `${f.question} — correct: ${f.correct}; fine-tuned answered: ${f.adaptedAnswer}`),
    });
  }
  if (r.review.closedAt !== null && r.review.flags.length) {
    out.push({ text: "Flagged scores (under 3)", style: "h2" });
    out.push({
      ul: r.review.flags
        .slice(0, 40)
        .map(
          (f) =>
            `${f.scenarioId}: ${f.which === "adapted" ? "fine-tuned" : "base"} model, ${criterionName.get(f.criterion) ?? f.criterion} ${f.score}/5`,
        ),
    });
  }
  return out;
}

export function reportDocument(r: ValidationReport): TDocumentDefinitions {
  return {
    info: { title: `Validation report: ${r.job.name}`, author: "Tuneloop" },
    pageMargins: [40, 48, 40, 48],
    footer: (page, pages) => ({
      text: `Tuneloop validation report · ${r.job.name} · page ${page} of ${pages}`,
      alignment: "center",
      fontSize: 8,
      color: "#6b7280",
    }),
    content: [
      { text: "Validation report", style: "title" },
      { text: r.job.name, style: "subtitle" },
      {
        text: [r.job.clientName ? `Prepared for ${r.job.clientName} · ` : "", `Generated ${r.generatedAt.slice(0, 10)}`].join(""),
        color: "#6b7280",
        margin: [0, 0, 0, 12],
      },
      { text: "Executive summary", style: "h1" },
      { ul: r.summary, margin: [0, 0, 0, 10] },
      { text: "Results", style: "h1" },
      resultsTable(r),
      ...figures(r).map((f): Content => ({ svg: f.svg, width: 480, margin: [0, 6, 0, 6] })),
      { text: "Before and after", style: "h1", margin: [0, 12, 0, 4] },
      ...examples(r.examples),
      { text: "Cost and benefit", style: "h1", margin: [0, 12, 0, 4] },
      { ul: costBenefitLines(r.costBenefit) },
      ...appendix(r),
    ],
    styles: STYLES,
    defaultStyle: DEFAULT_STYLE,
  };
}

/** A custom report: a prospect's prompts, both models' answers. */
export function customReportDocument(r: CustomReportData): TDocumentDefinitions {
  return {
    info: { title: r.title, author: "Tuneloop" },
    pageMargins: [40, 48, 40, 48],
    footer: (page, pages) => ({
      text: `Tuneloop custom report · ${r.title} · page ${page} of ${pages}`,
      alignment: "center",
      fontSize: 8,
      color: "#6b7280",
    }),
    content: [
      { text: "Custom report", style: "title" },
      { text: r.title, style: "subtitle" },
      {
        text: [r.prospectName ? `Prepared for ${r.prospectName} · ` : "", `Generated ${r.createdAt.slice(0, 10)}`].join(""),
        color: "#6b7280",
        margin: [0, 0, 0, 12],
      },
      { text: `Your prompts, answered by the base model ${r.baseModel} and by the model fine-tuned on our data (job “${r.job.name}”).` },
      { text: "Before and after", style: "h1", margin: [0, 12, 0, 4] },
      ...examples(r.items),
      {
        text: `Generation: ${r.settings.temperature === 0 ? "greedy" : `temperature ${r.settings.temperature}`}, up to ${r.settings.maxNewTokens} new tokens.`,
        color: "#6b7280",
        margin: [0, 12, 0, 0],
      },
    ],
    styles: STYLES,
    defaultStyle: DEFAULT_STYLE,
  };
}

const STYLES: TDocumentDefinitions["styles"] = {
  title: { fontSize: 22, bold: true },
  subtitle: { fontSize: 14, color: "#374151" },
  h1: { fontSize: 14, bold: true, margin: [0, 10, 0, 6] },
  h2: { fontSize: 11, bold: true, margin: [0, 10, 0, 4] },
  th: { bold: true, color: "#374151" },
};
const DEFAULT_STYLE: TDocumentDefinitions["defaultStyle"] = { font: "Roboto", fontSize: 10, lineHeight: 1.2 };

/** Renders the report to PDF bytes. */
export const renderReportPdf = (r: ValidationReport) => renderPdf(reportDocument(r));

export function renderPdf(definition: TDocumentDefinitions): Promise<Buffer> {
  const doc = printer.createPdfKitDocument(definition);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    doc.end();
  });
}
