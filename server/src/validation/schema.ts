import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { findOwnJob } from "../jobs/service.js";
import { ALL_CRITERIA, criterionById, type Criterion } from "./content/rubric.js";
import { SCENARIOS } from "./content/scenarios.js";
import { KNOWLEDGE_QUESTIONS } from "./content/knowledgeQuestions.js";
import type { RunDetails } from "./runner.js";
import { whichSide, type GroupSummary, type ReviewSummary } from "./metrics.js";
import { closeReview, findOwnRun, requestValidation, reviewResults, scoreReviewItem } from "./service.js";
import { qualitySettings, updateQualitySettings } from "./settings.js";
import { audit } from "../audit/service.js";

const scenarioById = new Map(SCENARIOS.map((s) => [s.id, s]));

export const ValidationStatusEnum = builder.enumType("ValidationStatus", {
  values: ["PENDING", "RUNNING", "COMPLETED", "FAILED"] as const,
});

const CriterionRef = builder.objectRef<Criterion>("ReviewCriterion").implement({
  description: "What reviewers score, 1 (poor) to 5 (excellent).",
  fields: (t) => ({
    id: t.exposeString("id"),
    group: t.exposeString("group", { description: "emotional_intelligence or brand_voice." }),
    name: t.exposeString("name"),
    description: t.exposeString("description"),
    one: t.exposeString("one", { description: "What a 1 looks like." }),
    five: t.exposeString("five", { description: "What a 5 looks like." }),
  }),
});

const KnowledgeCategoryResult = builder.simpleObject("KnowledgeCategoryResult", {
  fields: (t) => ({ category: t.string(), total: t.int(), baseCorrect: t.int(), adaptedCorrect: t.int() }),
});

const CriterionAverage = builder.simpleObject("CriterionAverage", {
  fields: (t) => ({ criterion: t.string(), name: t.string(), base: t.float({ nullable: true }), adapted: t.float({ nullable: true }) }),
});

const ReviewGroup = builder.objectRef<GroupSummary>("ReviewGroupResult").implement({
  fields: (t) => ({
    base: t.float({ nullable: true, description: "Average score of the base model's responses.", resolve: (g) => g.base }),
    adapted: t.float({ nullable: true, resolve: (g) => g.adapted }),
    improvementPct: t.float({ nullable: true, description: "(adapted − base) / base × 100.", resolve: (g) => g.improvementPct }),
    adaptedAlignmentPct: t.float({
      nullable: true,
      description: "Adapted average ÷ 5 × 100 (brand voice target: 85%).",
      resolve: (g) => g.adaptedAlignmentPct,
    }),
    byCriterion: t.field({ type: [CriterionAverage], resolve: (g) => g.byCriterion }),
  }),
});

const ReviewFlag = builder.simpleObject("ReviewFlag", {
  description: "A response scored under 3 on a criterion.",
  fields: (t) => ({
    itemId: t.id(),
    scenarioId: t.string(),
    model: t.string({ description: "base or adapted." }),
    criterion: t.string(),
    score: t.int(),
  }),
});

const ReviewResults = builder.objectRef<ReviewSummary>("ReviewResults").implement({
  description: "Human review results, available once the review is closed.",
  fields: (t) => ({
    items: t.exposeInt("items"),
    completeItems: t.exposeInt("completeItems"),
    reviewers: t.exposeInt("reviewers"),
    scores: t.exposeInt("scores"),
    emotionalIntelligence: t.field({ type: ReviewGroup, resolve: (r) => r.emotionalIntelligence }),
    brandVoice: t.field({ type: ReviewGroup, resolve: (r) => r.brandVoice }),
    flags: t.field({ type: [ReviewFlag], resolve: (r) => r.flags.map((f) => ({ ...f, model: f.which })) }),
  }),
});

const ReviewScoreRef = builder.prismaObject("ReviewScore", {
  fields: (t) => ({ side: t.exposeString("side"), criterion: t.exposeString("criterion"), score: t.exposeInt("score") }),
});

builder.prismaObject("ReviewItem", {
  description:
    "A scenario with two responses, A and B: one from the base model, one from the adapted model, in an order reviewers are not told.",
  fields: (t) => ({
    id: t.exposeID("id"),
    position: t.exposeInt("position"),
    scenarioId: t.exposeString("scenarioId"),
    theme: t.string({ resolve: (i) => scenarioById.get(i.scenarioId)?.theme ?? "" }),
    guidance: t.string({ description: "What a strong response does.", resolve: (i) => scenarioById.get(i.scenarioId)?.goodResponse ?? "" }),
    prompt: t.exposeString("prompt"),
    responseA: t.string({ resolve: (i) => (i.adaptedIsA ? i.adaptedResponse : i.baseResponse) }),
    responseB: t.string({ resolve: (i) => (i.adaptedIsA ? i.baseResponse : i.adaptedResponse) }),
    criteria: t.field({ type: [CriterionRef], resolve: (i) => (i.criteria as string[]).map((id) => criterionById.get(id)!) }),
    myScores: t.relation("scores", {
      type: ReviewScoreRef,
      query: (_args, ctx) => ({ where: { reviewerId: ctx.viewer?.kind === "user" ? ctx.viewer.userId : "" } }),
    }),
    adaptedSide: t.string({
      nullable: true,
      description: "Which side was the adapted model; null until the review is closed.",
      select: { adaptedIsA: true, run: { select: { reviewClosedAt: true } } },
      resolve: (i) => (i.run.reviewClosedAt ? (whichSide(i, "A") === "adapted" ? "A" : "B") : null),
    }),
  }),
});

export const ValidationRun = builder.prismaObject("ValidationRun", {
  description:
    "An evaluation of a job's adapter against its base model: perplexity on held-out chats, knowledge retention, and responses for human review.",
  fields: (t) => ({
    id: t.exposeID("id"),
    job: t.relation("job"),
    status: t.expose("status", { type: ValidationStatusEnum }),
    automatic: t.boolean({
      description: "Started by the job's VALIDATION stage (else asked for by a user).",
      resolve: (r) => r.automaticForJobId !== null,
    }),
    stage: t.exposeString("stage", { nullable: true }),
    progress: t.exposeFloat("progress", { description: "0–1." }),
    settings: t.expose("settings", { type: "JSON", description: "Pass mark, alert level, samples and generation settings of this run." }),
    heldOutConversations: t.exposeInt("heldOutConversations", { nullable: true }),
    perplexityBase: t.exposeFloat("perplexityBase", { nullable: true }),
    perplexityAdapted: t.exposeFloat("perplexityAdapted", { nullable: true }),
    perplexityImprovementPct: t.exposeFloat("perplexityImprovementPct", { nullable: true }),
    perplexityPassed: t.exposeBoolean("perplexityPassed", { nullable: true }),
    knowledgeQuestions: t.exposeInt("knowledgeQuestions", { nullable: true }),
    knowledgeBaseCorrect: t.exposeInt("knowledgeBaseCorrect", { nullable: true }),
    knowledgeAdaptedCorrect: t.exposeInt("knowledgeAdaptedCorrect", { nullable: true }),
    retentionPct: t.exposeFloat("retentionPct", { nullable: true, description: "Adapted correct ÷ base correct × 100." }),
    retentionAlert: t.exposeBoolean("retentionAlert", { nullable: true }),
    knowledgeByCategory: t.field({
      type: [KnowledgeCategoryResult],
      resolve: (r) => Object.entries((r.details as RunDetails).knowledge?.byCategory ?? {}).map(([category, c]) => ({ category, ...c })),
    }),
    error: t.exposeString("error", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    reviewClosedAt: t.expose("reviewClosedAt", { type: "DateTime", nullable: true }),
    reviewItems: t.relation("reviewItems", { query: { orderBy: { position: "asc" } } }),
    reviewResults: t.field({ type: ReviewResults, nullable: true, resolve: (r, _args, ctx) => reviewResults(ctx, r) }),
  }),
});

builder.prismaObjectField("TrainingJob", "validationRuns", (t) =>
  t.relation("validationRuns", {
    description: "Validations of this job's adapter, newest first.",
    query: { orderBy: [{ createdAt: "desc" }, { id: "desc" }] },
  }),
);

builder.prismaObjectField("TrainingJob", "latestValidation", (t) =>
  t.field({
    type: ValidationRun,
    nullable: true,
    description: "The newest completed validation: the scores Compare and the job history show.",
    select: { id: true },
    resolve: (job, _args, ctx) =>
      ctx.db.validationRun.findFirst({ where: { jobId: job.id, status: "COMPLETED" }, orderBy: [{ finishedAt: "desc" }, { id: "desc" }] }),
  }),
);

builder.prismaObject("QualitySettings", {
  description: "The organization's validation pass marks and the gates a model must pass to be deployed (a null gate is not checked).",
  fields: (t) => ({
    perplexityPassMarkPct: t.exposeFloat("perplexityPassMarkPct"),
    retentionAlertPct: t.exposeFloat("retentionAlertPct"),
    gateMinPerplexityImprovementPct: t.exposeFloat("gateMinPerplexityImprovementPct", { nullable: true }),
    gateMinRetentionPct: t.exposeFloat("gateMinRetentionPct", { nullable: true }),
    gateMinReviewImprovementPct: t.exposeFloat("gateMinReviewImprovementPct", { nullable: true }),
    gateMinBrandVoicePct: t.exposeFloat("gateMinBrandVoicePct", { nullable: true }),
    gateRequireApproval: t.exposeBoolean("gateRequireApproval"),
    reviewMaxNewTokens: t.exposeInt("reviewMaxNewTokens", { description: "Length of the answers generated for human review, in tokens." }),
  }),
});

const EvaluationSuite = builder.simpleObject("EvaluationSuite", {
  description: "The shipped evaluation content.",
  fields: (t) => ({
    knowledgeQuestions: t.int(),
    scenarios: t.int(),
    criteria: t.field({ type: [CriterionRef] }),
  }),
});

builder.queryFields((t) => ({
  validationRun: t.withAuth({ user: true }).prismaField({
    type: "ValidationRun",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const run = await findOwnRun(ctx, ctx.viewer, String(id));
      return ctx.db.validationRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  qualitySettings: t.withAuth({ user: true }).prismaField({
    type: "QualitySettings",
    resolve: async (query, _root, _args, ctx) => {
      await qualitySettings(ctx.db, ctx.viewer.orgId);
      return ctx.db.qualitySettings.findUniqueOrThrow({ ...query, where: { orgId: ctx.viewer.orgId } });
    },
  }),
  evaluationSuite: t.field({
    type: EvaluationSuite,
    authScopes: { user: true },
    resolve: () => ({ knowledgeQuestions: KNOWLEDGE_QUESTIONS.length, scenarios: SCENARIOS.length, criteria: ALL_CRITERIA }),
  }),
}));

const RunValidationInput = builder.inputType("RunValidationInput", {
  description: "A quicker, partial run: fewer questions or scenarios, shorter responses. Everything when left out.",
  fields: (t) => ({ questionCount: t.int(), scenarioCount: t.int(), maxNewTokens: t.int() }),
});
const ReviewSide = builder.enumType("ReviewSide", { values: ["A", "B"] as const });
const ReviewScoreInput = builder.inputType("ReviewScoreInput", {
  fields: (t) => ({
    side: t.field({ type: ReviewSide, required: true }),
    criterion: t.string({ required: true }),
    score: t.int({ required: true }),
  }),
});
const QualitySettingsInput = builder.inputType("QualitySettingsInput", {
  description: "Fields left out stay as they are; a gate set to null is no longer checked.",
  fields: (t) => ({
    perplexityPassMarkPct: t.float(),
    retentionAlertPct: t.float(),
    gateMinPerplexityImprovementPct: t.float(),
    gateMinRetentionPct: t.float(),
    gateMinReviewImprovementPct: t.float(),
    gateMinBrandVoicePct: t.float(),
    gateRequireApproval: t.boolean(),
    reviewMaxNewTokens: t.int({ description: "1–256 tokens." }),
  }),
});

builder.mutationFields((t) => ({
  runValidation: t.withAuth({ role: ROLES_THAT.contribute }).prismaField({
    type: "ValidationRun",
    description: "Queue a validation of a finished job's adapter; follow it with validationRunUpdated.",
    errors: { result: { name: "RunValidationSuccess" } },
    args: { jobId: t.arg.id({ required: true }), options: t.arg({ type: RunValidationInput }) },
    resolve: async (query, _root, { jobId, options }, ctx) => {
      const run = await requestValidation(ctx, ctx.viewer, String(jobId), options ?? {});
      return ctx.db.validationRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  scoreReviewItem: t.withAuth({ role: ROLES_THAT.review }).prismaField({
    type: "ReviewItem",
    description: "Score responses A and B of a scenario, 1–5 per criterion. Sending a score again replaces it.",
    errors: { result: { name: "ScoreReviewItemSuccess" } },
    args: { itemId: t.arg.id({ required: true }), scores: t.arg({ type: [ReviewScoreInput], required: true }) },
    resolve: async (query, _root, { itemId, scores }, ctx) => {
      const item = await scoreReviewItem(ctx, ctx.viewer, String(itemId), scores);
      return ctx.db.reviewItem.findUniqueOrThrow({ ...query, where: { id: item.id } });
    },
  }),
  closeReview: t.withAuth({ role: ROLES_THAT.review }).prismaField({
    type: "ValidationRun",
    description: "End the human review of a run: results are computed and which side was the adapted model is revealed.",
    errors: { result: { name: "CloseReviewSuccess" } },
    args: { runId: t.arg.id({ required: true }) },
    resolve: async (query, _root, { runId }, ctx) => {
      const run = await closeReview(ctx, ctx.viewer, String(runId));
      return ctx.db.validationRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  updateQualitySettings: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "QualitySettings",
    errors: { result: { name: "UpdateQualitySettingsSuccess" } },
    args: { input: t.arg({ type: QualitySettingsInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const before = await ctx.db.qualitySettings.findUnique({ where: { orgId: ctx.viewer.orgId } });
      await updateQualitySettings(ctx.db, ctx.viewer.orgId, input);
      await audit(ctx, "quality.settings_changed", { target: { type: "Organization", id: ctx.viewer.orgId }, before, after: input });
      return ctx.db.qualitySettings.findUniqueOrThrow({ ...query, where: { orgId: ctx.viewer.orgId } });
    },
  }),
}));

builder.subscriptionFields((t) => ({
  validationRunUpdated: t.withAuth({ user: true }).prismaField({
    type: "ValidationRun",
    description: "A validation run of the job was queued, progressed, finished or received review scores.",
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: async (_root, { jobId }, ctx) => {
      await findOwnJob(ctx, ctx.viewer, String(jobId));
      return ctx.pubsub.subscribe("validation:updated", String(jobId));
    },
    resolve: (query, payload, _args, ctx) =>
      ctx.db.validationRun.findUniqueOrThrow({ ...query, where: { id: (payload as unknown as { runId: string }).runId } }),
  }),
}));
