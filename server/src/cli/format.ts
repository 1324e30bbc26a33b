/** A plain-text table: columns padded to their widest cell. */
export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (c == null ? "—" : String(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export const pct = (x: number | null | undefined) => (x == null ? "—" : `${x.toFixed(1)}%`);
export const num = (x: number | null | undefined, digits = 2) => (x == null ? "—" : x.toFixed(digits));
