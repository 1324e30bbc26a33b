// Charts as standalone SVG strings: the same markup goes into the PDF (pdfmake
// draws SVG as vectors) and inline into the shared report page.
const COLORS = { base: "#9aa5b1", adapted: "#2563eb", train_loss: "#2563eb", val_loss: "#ea580c" } as Record<string, string>;
const FONT = `font-family="Roboto, Helvetica, Arial, sans-serif"`;

export const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Short, readable numbers for axis labels (no U+2212 minus: embedded fonts may lack it). */
const label = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

function frame(width: number, height: number, title: string, body: string) {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>` +
    `<text x="8" y="16" font-size="12" font-weight="bold" fill="#111827" ${FONT}>${escapeXml(title)}</text>${body}</svg>`
  );
}

const LEGEND_ROW = 14;
/** Legend entries from (x, y) in rows at most `width` wide (about 5.5 px a character): the markup and how far below y it reaches. */
function legend(x: number, y: number, entries: { name: string; color: string }[], width = Number.POSITIVE_INFINITY) {
  let markup = "",
    cx = x,
    cy = y;
  for (const e of entries) {
    const name = e.name.length > 40 ? `${e.name.slice(0, 39)}…` : e.name;
    const entryWidth = Math.max(110, 26 + name.length * 5.5);
    if (cx > x && cx + entryWidth > x + width) {
      cx = x;
      cy += LEGEND_ROW;
    }
    markup += `<rect x="${cx}" y="${cy - 8}" width="10" height="10" fill="${e.color}"/><text x="${cx + 14}" y="${cy + 1}" font-size="10" fill="#374151" ${FONT}>${escapeXml(name)}</text>`;
    cx += entryWidth;
  }
  return { markup, below: cy - y };
}

/** `color` and `dashed` for several runs on one chart; otherwise the colour follows `name` (train_loss, val_loss). */
export type LineSeries = { name: string; label: string; points: { step: number; value: number }[]; color?: string; dashed?: boolean };
const colorOf = (s: LineSeries) => s.color ?? COLORS[s.name] ?? "#111827";

/** Lines over training steps (loss curves); a legend too long for one row makes the chart taller. */
export function lineChart(title: string, series: LineSeries[], width = 500, height = 220): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0)
    return frame(
      width,
      height,
      title,
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="11" fill="#6b7280" ${FONT}>No data</text>`,
    );
  const left = 44,
    right = 12,
    top = 28,
    bottom = 40;
  const minX = Math.min(...all.map((p) => p.step)),
    maxX = Math.max(...all.map((p) => p.step));
  const minY = Math.min(...all.map((p) => p.value)),
    maxY = Math.max(...all.map((p) => p.value));
  const spanX = maxX - minX || 1,
    spanY = maxY - minY || 1;
  const x = (v: number) => left + ((v - minX) / spanX) * (width - left - right);
  const y = (v: number) => top + (1 - (v - minY) / spanY) * (height - top - bottom);
  const ticks = [0, 0.5, 1].map((f) => minY + f * spanY);
  const axes =
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#d1d5db"/>` +
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#d1d5db"/>` +
    ticks
      .map((t) => `<text x="${left - 4}" y="${y(t) + 3}" text-anchor="end" font-size="9" fill="#6b7280" ${FONT}>${label(t)}</text>`)
      .join("") +
    `<text x="${left}" y="${height - bottom + 12}" font-size="9" fill="#6b7280" ${FONT}>step ${minX}</text>` +
    `<text x="${width - right}" y="${height - bottom + 12}" text-anchor="end" font-size="9" fill="#6b7280" ${FONT}>step ${maxX}</text>`;
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${colorOf(s)}" stroke-width="1.5"${s.dashed ? ` stroke-dasharray="4 3"` : ""} points="${s.points.map((p) => `${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ")}"/>`,
    )
    .join("");
  const key = legend(
    left,
    height - 10,
    series.map((s) => ({ name: s.label, color: colorOf(s) })),
    width - left - right,
  );
  return frame(width, height + key.below, title, axes + lines + key.markup);
}

export type BarGroup = { label: string; base: number | null; adapted: number | null };

/** Base and fine-tuned side by side for each group (scores, accuracies, perplexity). */
export function barChart(
  title: string,
  groups: BarGroup[],
  options: { max?: number; format?: (v: number) => string; width?: number; height?: number } = {},
): string {
  const width = options.width ?? 500,
    height = options.height ?? 220;
  const format = options.format ?? label;
  const left = 12,
    right = 12,
    top = 30,
    bottom = 44;
  const max = options.max ?? Math.max(1e-9, ...groups.flatMap((g) => [g.base ?? 0, g.adapted ?? 0]));
  const slot = (width - left - right) / Math.max(1, groups.length);
  const barWidth = Math.min(28, slot / 3);
  // About 5 px a character at this size: labels stay inside their slot.
  const maxChars = Math.max(4, Math.floor(slot / 5));
  const h = (v: number) => (Math.max(0, v) / max) * (height - top - bottom);
  const bars = groups
    .map((g, i) => {
      const cx = left + slot * i + slot / 2;
      const bar = (v: number | null, dx: number, color: string) =>
        v === null
          ? ""
          : `<rect x="${(cx + dx).toFixed(1)}" y="${(height - bottom - h(v)).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h(v).toFixed(1)}" fill="${color}"/>` +
            `<text x="${(cx + dx + barWidth / 2).toFixed(1)}" y="${(height - bottom - h(v) - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#111827" ${FONT}>${escapeXml(format(v))}</text>`;
      return (
        bar(g.base, -barWidth - 1, COLORS.base) +
        bar(g.adapted, 1, COLORS.adapted) +
        `<text x="${cx.toFixed(1)}" y="${height - bottom + 12}" text-anchor="middle" font-size="9" fill="#374151" ${FONT}>${escapeXml(g.label.length > maxChars ? `${g.label.slice(0, maxChars - 1)}…` : g.label)}</text>`
      );
    })
    .join("");
  const axis = `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#d1d5db"/>`;
  return frame(
    width,
    height,
    title,
    axis +
      bars +
      legend(left, height - 10, [
        { name: "Base model", color: COLORS.base },
        { name: "Fine-tuned", color: COLORS.adapted },
      ]).markup,
  );
}
