import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { createOtherOrganization } from "@tuneloop/testing/fixtures";
import { trainTinyJob } from "@tuneloop/testing/validation";
import { SCENARIOS, SCENARIO_SYSTEM_PROMPT } from "../validation/content/scenarios.js";
import { scenarioTypeOf } from "./beforeAfter.js";
import { buildReport } from "./report.js";
import { reportDocument } from "./pdf.js";

// Proof for clients, through GraphQL over HTTP and the share links: the
// before/after examples of a validated job, custom reports for a prospect
// (answered by the real trained adapter), and the report library with deals.

let app: TestApp;
let engineer: string, qa: string, owner: string;
let jobId: string;
let runId: string;
let customId: string;

// Four scenarios of each type, in suite order: the ten examples must draw from all three.
const PICKED = (["EMPATHY", "FINANCIAL_ADVICE", "EMOTIONAL_SUPPORT"] as const).flatMap((t) =>
  SCENARIOS.filter((s) => scenarioTypeOf(s.id) === t).slice(0, 4),
);
const RESULT = (r: any) => Object.values(r.data ?? {})[0] as any;
const BEFORE_AFTER = `query($id:ID!,$t:ScenarioType){ validationRun(id:$id){ beforeAfter(scenarioType:$t){ scenarioId scenarioType prompt base adapted } } }`;

beforeAll(async () => {
  app = await startTestApp({ playgroundRateLimitPerMinute: 60 });
  ({ jobId, session: engineer } = await trainTinyJob(app, { validationFollows: false, name: "Acme advisor" }));
  [qa, owner] = await Promise.all([app.login("qa"), app.login("owner")]);
  await app.services.db.trainingJob.update({ where: { id: jobId }, data: { clientName: "Acme Bank" } });
  // A finished validation with its review answers stored, as a validation worker stores them.
  const run = await app.services.db.validationRun.create({
    data: {
      jobId,
      status: "COMPLETED",
      settings: {
        baseModel: "tuneloop-llama-tiny",
        perplexityPassMarkPct: 30,
        retentionAlertPct: 95,
        validationFraction: 0.2,
        seed: 7,
        maxSeqLength: 48,
        questionCount: 4,
        scenarioCount: PICKED.length,
        brandVoiceSample: 0,
        generation: { maxNewTokens: 8, temperature: 0.7, topK: 40 },
      },
      details: {},
      perplexityBase: 30,
      perplexityAdapted: 18,
      perplexityImprovementPct: 40,
      perplexityPassed: true,
      knowledgeQuestions: 4,
      knowledgeBaseCorrect: 2,
      knowledgeAdaptedCorrect: 2,
      retentionPct: 100,
      retentionAlert: false,
      finishedAt: new Date(),
    },
  });
  runId = run.id;
  await app.services.db.reviewItem.createMany({
    data: PICKED.map((s, position) => ({
      runId,
      position,
      scenarioId: s.id,
      prompt: s.message,
      baseResponse: `base answer ${position}`,
      adaptedResponse: `fine-tuned answer ${position} <b>warm</b>`,
      adaptedIsA: position % 2 === 0,
      criteria: ["empathy"],
    })),
  });
}, 300_000);
afterAll(() => app?.stop());

describe(`before/after comparison (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  it("stays hidden while the blind review is open, then shows ten examples from all three scenario types", async () => {
    expect(RESULT(await app.gql(BEFORE_AFTER, { id: runId }, engineer)).beforeAfter).toEqual([]);
    const item = await app.services.db.reviewItem.findFirstOrThrow({ where: { runId, position: 0 } });
    const scored = RESULT(
      await app.gql(
        `mutation($id:ID!,$s:[ReviewScoreInput!]!){ scoreReviewItem(itemId:$id, scores:$s){ __typename ... on AppError { message } } }`,
        { id: item.id, s: [{ side: "A", criterion: "empathy", score: 4 }] },
        qa,
      ),
    );
    expect(scored.__typename, JSON.stringify(scored)).toBe("ScoreReviewItemSuccess");
    const closed = RESULT(
      await app.gql(`mutation($id:ID!){ closeReview(runId:$id){ __typename ... on AppError { message } } }`, { id: runId }, qa),
    );
    expect(closed.__typename, JSON.stringify(closed)).toBe("CloseReviewSuccess");

    const examples = RESULT(await app.gql(BEFORE_AFTER, { id: runId }, engineer)).beforeAfter;
    expect(examples).toHaveLength(10);
    expect(new Set(examples.map((e: any) => e.scenarioType))).toEqual(new Set(["EMPATHY", "FINANCIAL_ADVICE", "EMOTIONAL_SUPPORT"]));
    const stored = await app.services.db.reviewItem.findMany({ where: { runId }, orderBy: { position: "asc" } });
    for (const e of examples) {
      const item = stored.find((i) => i.scenarioId === e.scenarioId)!;
      expect(e).toEqual({
        scenarioId: item.scenarioId,
        scenarioType: scenarioTypeOf(item.scenarioId),
        prompt: item.prompt,
        base: item.baseResponse,
        adapted: item.adaptedResponse,
      });
    }
    // In the run's order.
    expect(examples.map((e: any) => stored.findIndex((i) => i.scenarioId === e.scenarioId))).toEqual(
      [...examples.map((e: any) => stored.findIndex((i) => i.scenarioId === e.scenarioId))].sort((a, b) => a - b),
    );
  });

  it("filters by scenario type", async () => {
    const empathy = RESULT(await app.gql(BEFORE_AFTER, { id: runId, t: "EMPATHY" }, engineer)).beforeAfter;
    expect(empathy.map((e: any) => e.scenarioId)).toEqual(PICKED.filter((s) => scenarioTypeOf(s.id) === "EMPATHY").map((s) => s.id));
    expect(RESULT(await app.gql(BEFORE_AFTER, { id: runId, t: "KINDNESS" }, engineer))).toBeUndefined();
  });

  it("puts the same ten examples in the PDF report", async () => {
    const report = await buildReport(app.services, runId);
    expect(report.examples).toHaveLength(10);
    const text = JSON.stringify(reportDocument(report).content);
    for (const e of report.examples) expect(text).toContain(JSON.stringify(e.prompt).slice(1, -1));
    expect(text).toContain("Cost and benefit");
  });

  it("is shared through the report's 30-day link, filterable, escaped, and gone once revoked", async () => {
    const created = RESULT(
      await app.gql(
        `mutation($r:ID!){ createShareLink(runId:$r){ __typename ... on CreateShareLinkSuccess { data { url link { id } } } } }`,
        { r: runId },
        engineer,
      ),
    ).data;
    const report = await (await fetch(created.url)).text();
    expect(report).toContain(`href="/share/${created.url.split("/share/")[1]}/before-after"`);
    const page = await fetch(`${created.url}/before-after?type=financial_advice`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    const advice = PICKED.filter((s) => scenarioTypeOf(s.id) === "FINANCIAL_ADVICE");
    for (const s of advice) expect(html).toContain(s.message.replace(/'/g, "&#39;"));
    expect(html).not.toContain(PICKED.find((s) => scenarioTypeOf(s.id) === "EMPATHY")!.message.replace(/'/g, "&#39;"));
    expect(html).toContain("&lt;b&gt;warm&lt;/b&gt;");
    expect(html).not.toContain("<b>warm</b>");
    await app.gql(`mutation($id:ID!){ revokeShareLink(id:$id){ __typename } }`, { id: created.link.id }, engineer);
    expect((await fetch(`${created.url}/before-after`)).status).toBe(410);
  });
});

describe("custom report for a prospect", () => {
  const CREATE = `mutation($i:CreateCustomReportInput!){ createCustomReport(input:$i){ __typename ... on AppError { code message field }
    ... on CreateCustomReportSuccess { data { id title prospectName pdfPath answers { prompt base adapted } job { id } } } } }`;
  const prompts = ["My business partner wants out and I can't buy her share.", "Should I refinance my mortgage now?"];

  it("answers the prospect's prompts with the base and the fine-tuned model, as the playground does", async () => {
    const created = RESULT(
      await app.gql(CREATE, { i: { jobId, title: "Pilot for Globex", prospectName: "Globex", prompts, maxNewTokens: 8 } }, qa),
    );
    expect(created.__typename, JSON.stringify(created)).toBe("CreateCustomReportSuccess");
    customId = created.data.id;
    expect(created.data).toMatchObject({
      title: "Pilot for Globex",
      prospectName: "Globex",
      job: { id: jobId },
      pdfPath: `/api/custom-reports/${customId}/report.pdf`,
    });
    expect(created.data.answers.map((a: any) => a.prompt)).toEqual(prompts);
    // Greedy generation: the playground gives the same answers for the same prompt.
    const play = (
      await app.gql(
        `query($j:ID!,$p:String!,$s:String){ playground(jobId:$j, prompt:$p, system:$s, options:{maxNewTokens:8}){ base { text } adapted { text } } }`,
        { j: jobId, p: prompts[1], s: SCENARIO_SYSTEM_PROMPT },
        qa,
      )
    ).data.playground;
    expect(created.data.answers[1]).toEqual({ prompt: prompts[1], base: play.base.text, adapted: play.adapted.text });
  });

  it("refuses engineers, bad prompts and another organization's job", async () => {
    const refused = await app.gql(CREATE, { i: { jobId, title: "x", prompts } }, engineer);
    expect(refused.errors?.[0].extensions.code ?? RESULT(refused).code).toBe("FORBIDDEN");
    expect(RESULT(await app.gql(CREATE, { i: { jobId, title: "x", prompts: Array(11).fill("hi") } }, owner))).toMatchObject({
      code: "VALIDATION",
      field: "prompts",
    });
    expect(RESULT(await app.gql(CREATE, { i: { jobId, title: "x", prompts: ["hi", "  "] } }, owner))).toMatchObject({
      code: "VALIDATION",
      field: "prompts.1",
    });
    expect(RESULT(await app.gql(CREATE, { i: { jobId, title: " ", prompts } }, owner))).toMatchObject({
      code: "VALIDATION",
      field: "title",
    });
    const rival = await createOtherOrganization(app);
    const rivalOwner = RESULT(await app.gql(CREATE, { i: { jobId, title: "x", prompts } }, rival));
    expect(rivalOwner?.code ?? "FORBIDDEN").toMatch(/NOT_FOUND|FORBIDDEN/);
  });

  it("is a page, a PDF and a share link like the validation report", async () => {
    const pdf = await fetch(`${app.url}/api/custom-reports/${customId}/report.pdf`, { headers: { authorization: `Bearer ${owner}` } });
    expect(pdf.status).toBe(200);
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    expect((await fetch(`${app.url}/api/custom-reports/${customId}/report.pdf`)).status).toBe(401);
    const created = RESULT(
      await app.gql(
        `mutation($c:ID!){ createShareLink(customReportId:$c){ __typename ... on CreateShareLinkSuccess { data { url } } } }`,
        { c: customId },
        qa,
      ),
    ).data;
    const html = await (await fetch(created.url)).text();
    expect(html).toContain("Pilot for Globex");
    expect(html).toContain("prepared for Globex");
    expect(html).toContain(prompts[1]);
    expect(html).not.toContain("<script");
    expect((await fetch(`${created.url}/report.pdf`)).headers.get("content-type")).toBe("application/pdf");
    // The before/after page belongs to validation reports only.
    expect((await fetch(`${created.url}/before-after`)).status).toBe(404);
    const both = RESULT(
      await app.gql(
        `mutation($r:ID!,$c:ID!){ createShareLink(runId:$r, customReportId:$c){ __typename ... on AppError { code } } }`,
        { r: runId, c: customId },
        qa,
      ),
    );
    expect(both.code).toBe("VALIDATION");
  });
});

describe("report library and deals", () => {
  const LIBRARY = `query($s:String,$o:DealOutcome){ reportLibrary(search:$s, outcome:$o){ sharedReports wonDeals lostDeals wonValueUsd
    entries { kind id title clientName jobId shareLinks views closedDeal deal { outcome valueUsd decidedOn note } } } }`;
  const DEAL = `mutation($i:RecordReportDealInput!){ recordReportDeal(input:$i){ __typename ... on AppError { code field } ... on RecordReportDealSuccess { data { outcome valueUsd decidedOn } } } }`;

  it("lists validation and custom reports, searchable by client, prospect and job", async () => {
    const all = RESULT(await app.gql(LIBRARY, {}, engineer));
    expect(all.entries.map((e: any) => [e.kind, e.id])).toEqual(
      expect.arrayContaining([
        ["VALIDATION", runId],
        ["CUSTOM", customId],
      ]),
    );
    expect(all.sharedReports).toBe(2);
    const validation = all.entries.find((e: any) => e.id === runId);
    expect(validation).toMatchObject({
      title: "Validation report: Acme advisor",
      clientName: "Acme Bank",
      jobId,
      shareLinks: 1,
      closedDeal: false,
      deal: null,
    });
    expect(validation.views).toBeGreaterThanOrEqual(1);
    expect(RESULT(await app.gql(LIBRARY, { s: "acme BANK" }, engineer)).entries.map((e: any) => e.id)).toEqual([runId]);
    expect(RESULT(await app.gql(LIBRARY, { s: "globex" }, engineer)).entries.map((e: any) => e.id)).toEqual([customId]);
    expect(RESULT(await app.gql(LIBRARY, { s: "nobody" }, engineer)).entries).toEqual([]);
    expect(RESULT(await app.gql(LIBRARY, {}, await createOtherOrganization(app))).entries).toEqual([]);
  });

  it("records what came of a report (owners only) and shows which reports led to closed deals", async () => {
    const refused = await app.gql(DEAL, { i: { runId, outcome: "WON", valueUsd: 20000 } }, qa);
    expect(refused.errors?.[0].extensions.code ?? RESULT(refused).code).toBe("FORBIDDEN");
    expect(RESULT(await app.gql(DEAL, { i: { runId, outcome: "WON" } }, owner))).toMatchObject({ code: "VALIDATION", field: "valueUsd" });
    expect(RESULT(await app.gql(DEAL, { i: { outcome: "WON", valueUsd: 1 } }, owner))).toMatchObject({
      code: "VALIDATION",
      field: "runId",
    });
    const won = RESULT(
      await app.gql(DEAL, { i: { runId, outcome: "WON", valueUsd: 20000, decidedOn: "2026-11-30T00:00:00.000Z" } }, owner),
    );
    expect(won.data).toEqual({ outcome: "WON", valueUsd: 20000, decidedOn: "2026-11-30T00:00:00.000Z" });
    expect(RESULT(await app.gql(DEAL, { i: { customReportId: customId, outcome: "LOST" } }, owner)).data.outcome).toBe("LOST");

    const library = RESULT(await app.gql(LIBRARY, {}, engineer));
    expect(library).toMatchObject({ wonDeals: 1, lostDeals: 1, wonValueUsd: 20000 });
    expect(library.entries.find((e: any) => e.id === runId)).toMatchObject({ closedDeal: true, deal: { outcome: "WON", valueUsd: 20000 } });
    expect(RESULT(await app.gql(LIBRARY, { o: "WON" }, engineer)).entries.map((e: any) => e.id)).toEqual([runId]);
    // Recording again replaces the deal.
    await app.gql(DEAL, { i: { runId, outcome: "WON", valueUsd: 25000 } }, owner);
    expect(RESULT(await app.gql(LIBRARY, { o: "WON" }, engineer)).wonValueUsd).toBe(25000);
  });

  it("writes each recorded deal to the audit log: who, which report, the deal before and after", async () => {
    const AUDIT = `query($f:AuditFilter){ auditEvents(filter:$f){ edges { node { action actorEmail targetType targetId before after } } } }`;
    const events = async (targetId: string) =>
      RESULT(await app.gql(AUDIT, { f: { actions: ["report.deal_recorded"], targetId } }, owner)).edges.map((e: any) => e.node);
    const ownerEmail = (await app.gql(`{ me { email } }`, {}, owner)).data.me.email;

    // Newest first: the correction to $25,000 replaced the $20,000 win, which replaced nothing.
    const [corrected, first, ...rest] = await events(runId);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      action: "report.deal_recorded",
      actorEmail: ownerEmail,
      targetType: "ValidationRun",
      targetId: runId,
      before: null,
      after: { outcome: "WON", valueUsd: 20000, decidedOn: "2026-11-30T00:00:00.000Z", note: null },
    });
    expect(corrected).toMatchObject({
      before: { outcome: "WON", valueUsd: 20000 },
      after: { outcome: "WON", valueUsd: 25000 },
    });
    expect(await events(customId)).toMatchObject([
      { targetType: "CustomReport", before: null, after: { outcome: "LOST", valueUsd: null } },
    ]);
    // Refused and invalid deals record nothing.
    await app.gql(DEAL, { i: { customReportId: customId, outcome: "WON" } }, owner);
    await app.gql(DEAL, { i: { customReportId: customId, outcome: "OPEN" } }, qa);
    expect(await events(customId)).toHaveLength(1);
  });

  it("prices the report's cost-benefit section with the won deal when the job has no project", async () => {
    const report = RESULT(await app.gql(`query($id:ID!){ validationRun(id:$id){ report } }`, { id: runId }, owner)).report;
    const job = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(report.costBenefit).toMatchObject({ salePriceUsd: 25000, priceSource: "deal", earlierAttempts: 0, targetPct: 5 });
    expect(report.costBenefit.trainingCostUsd).toBeCloseTo(job.actualCostUsd, 6);
    expect(report.costBenefit.marginUsd).toBeCloseTo(25000 - job.actualCostUsd, 6);
  });
});
