import type { IncomingMessage } from "node:http";
import { z } from "zod";
import type { Content, TDocumentDefinitions, TableCell } from "pdfmake/interfaces";
import type { HttpRoute } from "../app.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { renderPdf } from "./pdf.js";
import { lineChart } from "./charts.js";
import { lossCurves, type Curve } from "./report.js";

// POST /api/compare/report.pdf — the Compare page's side-by-side table as a
// PDF, with the same renderer as the validation report. The page sends the
// rows it shows (web/src/features/compare/compareRows.ts decides them, so
// they exist once); the server checks the jobs are the caller's and takes their
// names and loss curves (the page's chart, drawn as the report's) from the database.

const MAX_BODY_BYTES = 256 * 1024;
const cell = z.string().max(300);
const bodySchema = z.object({
  jobIds: z.array(z.string().min(1).max(64)).min(2).max(4),
  rows: z
    .array(
      z.object({ label: cell, section: cell.nullish(), cells: z.array(cell).min(2).max(4), best: z.array(z.boolean()).max(4).nullish() }),
    )
    .min(1)
    .max(120),
});
type CompareBody = z.infer<typeof bodySchema>;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RangeError("too large");
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** One colour per run, as on the Compare page (web/src/features/compare/ComparePage.tsx). */
const RUN_COLORS = ["#2456d6", "#d9480f", "#2b8a3e", "#862e9c"];

/** The page's "Loss curves": solid training loss and dashed validation loss, one colour per run. */
function compareLossChart(names: string[], curves: Curve[][], width: number): string | null {
  const series = names.flatMap((name, i) =>
    curves[i]
      .filter((c) => c.points.length > 0)
      .map((c) => ({
        name: c.name,
        label: `${name} (${c.name === "val_loss" ? "validation" : "training"})`,
        points: c.points,
        color: RUN_COLORS[i],
        dashed: c.name === "val_loss",
      })),
  );
  return series.length ? lineChart("Loss curves", series, width, 260) : null;
}

export function compareDocument(names: string[], body: CompareBody, generatedAt: Date, curves: Curve[][]): TDocumentDefinitions {
  const landscape = names.length > 2;
  const head: TableCell[] = [{ text: "", style: "th" }, ...names.map((text) => ({ text, style: "th" }))];
  const rows: TableCell[][] = [];
  let section: string | null | undefined = null;
  for (const row of body.rows) {
    if (row.section && row.section !== section) {
      section = row.section;
      rows.push([{ text: section, bold: true, colSpan: names.length + 1, margin: [0, 6, 0, 2] }, ...names.map(() => "")]);
    }
    rows.push([
      { text: row.label, color: "#374151" },
      ...names.map((_, i) => ({
        text: row.cells[i] ?? "—",
        bold: Boolean(row.best?.[i]),
        fillColor: row.best?.[i] ? "#e6f4ea" : undefined,
      })),
    ]);
  }
  // The page's width less pdfmake's default 40 pt margins.
  const chartWidth = landscape ? 760 : 515;
  const chart = compareLossChart(names, curves, chartWidth);
  const content: Content[] = [
    { text: "Training run comparison", fontSize: 18, bold: true, margin: [0, 0, 0, 4] },
    {
      text: `${names.length} runs, generated ${generatedAt.toISOString().slice(0, 16).replace("T", " ")} UTC. The best value of each result row is in bold on green.`,
      color: "#6b7280",
      margin: [0, 0, 0, 10],
    },
    chart
      ? { svg: chart, width: chartWidth, margin: [0, 0, 0, 4] }
      : { text: "None of these runs has reported a loss yet.", color: "#6b7280", margin: [0, 0, 0, 4] },
    { text: "Solid: training loss. Dashed: validation loss. One colour per run.", fontSize: 8, color: "#6b7280", margin: [0, 0, 0, 10] },
    { table: { headerRows: 1, widths: ["*", ...names.map(() => "auto")], body: [head, ...rows] }, layout: "lightHorizontalLines" },
    { text: `Job ids: ${body.jobIds.join(", ")}`, fontSize: 8, color: "#6b7280", margin: [0, 10, 0, 0] },
  ];
  return {
    info: { title: "Training run comparison" },
    pageOrientation: landscape ? "landscape" : "portrait",
    content,
    styles: { th: { bold: true, color: "#111827" } },
    defaultStyle: { font: "Roboto", fontSize: 9, lineHeight: 1.2 },
  };
}

function fail(res: Parameters<HttpRoute>[1], status: number, code: string, message: string, field: string | null = null) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message, field } }));
  return true;
}

export const comparePdfRoute: HttpRoute = async (req, res, services) => {
  if (new URL(req.url ?? "/", "http://localhost").pathname !== "/api/compare/report.pdf") return false;
  if (req.method !== "POST") return fail(res, 405, "METHOD_NOT_ALLOWED", "POST the comparison's rows");
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  if (!viewer || !(viewerHasScope(viewer, "read") || viewerHasScope(viewer, "write")))
    return fail(res, 401, "UNAUTHENTICATED", "Send Authorization: Bearer <token>");
  let input: unknown;
  try {
    input = await readJson(req);
  } catch (error) {
    return error instanceof RangeError
      ? fail(res, 413, "REQUEST_TOO_LARGE", `At most ${MAX_BODY_BYTES} bytes`)
      : fail(res, 400, "VALIDATION", "The body is not JSON");
  }
  const parsed = bodySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(res, 400, "VALIDATION", `${issue.path.join(".")}: ${issue.message}`, issue.path.join(".") || null);
  }
  const body = parsed.data;
  const jobs = await services.db.trainingJob.findMany({
    where: { id: { in: body.jobIds }, orgId: viewer.orgId },
    select: { id: true, name: true },
  });
  const names = body.jobIds.map((id) => jobs.find((j) => j.id === id)?.name);
  if (names.some((n) => n === undefined)) return fail(res, 404, "NOT_FOUND", "Training job not found", "jobIds");
  if (body.rows.some((r) => r.cells.length !== names.length))
    return fail(res, 400, "VALIDATION", "Each row needs one cell per job", "rows");
  const curves = await Promise.all(body.jobIds.map((id) => lossCurves(services, id)));
  const pdf = await renderPdf(compareDocument(names as string[], body, new Date(), curves));
  res.writeHead(200, {
    "content-type": "application/pdf",
    "content-disposition": 'attachment; filename="tuneloop-compare.pdf"',
    "cache-control": "no-store",
  });
  res.end(pdf);
  return true;
};
