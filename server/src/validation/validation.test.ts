import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { trainTinyJob, waitForValidation } from "@tuneloop/testing/validation";
import { KNOWLEDGE_QUESTIONS } from "./content/knowledgeQuestions.js";
import { SCENARIO_SYSTEM_PROMPT } from "./content/scenarios.js";
import type { RunDetails } from "./runner.js";
import { initBackend, scoreMultipleChoice, LoraAdapter, LlamaModel, defaultBaseModelDir, BpeTokenizer } from "@tuneloop/engine";
import { adapterDir } from "../serving/adapterFiles.js";

const RUN_FIELDS = `id status automatic stage progress settings heldOutConversations perplexityBase perplexityAdapted perplexityImprovementPct perplexityPassed
  knowledgeQuestions knowledgeBaseCorrect knowledgeAdaptedCorrect retentionPct retentionAlert knowledgeByCategory { category total baseCorrect adaptedCorrect }
  reviewClosedAt reviewItems { id position scenarioId prompt responseA responseB adaptedSide criteria { id group } myScores { side criterion score } }`;

let app: TestApp;
let job: Awaited<ReturnType<typeof trainTinyJob>>;
let run: any;

beforeAll(async () => {
  app = await startTestApp();
  // Shorter review answers keep this suite fast; everything else runs at its defaults (100 questions, 50 scenarios).
  const set = await app.gql(
    `mutation{ updateQualitySettings(input:{reviewMaxNewTokens:16}){ __typename ... on UpdateQualitySettingsSuccess { data { reviewMaxNewTokens } } } }`,
    {},
    await app.login("owner"),
  );
  expect(set.data.updateQualitySettings.data.reviewMaxNewTokens).toBe(16);
  job = await trainTinyJob(app);
  await waitForValidation(app, job.jobId);
  const result = await app.gql(`query($id:ID!){ job(id:$id){ status validationRuns { ${RUN_FIELDS} } } }`, { id: job.jobId }, job.session);
  expect(result.errors).toBeUndefined();
  expect(result.data.job.status).toBe("COMPLETED");
  run = result.data.job.validationRuns[0];
}, 300_000);
afterAll(() => app?.stop());

describe("automatic validation after training", () => {
  it("measures held-out perplexity of base and adapted model, matching the trainer's own measurement", () => {
    expect(run).toMatchObject({ status: "COMPLETED", automatic: true, progress: 1 });
    expect(run.settings).toMatchObject({
      perplexityPassMarkPct: 30,
      retentionAlertPct: 95,
      validationFraction: 0.2,
      questionCount: 100,
      scenarioCount: 50,
      generation: { maxNewTokens: 16, temperature: 0.7, topK: 40 },
    });
    // The review answers' seed is drawn per run and kept nowhere.
    expect(run.settings.generation).not.toHaveProperty("seed");
    expect(run.heldOutConversations).toBe(8); // 20% of 40
    // The worker measured the same split with the same engine in its own process.
    expect(run.perplexityBase).toBeCloseTo(job.summary.baseValPerplexity, 3);
    expect(run.perplexityAdapted).toBeCloseTo(job.summary.adaptedValPerplexity, 3);
    expect(run.perplexityAdapted).toBeLessThan(run.perplexityBase);
    expect(run.perplexityImprovementPct).toBeCloseTo(((run.perplexityBase - run.perplexityAdapted) / run.perplexityBase) * 100, 6);
    expect(run.perplexityPassed).toBe(run.perplexityImprovementPct >= 30);
  });

  it("gives the job its quality score (what the history sorts by) and its latest validation", async () => {
    const scored = await app.gql(
      `query($id:ID!){ job(id:$id){ qualityScore latestValidation { id perplexityImprovementPct } } }`,
      { id: job.jobId },
      job.session,
    );
    expect(scored.data.job.qualityScore).toBeCloseTo(run.perplexityImprovementPct, 6);
    expect(scored.data.job.latestValidation).toEqual({ id: run.id, perplexityImprovementPct: run.perplexityImprovementPct });
  });

  it("was computed by the worker that trained the job, one stored result per task", async () => {
    const results = await app.services.db.validationResult.findMany({ where: { runId: run.id } });
    // 2 perplexities, 2 × 4 chunks of 25 questions, 2 × 10 chunks of 5 scenarios.
    expect(results).toHaveLength(30);
    const claimed = await app.services.db.jobEvent.findFirstOrThrow({
      where: { jobId: job.jobId, type: "status_changed", message: { contains: "claimed the job" } },
    });
    expect(new Set(results.map((r) => r.workerId))).toEqual(new Set([(claimed.payload as { workerId: string }).workerId]));
  });

  it("scores the 100 knowledge questions by answer likelihood for both models", async () => {
    const stored = await app.services.db.validationRun.findUniqueOrThrow({ where: { id: run.id } });
    const details = stored.details as RunDetails;
    const answers = details.knowledge!.questions;
    expect(run.knowledgeQuestions).toBe(KNOWLEDGE_QUESTIONS.length);
    expect(run.knowledgeBaseCorrect).toBe(answers.filter((a) => a.base === a.answer).length);
    expect(run.knowledgeAdaptedCorrect).toBe(answers.filter((a) => a.adapted === a.answer).length);
    expect(run.retentionPct).toBeCloseTo(
      run.knowledgeBaseCorrect === 0 ? 100 : (run.knowledgeAdaptedCorrect / run.knowledgeBaseCorrect) * 100,
      6,
    );
    expect(run.retentionAlert).toBe(run.retentionPct < 95);
    expect(run.knowledgeByCategory.reduce((n: number, c: any) => n + c.total, 0)).toBe(100);

    // Recompute a few answers here, in this process, from the files the trainer uploaded.
    await initBackend();
    const dir = defaultBaseModelDir("tiny");
    const model = await LlamaModel.load(dir);
    const tok = await BpeTokenizer.load(dir);
    const adapter = await LoraAdapter.load(await adapterDir(app.services, job.jobId), model.config);
    for (const q of KNOWLEDGE_QUESTIONS.slice(0, 6)) {
      const d = answers.find((a) => a.id === q.id)!;
      expect(scoreMultipleChoice(model, tok, q.question, q.options).best).toBe(d.base);
      expect(scoreMultipleChoice(model, tok, q.question, q.options, { adapter }).best).toBe(d.adapted);
    }
    model.dispose();
    adapter.dispose();
  });

  it("raises an alert when retention is under the alert level", async () => {
    const alerts = await app.services.db.alert.findMany({ where: { jobId: job.jobId, type: "knowledge_retention" } });
    expect(alerts.length).toBe(run.retentionAlert ? 1 : 0);
  });

  it("generates base and adapted responses for the 50 scenarios, blind to reviewers", () => {
    expect(run.reviewItems).toHaveLength(50);
    expect(run.reviewItems.filter((i: any) => i.criteria.length === 13)).toHaveLength(30);
    expect(run.reviewItems.every((i: any) => i.adaptedSide === null)).toBe(true);
    const sides = run.reviewItems.map((i: any) => `${i.responseA}\u0000${i.responseB}`);
    expect(new Set(sides).size).toBeGreaterThan(1);
    expect(run.reviewItems.some((i: any) => i.responseA !== i.responseB)).toBe(true);
  });

  it("keeps the review blind: the playground cannot reproduce the review answers to tell the sides apart", async () => {
    const items = run.reviewItems.slice(0, 10);
    const PLAY = `query($j:ID!,$p:String!,$s:String!){ playground(jobId:$j, prompt:$p, system:$s, options:{maxNewTokens:16}){ base { text } adapted { text } } }`;
    let reproduced = 0;
    for (const item of items) {
      const play = await app.gql(PLAY, { j: job.jobId, p: item.prompt, s: SCENARIO_SYSTEM_PROMPT }, job.session);
      expect(play.errors).toBeUndefined();
      const { base, adapted } = play.data.playground;
      // With greedy review answers, these are the same texts, and say which side is the adapter.
      if ([adapted.text.trim(), base.text.trim()].sort().join("\u0000") === [item.responseA, item.responseB].sort().join("\u0000"))
        reproduced++;
    }
    expect(reproduced).toBeLessThan(items.length / 2);
  });
});

const SCORE = `mutation($id:ID!,$s:[ReviewScoreInput!]!){ scoreReviewItem(itemId:$id, scores:$s){ __typename
  ... on AppError { code message field } ... on ScoreReviewItemSuccess { data { id myScores { side criterion score } } } } }`;
const CLOSE = `mutation($id:ID!){ closeReview(runId:$id){ __typename ... on AppError { code message field }
  ... on CloseReviewSuccess { data { reviewClosedAt reviewResults { reviewers scores completeItems
    emotionalIntelligence { base adapted improvementPct byCriterion { criterion base adapted } }
    brandVoice { base adapted improvementPct adaptedAlignmentPct }
    flags { itemId model criterion score } } reviewItems { id adaptedSide } } } } }`;

describe("human review", () => {
  it("lets QA score responses blind, refuses bad scores and other roles, and reveals results only when closed", async () => {
    const qa = await app.login("qa");
    const engineer = job.session;
    const [first, second] = run.reviewItems;

    const forbidden = await app.gql(SCORE, { id: first.id, s: [{ side: "A", criterion: "empathy", score: 4 }] }, engineer);
    expect(forbidden.errors?.[0].extensions.code).toBe("FORBIDDEN");
    const tooHigh = await app.gql(SCORE, { id: first.id, s: [{ side: "A", criterion: "empathy", score: 6 }] }, qa);
    expect(tooHigh.data.scoreReviewItem).toMatchObject({ code: "VALIDATION", field: "scores.0.score" });
    const notOnItem = await app.gql(SCORE, { id: run.reviewItems[40].id, s: [{ side: "A", criterion: "warmth", score: 3 }] }, qa);
    expect(notOnItem.data.scoreReviewItem).toMatchObject({ code: "VALIDATION", field: "scores.0.criterion" });

    // Open review: no results, no sides.
    const open = await app.gql(`query($id:ID!){ validationRun(id:$id){ reviewResults { scores } } }`, { id: run.id }, qa);
    expect(open.data.validationRun.reviewResults).toBeNull();

    // A scores 5 on every criterion of the first item, B scores 2; on the second, A 3 and B 4.
    const all = (item: any, side: string, score: number) => item.criteria.map((c: any) => ({ side, criterion: c.id, score }));
    const s1 = await app.gql(SCORE, { id: first.id, s: [...all(first, "A", 5), ...all(first, "B", 2)] }, qa);
    expect(s1.data.scoreReviewItem.__typename).toBe("ScoreReviewItemSuccess");
    expect(s1.data.scoreReviewItem.data.myScores).toHaveLength(first.criteria.length * 2);
    await app.gql(SCORE, { id: second.id, s: [...all(second, "A", 1), ...all(second, "B", 4)] }, qa);
    // Scoring again replaces, it does not add.
    await app.gql(SCORE, { id: second.id, s: all(second, "A", 3) }, qa);

    const closed = await app.gql(CLOSE, { id: run.id }, qa);
    const data = closed.data.closeReview.data;
    expect(data.reviewClosedAt).toBeTruthy();
    const side = (id: string) => data.reviewItems.find((i: any) => i.id === id).adaptedSide;
    expect(["A", "B"]).toContain(side(first.id));
    // Expected averages from the sides revealed.
    const scoreOf = (item: any, adapted: boolean) =>
      (side(item.id) === "A") === adapted ? (item === first ? 5 : 3) : item === first ? 2 : 4;
    const eiMean = (adapted: boolean) => (scoreOf(first, adapted) * 3 + scoreOf(second, adapted) * 3) / 6;
    const r = data.reviewResults;
    expect(r).toMatchObject({ reviewers: 1, completeItems: 2, scores: first.criteria.length * 2 + second.criteria.length * 2 });
    expect(r.emotionalIntelligence.adapted).toBeCloseTo(eiMean(true), 6);
    expect(r.emotionalIntelligence.base).toBeCloseTo(eiMean(false), 6);
    expect(r.emotionalIntelligence.improvementPct).toBeCloseTo(((eiMean(true) - eiMean(false)) / eiMean(false)) * 100, 6);
    // Both items are among the first 30, which also carry the brand-voice rubric.
    const brand = (scoreOf(first, true) + scoreOf(second, true)) / 2;
    expect(r.brandVoice.adapted).toBeCloseTo(brand, 6);
    expect(r.brandVoice.adaptedAlignmentPct).toBeCloseTo((brand / 5) * 100, 6);
    // Every score of 2 (first item, side B) is flagged, on every criterion.
    expect(r.flags).toHaveLength(first.criteria.length);
    expect(
      r.flags.every((f: any) => f.itemId === first.id && f.score === 2 && f.model === (side(first.id) === "B" ? "adapted" : "base")),
    ).toBe(true);

    const again = await app.gql(SCORE, { id: first.id, s: [{ side: "A", criterion: "empathy", score: 4 }] }, qa);
    expect(again.data.scoreReviewItem.code).toBe("CONFLICT");
  });
});

describe("validation on demand", () => {
  it("runs a quick validation of a completed job without changing its status", async () => {
    const queued = await app.gql(
      `mutation($j:ID!){ runValidation(jobId:$j, options:{questionCount:8, scenarioCount:2, maxNewTokens:8}){ __typename ... on AppError { code message field } ... on RunValidationSuccess { data { id status automatic } } } }`,
      { j: job.jobId },
      job.session,
    );
    expect(queued.data.runValidation.data).toMatchObject({ status: "PENDING", automatic: false });
    // A worker with nothing to train takes the run (waitForValidation runs one).
    const done = await waitForValidation(app, job.jobId);
    expect(done.id).toBe(queued.data.runValidation.data.id);
    expect(done).toMatchObject({ status: "COMPLETED", knowledgeQuestions: 8 });
    // Same adapter, same held-out chats: the same perplexities as the automatic run.
    expect(done.perplexityAdapted).toBeCloseTo(run.perplexityAdapted, 6);
    expect(await app.services.db.reviewItem.count({ where: { runId: done.id } })).toBe(2);
    const status = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } });
    expect(status.status).toBe("COMPLETED");

    const bad = await app.gql(
      `mutation($j:ID!){ runValidation(jobId:$j, options:{questionCount:500}){ __typename ... on AppError { code field } } }`,
      { j: job.jobId },
      job.session,
    );
    expect(bad.data.runValidation).toMatchObject({ code: "VALIDATION", field: "questionCount" });
  });

  it("takes a worker's results only in the shape of their task, and a worker's failure fails the run", async () => {
    const queued = await app.gql(
      `mutation($j:ID!){ runValidation(jobId:$j, options:{questionCount:3, scenarioCount:1}){ ... on RunValidationSuccess { data { id } } } }`,
      { j: job.jobId },
      job.session,
    );
    const runId = queued.data.runValidation.data.id;
    const CLAIM = `mutation($w:String!){ claimValidationRun(workerId:$w, backends:["typescript"]){ __typename ... on AppError { code }
      ... on ClaimValidationRunSuccess { data { claim { run { id status } settings tasks { key kind model questions { id options } prompts { messages { role } } } } } } } }`;
    const refused = await app.gql(CLAIM, { w: "probe" }, job.session);
    expect(refused.errors?.[0]?.extensions?.code ?? refused.data?.claimValidationRun?.code).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
    const key = (await app.gql(`mutation{ createApiKey(name:"probe", scopes:[WORKER]){ key } }`, {}, await app.login("owner"))).data
      .createApiKey.key;
    const claim = (await app.gql(CLAIM, { w: "probe" }, key)).data.claimValidationRun.data.claim;
    expect(claim.run).toEqual({ id: runId, status: "RUNNING" });
    expect(claim.settings).toMatchObject({ questionCount: 3, scenarioCount: 1 });
    expect(claim.tasks.map((t: any) => t.key)).toEqual([
      "perplexity:base",
      "perplexity:adapted",
      "knowledge:base:0",
      "knowledge:adapted:0",
      "review:base:0",
      "review:adapted:0",
    ]);
    expect(claim.tasks[2]).toMatchObject({ kind: "MULTIPLE_CHOICE", model: "BASE" });
    expect(claim.tasks[2].questions).toHaveLength(3);

    const REPORT = `mutation($r:ID!,$w:String!,$k:String!,$v:JSON!){ reportValidationResult(runId:$r, workerId:$w, key:$k, result:$v){ __typename ... on AppError { code field message } ... on ReportValidationResultSuccess { data { progress } } } }`;
    const report = async (k: string, v: unknown, w = "probe") =>
      (await app.gql(REPORT, { r: runId, w, k, v }, key)).data.reportValidationResult;
    expect(await report("knowledge:base:0", { best: [0, 1] })).toMatchObject({ code: "VALIDATION", field: "result" });
    expect(await report("knowledge:base:0", { best: [0, 1, 9] })).toMatchObject({ code: "VALIDATION", field: "result" });
    expect(await report("perplexity:base", { loss: 1, perplexity: -2, tokens: 3, conversations: 1 })).toMatchObject({
      code: "VALIDATION",
      field: "result",
    });
    expect(await report("knowledge:base:7", { best: [] })).toMatchObject({ code: "VALIDATION", field: "key" });
    expect(await report("knowledge:base:0", { best: [0, 1, 2] }, "someone-else")).toMatchObject({ code: "CONFLICT" });
    expect((await report("knowledge:base:0", { best: [0, 1, 2] })).data.progress).toBeCloseTo(1 / 6, 9);
    expect((await report("knowledge:base:0", { best: [2, 2, 2] })).data.progress).toBeCloseTo(1 / 6, 9);
    expect(
      (await app.services.db.validationResult.findUniqueOrThrow({ where: { runId_key: { runId, key: "knowledge:base:0" } } })).result,
    ).toEqual({ best: [0, 1, 2] });

    const failed = await app.gql(
      `mutation($r:ID!){ failValidationRun(runId:$r, workerId:"probe", message:"CUDA out of memory"){ ... on FailValidationRunSuccess { data { status error } } } }`,
      { r: runId },
      key,
    );
    expect(failed.data.failValidationRun.data).toEqual({ status: "FAILED", error: "CUDA out of memory" });
    expect(await report("knowledge:adapted:0", { best: [0, 1, 2] })).toMatchObject({ code: "CONFLICT" });
    expect((await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.jobId } })).status).toBe("COMPLETED");
  });
});
