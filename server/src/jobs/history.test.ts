import { inflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { createMoneyJob, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";
import { REPORT, trainingPoints } from "@tuneloop/testing/trainerReports";
import { compareDocument } from "../reports/comparePdf.js";
import { lossCurves } from "../reports/report.js";

/** The drawing operators of a PDF's pages (pdfmake deflates them). */
const pageOperators = (pdf: Buffer) =>
  [...pdf.toString("latin1").matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)]
    .map((m) => {
      try {
        return inflateSync(Buffer.from(m[1], "latin1")).toString("latin1");
      } catch {
        return ""; // an embedded font or image, not a page
      }
    })
    .filter((s) => s.includes(" Tj"))
    .join("\n");

// The job history: sorted by quality score and duration, trends per month and
// preset, and the whole history as CSV.

describe(`job history (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let engineer: string;
  const ids: Record<string, string> = {};

  /** A job run by a test trainer to its end: "completed" or "failed". */
  async function finished(name: string, end: "completed" | "failed", preset = "BALANCED") {
    const job = (await createMoneyJob(app, engineer, { name, start: true, settings: { preset } })).data;
    const trainer = await TestTrainer.claim(app, job.id);
    await trainer.startTraining();
    await trainer.metrics(1, 5);
    await app.gql(REPORT.metrics, { j: job.id, p: trainingPoints(1, 5, ["val_loss"]) }, trainer.token);
    if (end === "completed") await trainer.complete();
    else await trainer.fail("OutOfMemoryError", "CUDA out of memory");
    return job.id as string;
  }

  beforeAll(async () => {
    app = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE });
    engineer = await app.session("engineer");
    ids.good = await finished('=HYPERLINK("http://evil")', "completed");
    ids.fair = await finished("fair", "completed", "AGGRESSIVE");
    ids.failed = await finished("failed", "failed");
    // The VALIDATION stage writes a job's quality score when its run completes (validation/service.ts); set here without one.
    await app.services.db.trainingJob.update({ where: { id: ids.good }, data: { qualityScore: 41.5 } });
    await app.services.db.trainingJob.update({ where: { id: ids.fair }, data: { qualityScore: 12 } });
    // One job of last month, for the trend.
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15));
    await app.services.db.trainingJob.update({ where: { id: ids.failed }, data: { createdAt: lastMonth } });
  });
  afterAll(() => app?.stop());

  const sorted = async (field: string, direction: string) =>
    (
      await app.gql(
        `query($f:JobSortField!,$d:SortDirection){ jobs(sort:{ field:$f, direction:$d }, first: 10){ edges { node { id qualityScore } } } }`,
        { f: field, d: direction },
        engineer,
      )
    ).data.jobs.edges.map((e: any) => e.node.id);

  it("sorts by quality score either way, jobs never validated last", async () => {
    expect(await sorted("QUALITY", "DESC")).toEqual([ids.good, ids.fair, ids.failed]);
    expect(await sorted("QUALITY", "ASC")).toEqual([ids.fair, ids.good, ids.failed]);
    expect(new Set(await sorted("DURATION", "DESC"))).toEqual(new Set(Object.values(ids)));
  });

  it("gives trends per month and per preset: success rate, average cost, duration and quality", async () => {
    const rows = (
      await app.gql(
        `{ jobTrends(months: 2){ month preset jobs completed failed successRate averageCostUsd averageDurationSec averageQualityScore } }`,
        {},
        engineer,
      )
    ).data.jobTrends;
    const now = new Date();
    const thisMonth = now.toISOString().slice(0, 7);
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15)).toISOString().slice(0, 7);
    const month = rows.find((r: any) => r.month === thisMonth && r.preset === null);
    expect(month).toMatchObject({ jobs: 2, completed: 2, failed: 0, successRate: 1, averageQualityScore: (41.5 + 12) / 2 });
    expect(month.averageCostUsd).toBeGreaterThan(0);
    expect(month.averageDurationSec).toBeGreaterThan(0);
    expect(rows.find((r: any) => r.month === thisMonth && r.preset === "AGGRESSIVE")).toMatchObject({ jobs: 1, averageQualityScore: 12 });
    expect(rows.find((r: any) => r.month === lastMonth && r.preset === null)).toMatchObject({
      jobs: 1,
      completed: 0,
      failed: 1,
      successRate: 0,
      averageQualityScore: null,
    });
    expect(rows.map((r: any) => r.month)).toEqual([...rows.map((r: any) => r.month)].sort());
    const refused = await app.gql(`{ jobTrends(months: 0){ month } }`, {}, engineer);
    expect(refused.errors?.[0].extensions.code).toBe("VALIDATION");
  });

  it("exports the whole history as CSV, spreadsheet formulas neutralised", async () => {
    const response = await fetch(`${app.url}/api/jobs/history.csv`, { headers: { authorization: `Bearer ${engineer}` } });
    expect(response.status).toBe(200);
    const lines = (await response.text()).trim().split("\n");
    expect(lines[0]).toBe(
      "job_id,name,created_at,started_at,finished_at,status,preset,gpu_type,pricing_tier,dataset,client,project,estimated_cost_usd,cost_usd,estimated_duration_sec,duration_sec,quality_score_pct,error_type,retry_of,auto_retry_attempt,template,created_by",
    );
    expect(lines).toHaveLength(4);
    const good = lines.find((l) => l.startsWith(ids.good))!;
    expect(good).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(good).toContain(",COMPLETED,BALANCED,TEST_GPU,ON_DEMAND,");
    expect(good).toContain(",41.5,");
    expect(lines.find((l) => l.startsWith(ids.failed))).toContain(",FAILED,");
    expect((await fetch(`${app.url}/api/jobs/history.csv`)).status).toBe(401);
  });

  it("compares with validation scores and estimates, and exports the comparison as PDF", async () => {
    const compared = await app.gql(
      `query($id:ID!){ job(id:$id){ estimatedCostUsd actualCostUsd estimatedDurationSec actualDurationSec qualityScore latestValidation { id } } }`,
      { id: ids.good },
      engineer,
    );
    expect(compared.data.job).toMatchObject({
      qualityScore: 41.5,
      latestValidation: null,
      estimatedCostUsd: expect.any(Number),
      actualDurationSec: expect.any(Number),
    });

    const body = {
      jobIds: [ids.good, ids.fair],
      rows: [
        { label: "Cost", section: "Results", cells: ["$0.10", "$0.20"], best: [true, false] },
        { label: "Perplexity improvement", section: "Validation", cells: ["41%", "12%"], best: [true, false] },
      ],
    };
    const post = (b: unknown, token: string | null = engineer) =>
      fetch(`${app.url}/api/compare/report.pdf`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(b),
      });
    const response = await post(body);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.subarray(-6).toString()).toContain("%%EOF");
    // The page's loss chart above the table, from the jobs' own metrics: training solid, validation dashed, one colour per run.
    const curves = await Promise.all(body.jobIds.map((id) => lossCurves(app.services, id)));
    expect(curves.flat().every((c) => c.points.length === 5)).toBe(true);
    const content = compareDocument(['=HYPERLINK("http://evil")', "fair"], body, new Date(), curves).content as any[];
    const svg: string = content.find((c) => c.svg).svg;
    expect(content.findIndex((c) => c.svg)).toBeLessThan(content.findIndex((c) => c.table));
    expect(svg).toContain(">Loss curves</text>");
    expect(svg).toContain(">fair (validation)</text>");
    expect(svg).toContain("&quot;http://evil&quot;) (training)</text>");
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    // Drawn into the PDF as vectors: the two dashed validation lines.
    expect(pageOperators(pdf).match(/\[4 3\] 0 d/g)).toHaveLength(2);
    expect((await post(body, null)).status).toBe(401);
    expect(await (await post({ ...body, jobIds: [ids.good, "someone-elses"] })).json()).toMatchObject({
      error: { code: "NOT_FOUND", field: "jobIds" },
    });
    expect((await post({ ...body, rows: [{ label: "x", cells: ["1"] }] })).status).toBe(400);
  });
});
