// The shared report page: plain server-rendered HTML, no script, every model
// output escaped (it is untrusted text).
import { escapeXml as esc } from "./charts.js";
import { figures } from "./figures.js";
import type { ValidationReport } from "./report.js";
import { SCENARIO_TYPE_LABELS, SCENARIO_TYPES, type Example, type ScenarioType } from "./beforeAfter.js";
import { costBenefitLines } from "./costBenefit.js";
import type { CustomReportData } from "./customReports.js";

const n = (x: number | null | undefined, digits = 1) => (x == null ? "—" : x.toFixed(digits));

const STYLE = `body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;max-width:860px;margin:32px auto;padding:0 16px}
h1{font-size:26px;margin:0}h2{font-size:18px;margin-top:32px}.muted{color:#6b7280}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}.pass{color:#047857}.fail{color:#b91c1c}
.examples td{width:50%;white-space:pre-wrap}.tag{font-size:12px;color:#374151;background:#f3f4f6;border-radius:4px;padding:1px 6px;margin-left:6px}nav.filters a{margin-right:12px}figure{margin:16px 0}svg{max-width:100%;height:auto}a.button{display:inline-block;padding:6px 12px;border:1px solid #2563eb;border-radius:6px;color:#2563eb;text-decoration:none}`;

/** Prompts answered by both models, side by side (type tags only where the prompts have types). */
function examplesTable(examples: { prompt: string; base: string; adapted: string; scenarioType?: ScenarioType }[]): string {
  return `<table class="examples"><tr><th>Base model</th><th>Fine-tuned</th></tr>${examples
    .map(
      (e) =>
        `<tr><td colspan="2"><strong>“${esc(e.prompt)}”</strong>${e.scenarioType ? `<span class="tag">${SCENARIO_TYPE_LABELS[e.scenarioType]}</span>` : ""}</td></tr><tr><td>${esc(e.base || "(no answer)")}</td><td>${esc(e.adapted || "(no answer)")}</td></tr>`,
    )
    .join("")}</table>`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** The before/after page of a shared validation report: the ten examples, filterable by scenario type with plain links (the page runs no script). */
export function beforeAfterPage(r: ValidationReport, examples: Example[], type: ScenarioType | null, reportHref: string): string {
  const link = (t: ScenarioType | null, label: string) =>
    t === type ? `<strong>${label}</strong>` : `<a href="?${t ? `type=${t.toLowerCase()}` : ""}">${label}</a>`;
  const filters = `<nav class="filters" aria-label="Scenario type">${[link(null, "All"), ...SCENARIO_TYPES.map((t) => link(t, SCENARIO_TYPE_LABELS[t]))].join("")}</nav>`;
  const body = examples.length
    ? examplesTable(examples)
    : `<p class="muted">${r.review.closedAt ? "No examples of this type in this validation." : "Before/after examples appear once the blind human review is closed."}</p>`;
  return page(
    `Before and after: ${r.job.name}`,
    `<p class="muted">Tuneloop before/after comparison${r.job.clientName ? ` · prepared for ${esc(r.job.clientName)}` : ""}</p><h1>${esc(r.job.name)}: before and after</h1>
<p>The same prompts answered by the base model and by the fine-tuned model. <a href="${esc(reportHref)}">Full validation report</a></p>${filters}${body}`,
  );
}

/** A custom report: a prospect's own prompts answered by both models. */
export function customReportPage(r: CustomReportData, pdfHref: string): string {
  return page(
    `${r.title}`,
    `<p class="muted">Tuneloop custom report${r.prospectName ? ` · prepared for ${esc(r.prospectName)}` : ""} · ${esc(r.createdAt.slice(0, 10))}</p><h1>${esc(r.title)}</h1>
<p><a class="button" href="${esc(pdfHref)}">Download PDF</a></p>
<p>Your prompts, answered by the base model ${esc(r.baseModel)} and by the model fine-tuned on our data (job “${esc(r.job.name)}”).</p>
<h2>Before and after</h2>${examplesTable(r.items)}
<p class="muted">Generation: ${r.settings.temperature === 0 ? "greedy" : `temperature ${r.settings.temperature}`}, up to ${r.settings.maxNewTokens} new tokens.</p>`,
  );
}

export function reportPage(r: ValidationReport, pdfHref: string, beforeAfterHref?: string): string {
  const rows: string[] = [];
  const row = (cells: string[], ok: boolean) =>
    rows.push(
      `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}<td class="${ok ? "pass" : "fail"}">${ok ? "Pass" : "Below target"}</td></tr>`,
    );
  if (r.perplexity)
    row(
      ["Perplexity (held-out)", n(r.perplexity.base), n(r.perplexity.adapted), `${n(r.perplexity.improvementPct, 0)}% lower`],
      r.perplexity.passed,
    );
  if (r.knowledge)
    row(
      [
        `Knowledge (${r.knowledge.questions} questions)`,
        `${r.knowledge.baseCorrect} correct`,
        `${r.knowledge.adaptedCorrect} correct`,
        `${n(r.knowledge.retentionPct, 0)}% retained`,
      ],
      !r.knowledge.alert,
    );
  if (r.review.closedAt !== null) {
    const ei = r.review.emotionalIntelligence;
    const bv = r.review.brandVoice;
    row(["Emotional intelligence (1–5)", n(ei.base), n(ei.adapted), `${n(ei.improvementPct, 0)}%`], (ei.improvementPct ?? -1) >= 40);
    row(["Brand voice (1–5)", n(bv.base), n(bv.adapted), `${n(bv.adaptedAlignmentPct, 0)}% aligned`], (bv.adaptedAlignmentPct ?? 0) >= 85);
  }
  const examples = r.examples.length
    ? (beforeAfterHref ? `<p><a href="${esc(beforeAfterHref)}">Filter the examples by scenario type</a></p>` : "") +
      examplesTable(r.examples)
    : `<p class="muted">Before/after examples appear once the blind human review is closed.</p>`;
  return page(
    `Validation report: ${r.job.name}`,
    `<p class="muted">Tuneloop validation report${r.job.clientName ? ` · prepared for ${esc(r.job.clientName)}` : ""} · ${esc(r.generatedAt.slice(0, 10))}</p>
<h1>${esc(r.job.name)}</h1>
<p><a class="button" href="${esc(pdfHref)}">Download PDF</a></p>
<h2>Executive summary</h2><ul>${r.summary.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>
<h2>Results</h2><table><tr><th>Measure</th><th>Base model</th><th>Fine-tuned</th><th>Change</th><th>Result</th></tr>${rows.join("")}</table>
${figures(r)
  .map((f) => `<figure aria-label="${esc(f.title)}">${f.svg}</figure>`)
  .join("")}
<h2>Before and after</h2>${examples}
<h2>Cost and benefit</h2><ul>${costBenefitLines(r.costBenefit)
      .map((s) => `<li>${esc(s)}</li>`)
      .join("")}</ul>
<p class="muted">Base model ${esc(r.run.settings.baseModel)} · ${r.run.heldOutConversations ?? "—"} held-out conversations · ${r.run.settings.questionCount} knowledge questions · ${r.run.settings.scenarioCount} scenarios. The PDF has the full method and settings.</p>
`,
  );
}

export function refusedPage(reason: "unknown" | "expired" | "revoked"): string {
  const text = {
    unknown: "This link is not valid.",
    expired: "This link has expired. Ask the sender for a new one.",
    revoked: "This link was revoked by its owner.",
  }[reason];
  return page("Report unavailable", `<h1>Report unavailable</h1><p>${text}</p>`);
}
