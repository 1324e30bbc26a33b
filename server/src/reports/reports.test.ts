import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createOtherOrganization, viewerOf } from "@tuneloop/testing/fixtures";
import { trainTinyJob, waitForValidation } from "@tuneloop/testing/validation";
import { buildReport, type ValidationReport } from "./report.js";
import { reportDocument, renderReportPdf } from "./pdf.js";
import { createShareLink, openShareLink, SHARE_LINK_DAYS } from "./shareLinks.js";
import { scenarioTypeOf } from "./beforeAfter.js";

let app: TestApp;
let engineer: string;
let runId: string;
let report: ValidationReport;

beforeAll(async () => {
  app = await startTestApp();
  const job = await trainTinyJob(app, { validationFollows: false });
  engineer = job.session;
  await app.gql(
    `mutation($j:ID!){ runValidation(jobId:$j, options:{questionCount:12, scenarioCount:3, maxNewTokens:12}){ __typename } }`,
    { j: job.jobId },
    engineer,
  );
  runId = (await waitForValidation(app, job.jobId)).id;
  // A reviewer scores all three scenarios and closes the review, so the report has every section.
  const qa = await app.login("qa");
  const items = await app.services.db.reviewItem.findMany({ where: { runId }, orderBy: { position: "asc" } });
  for (const [i, item] of items.entries()) {
    const scores = (item.criteria as string[]).flatMap((criterion) => [
      { side: "A", criterion, score: 2 + i },
      { side: "B", criterion, score: 4 },
    ]);
    await app.gql(
      `mutation($id:ID!,$s:[ReviewScoreInput!]!){ scoreReviewItem(itemId:$id, scores:$s){ __typename } }`,
      { id: item.id, s: scores },
      qa,
    );
  }
  await app.gql(`mutation($id:ID!){ closeReview(runId:$id){ __typename } }`, { id: runId }, qa);
  report = await buildReport(app.services, runId);
}, 300_000);
afterAll(() => app?.stop());

const docText = (node: unknown): string => JSON.stringify(node);

describe("validation report", () => {
  it("carries the measured numbers, curves, review results and before/after examples", async () => {
    const run = await app.services.db.validationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(report.perplexity).toMatchObject({
      base: run.perplexityBase,
      adapted: run.perplexityAdapted,
      improvementPct: run.perplexityImprovementPct,
    });
    expect(report.knowledge).toMatchObject({
      questions: 12,
      baseCorrect: run.knowledgeBaseCorrect,
      adaptedCorrect: run.knowledgeAdaptedCorrect,
    });
    expect(report.curves.map((c) => c.name).sort()).toEqual(["train_loss", "val_loss"]);
    expect(report.review.closedAt).not.toBeNull();
    expect(report.examples).toHaveLength(3);
    const items = await app.services.db.reviewItem.findMany({ where: { runId }, orderBy: { position: "asc" } });
    expect(report.examples[0]).toEqual({
      scenarioId: items[0].scenarioId,
      scenarioType: scenarioTypeOf(items[0].scenarioId),
      prompt: items[0].prompt,
      base: items[0].baseResponse,
      adapted: items[0].adaptedResponse,
    });
    expect(report.summary.join(" ")).toContain(`perplexity from ${run.perplexityBase!.toFixed(1)} to ${run.perplexityAdapted!.toFixed(1)}`);
  });

  it("renders a PDF with the summary, results, charts and appendix", async () => {
    const doc = reportDocument(report);
    const text = docText(doc.content);
    expect(text).toContain("Executive summary");
    expect(text).toContain(report.perplexity!.base.toFixed(1));
    expect(text).toContain(`${report.knowledge!.adaptedCorrect} correct`);
    expect(text).toContain("Technical appendix");
    expect((doc.content as any[]).filter((c) => c.svg).length).toBe(5); // curves, perplexity, knowledge, EI, brand voice
    const pdf = await renderReportPdf(report);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.subarray(-6).toString()).toContain("%%EOF");
    expect(pdf.toString("latin1").match(/\/Type \/Page\b/g)!.length).toBeGreaterThanOrEqual(2);

    const download = await fetch(`${app.url}/api/reports/${runId}/report.pdf`, { headers: { authorization: `Bearer ${engineer}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect((await fetch(`${app.url}/api/reports/${runId}/report.pdf`)).status).toBe(401);
    expect(
      (
        await fetch(`${app.url}/api/reports/${runId}/report.pdf`, {
          headers: { authorization: `Bearer ${await createOtherOrganization(app)}` },
        })
      ).status,
    ).toBe(404);
  });
});

describe("share links", () => {
  const CREATE = `mutation($r:ID!){ createShareLink(runId:$r){ __typename ... on AppError { code message field } ... on CreateShareLinkSuccess { data { url link { id expiresAt active } } } } }`;

  it("serve the report read-only for 30 days, count views and store only a hash of the token", async () => {
    const created = (await app.gql(CREATE, { r: runId }, engineer)).data.createShareLink.data;
    const token = created.url.split("/share/")[1];
    expect(created.url).toBe(`${app.url}/share/${token}`);
    expect(new Date(created.link.expiresAt).getTime() - Date.now()).toBeGreaterThan((SHARE_LINK_DAYS * 86400 - 60) * 1000);
    expect(new Date(created.link.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(SHARE_LINK_DAYS * 86400 * 1000);
    const stored = await app.services.db.shareLink.findUniqueOrThrow({ where: { id: created.link.id } });
    expect(JSON.stringify(stored)).not.toContain(token);

    const page = await fetch(created.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain("Executive summary");
    expect(html).toContain(report.perplexity!.adapted.toFixed(1));
    expect(html).not.toContain("<script");
    const pdf = await fetch(`${created.url}/report.pdf`);
    expect(pdf.status).toBe(200);
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    expect((await app.services.db.shareLink.findUniqueOrThrow({ where: { id: created.link.id } })).viewCount).toBe(2);
    // Read-only: nothing but GET.
    expect((await fetch(created.url, { method: "POST" })).status).toBe(405);
  });

  it("stop working when revoked, when expired, and when unknown", async () => {
    const created = (await app.gql(CREATE, { r: runId }, engineer)).data.createShareLink.data;
    const revoked = await app.gql(
      `mutation($id:ID!){ revokeShareLink(id:$id){ __typename ... on RevokeShareLinkSuccess { data { active revokedAt } } } }`,
      { id: created.link.id },
      engineer,
    );
    expect(revoked.data.revokeShareLink.data.active).toBe(false);
    const gone = await fetch(created.url);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain("revoked");

    // A link made 30 days ago: valid one second before its expiry, refused at it.
    const viewer = await viewerOf(app.services.db, "engineer@demo.tuneloop.dev");
    const madeAt = new Date(Date.now() - SHARE_LINK_DAYS * 86400_000);
    const old = await createShareLink(app.services, viewer, { runId }, madeAt);
    expect(await openShareLink(app.services, old.token, new Date(old.link.expiresAt.getTime() - 1000))).toEqual({ runId });
    expect(await openShareLink(app.services, old.token, old.link.expiresAt)).toEqual({ refused: "expired" });
    const expired = await fetch(`${app.url}/share/${old.token}`);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("expired");
    expect((await fetch(`${app.url}/share/tlr_${"x".repeat(32)}`)).status).toBe(404);
  });

  it("cannot be made for another organization's run", async () => {
    const rival = await createOtherOrganization(app);
    const refused = await app.gql(CREATE, { r: runId }, rival);
    expect(refused.data?.createShareLink ?? refused.errors?.[0].extensions).toMatchObject({
      code: expect.stringMatching(/NOT_FOUND|FORBIDDEN/),
    });
  });
});
