// The shared report page: plain server-rendered HTML, no script, every model
// output escaped (it is untrusted text).
import { escapeXml as esc } from "./charts.js";
import { figures } from "./figures.js";
import type { ValidationReport } from "./report.js";

const n = (x: number | null | undefined, digits = 1) => (x == null ? "—" : x.toFixed(digits));

const STYLE = `body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;max-width:860px;margin:32px auto;padding:0 16px}
h1{font-size:26px;margin:0}h2{font-size:18px;margin-top:32px}.muted{color:#6b7280}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}.pass{color:#047857}.fail{color:#b91c1c}
.examples td{width:50%;white-space:pre-wrap}figure{margin:16px 0}svg{max-width:100%;height:auto}a.button{display:inline-block;padding:6px 12px;border:1px solid #2563eb;border-radius:6px;color:#2563eb;text-decoration:none}`;

export function reportPage(r: ValidationReport, pdfHref: string): string {
  const rows: string[] = [];
  const row = (cells: string[], ok: boolean) => rows.push(`<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}<td class="${ok ? "pass" : "fail"}">${ok ? "Pass" : "Below target"}</td></tr>`);
  if (r.perplexity) row(["Perplexity (held-out)", n(r.perplexity.base), n(r.perplexity.adapted), `${n(r.perplexity.improvementPct, 0)}% lower`], r.perplexity.passed);
  if (r.knowledge) row([`Knowledge (${r.knowledge.questions} questions)`, `${r.knowledge.baseCorrect} correct`, `${r.knowledge.adaptedCorrect} correct`, `${n(r.knowledge.retentionPct, 0)}% retained`], !r.knowledge.alert);
  if (r.review.closedAt !== null) {
    const ei = r.review.emotionalIntelligence;
    const bv = r.review.brandVoice;
    row(["Emotional intelligence (1–5)", n(ei.base), n(ei.adapted), `${n(ei.improvementPct, 0)}%`], (ei.improvementPct ?? -1) >= 40);
    row(["Brand voice (1–5)", n(bv.base), n(bv.adapted), `${n(bv.adaptedAlignmentPct, 0)}% aligned`], (bv.adaptedAlignmentPct ?? 0) >= 85);
  }
  const examples = r.examples.length
    ? `<table class="examples"><tr><th>Base model</th><th>Fine-tuned</th></tr>${r.examples
        .map((e) => `<tr><td colspan="2"><strong>“${esc(e.prompt)}”</strong></td></tr><tr><td>${esc(e.base || "(no answer)")}</td><td>${esc(e.adapted || "(no answer)")}</td></tr>`)
        .join("")}</table>`
    : `<p class="muted">Before/after examples appear once the blind human review is closed.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>Validation report: ${esc(r.job.name)}</title><style>${STYLE}</style></head><body>
<p class="muted">Tuneloop validation report${r.job.clientName ? ` · prepared for ${esc(r.job.clientName)}` : ""} · ${esc(r.generatedAt.slice(0, 10))}</p>
<h1>${esc(r.job.name)}</h1>
<p><a class="button" href="${esc(pdfHref)}">Download PDF</a></p>
<h2>Executive summary</h2><ul>${r.summary.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>
<h2>Results</h2><table><tr><th>Measure</th><th>Base model</th><th>Fine-tuned</th><th>Change</th><th>Result</th></tr>${rows.join("")}</table>
${figures(r).map((f) => `<figure aria-label="${esc(f.title)}">${f.svg}</figure>`).join("")}
<h2>Before and after</h2>${examples}
<p class="muted">Base model ${esc(r.run.settings.baseModel)} · ${r.run.heldOutConversations ?? "—"} held-out conversations · ${r.run.settings.questionCount} knowledge questions · ${r.run.settings.scenarioCount} scenarios. The PDF has the full method and settings.</p>
</body></html>`;
}

export function refusedPage(reason: "unknown" | "expired" | "revoked"): string {
  const text = { unknown: "This link is not valid.", expired: "This link has expired. Ask the sender for a new one.", revoked: "This link was revoked by its owner." }[reason];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Report unavailable</title><style>${STYLE}</style></head><body><h1>Report unavailable</h1><p>${text}</p></body></html>`;
}
