import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { PRESETS } from "./config.js";
import { FINAL_STATUSES } from "./stateMachine.js";
import { PresetEnum, PricingTierEnum, JobSettingsInput, RetryOverrides } from "./inputs.js";
import { jobOrderBy, jobWhere } from "./list.js";
import { jobTrends, type TrendRow } from "./history.js";
import { AppError } from "../errors.js";
import { cancelJob, createJob, deleteJob, findOwnJob, retryJob, startJob, updateJobDetails } from "./service.js";

export const JobStatusEnum = builder.enumType("JobStatus", {
  values: [
    "PENDING",
    "QUEUED",
    "PROVISIONING",
    "PREPROCESSING",
    "MODEL_LOADING",
    "TRAINING",
    "FINALIZATION",
    "VALIDATION",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "RECOVERING",
  ] as const,
});

export const TrainingJob = builder.prismaObject("TrainingJob", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    notes: t.exposeString("notes", { nullable: true }),
    tags: t.stringList({ select: { tags: { select: { tag: true } } }, resolve: (job) => job.tags.map((t) => t.tag).sort() }),
    status: t.expose("status", { type: JobStatusEnum }),
    isFinal: t.boolean({
      description: "The job has finished (completed, failed or cancelled): its status, cost and metrics no longer change.",
      resolve: (job) => FINAL_STATUSES.includes(job.status),
    }),
    stage: t.exposeString("stage", { nullable: true }),
    preset: t.expose("preset", { type: PresetEnum }),
    config: t.expose("config", { type: "JSON", description: "The resolved hyperparameters the trainer uses." }),
    progress: t.exposeFloat("progress", { description: "0–100." }),
    currentEpoch: t.exposeFloat("currentEpoch", { nullable: true }),
    totalEpochs: t.exposeInt("totalEpochs"),
    currentStep: t.exposeInt("currentStep"),
    totalSteps: t.exposeInt("totalSteps", { nullable: true }),
    latestLoss: t.exposeFloat("latestLoss", { nullable: true }),
    latestValLoss: t.exposeFloat("latestValLoss", { nullable: true }),
    latestLearningRate: t.exposeFloat("latestLearningRate", { nullable: true }),
    latestPerplexity: t.exposeFloat("latestPerplexity", { nullable: true }),
    estimatedCostUsd: t.exposeFloat("estimatedCostUsd"),
    estimatedCostLowUsd: t.exposeFloat("estimatedCostLowUsd"),
    estimatedCostHighUsd: t.exposeFloat("estimatedCostHighUsd"),
    actualCostUsd: t.exposeFloat("actualCostUsd"),
    estimatedDurationSec: t.exposeFloat("estimatedDurationSec"),
    actualDurationSec: t.exposeFloat("actualDurationSec", { nullable: true }),
    billableSeconds: t.exposeFloat("billableSeconds", { description: "Time billed so far, including time lost to interruptions." }),
    gpuType: t.exposeString("gpuType"),
    pricingTier: t.expose("pricingTier", { type: PricingTierEnum }),
    hourlyRateUsd: t.exposeFloat("hourlyRateUsd"),
    errorType: t.exposeString("errorType", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    retryCount: t.exposeInt("retryCount"),
    recoveryCount: t.exposeInt("recoveryCount", { description: "How many times the job resumed from a checkpoint after an interruption." }),
    autoRetryAt: t.expose("autoRetryAt", {
      type: "DateTime",
      nullable: true,
      description: "A transient failure is retried by itself at this time (AUTO_RETRY_DELAY_SECONDS after it); null when none is due.",
    }),
    autoRetryAttempt: t.exposeInt("autoRetryAttempt", {
      description: "How many automatic retries in a row led to this job (at most AUTO_RETRY_MAX).",
    }),
    qualityScore: t.exposeFloat("qualityScore", {
      nullable: true,
      description: "Perplexity improvement (%) of the job's latest completed validation run: the history's quality score.",
    }),
    clientName: t.exposeString("clientName", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    queuedAt: t.expose("queuedAt", { type: "DateTime", nullable: true }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    lastReportAt: t.expose("lastReportAt", { type: "DateTime", nullable: true }),
    stalledAt: t.expose("stalledAt", { type: "DateTime", nullable: true }),
    dataset: t.relation("dataset"),
    createdBy: t.relation("createdBy"),
    retryOf: t.relation("retryOf", { nullable: true }),
  }),
});

const JobFilterInput = builder.inputType("JobFilter", {
  fields: (t) => ({
    status: t.field({ type: [JobStatusEnum] }),
    createdAfter: t.field({ type: "DateTime" }),
    createdBefore: t.field({ type: "DateTime" }),
    createdById: t.id(),
    tag: t.string(),
    preset: t.field({ type: [PresetEnum] }),
    minCostUsd: t.float({ description: "Actual cost so far, in dollars." }),
    maxCostUsd: t.float(),
    search: t.string({ description: "Words in the name, description or notes." }),
    projectId: t.id(),
  }),
});

const JobSortField = builder.enumType("JobSortField", {
  values: {
    CREATED_AT: {},
    NAME: {},
    COST: {},
    STATUS: {},
    DURATION: { description: "Actual duration; unfinished jobs last." },
    PROGRESS: {},
    QUALITY: { description: "Quality score (perplexity improvement of the latest validation); jobs never validated last." },
  } as const,
});
const SortDirection = builder.enumType("SortDirection", { values: ["ASC", "DESC"] as const });
const JobSortInput = builder.inputType("JobSort", {
  fields: (t) => ({
    field: t.field({ type: JobSortField, required: true }),
    direction: t.field({ type: SortDirection, defaultValue: "DESC" }),
  }),
});

const JobTrendRow = builder.objectRef<TrendRow>("JobTrendRow").implement({
  fields: (t) => ({
    month: t.exposeString("month", { description: "YYYY-MM (UTC), by the jobs' creation." }),
    preset: t.field({
      type: PresetEnum,
      nullable: true,
      description: "Null: every preset of the month.",
      resolve: (r) => r.preset as "BALANCED" | null,
    }),
    jobs: t.exposeInt("jobs"),
    completed: t.exposeInt("completed"),
    failed: t.exposeInt("failed"),
    cancelled: t.exposeInt("cancelled"),
    successRate: t.exposeFloat("successRate", { nullable: true, description: "Completed ÷ (completed + failed), 0–1." }),
    averageCostUsd: t.exposeFloat("averageCostUsd", { nullable: true, description: "Of the jobs that ended." }),
    averageDurationSec: t.exposeFloat("averageDurationSec", { nullable: true }),
    averageQualityScore: t.exposeFloat("averageQualityScore", {
      nullable: true,
      description: "Mean perplexity improvement (%) of the validated jobs.",
    }),
  }),
});

const PresetInfo = builder.objectRef<{ id: keyof typeof PRESETS } & (typeof PRESETS)[keyof typeof PRESETS]>("PresetInfo").implement({
  fields: (t) => ({
    id: t.field({ type: PresetEnum, resolve: (p) => p.id }),
    title: t.exposeString("title"),
    explanation: t.exposeString("explanation"),
    rank: t.exposeInt("rank"),
    alpha: t.int({ resolve: (p) => p.rank * 2 }),
    learningRate: t.exposeFloat("learningRate"),
    epochs: t.exposeInt("epochs"),
    isDefault: t.boolean({ resolve: (p) => p.id === "BALANCED" }),
  }),
});

builder.queryFields((t) => ({
  jobs: t.withAuth({ user: true }).prismaConnection({
    type: "TrainingJob",
    cursor: "id",
    defaultSize: 25,
    maxSize: 200,
    args: { filter: t.arg({ type: JobFilterInput }), sort: t.arg({ type: JobSortInput }) },
    totalCount: (_parent, args, ctx) => ctx.db.trainingJob.count({ where: jobWhere(ctx.viewer.orgId, args.filter, ctx.provider) }),
    resolve: (query, _root, args, ctx) =>
      ctx.db.trainingJob.findMany({
        ...query,
        where: jobWhere(ctx.viewer.orgId, args.filter, ctx.provider),
        orderBy: jobOrderBy(args.sort?.field, args.sort?.direction ?? "DESC"),
      }),
  }),
  job: t.withAuth({ user: true }).prismaField({
    type: "TrainingJob",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const job = await findOwnJob(ctx, ctx.viewer, String(id));
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
  jobTrends: t.withAuth({ user: true }).field({
    type: [JobTrendRow],
    description:
      "The organization's jobs per month (preset null) and per month and preset, oldest first: success rate, average cost, duration and quality score.",
    args: { months: t.arg.int({ defaultValue: 12, description: "1–36 months back, this one included." }) },
    resolve: (_root, { months }, ctx) => {
      const count = months ?? 12;
      if (count < 1 || count > 36) throw new AppError("VALIDATION", "months must be between 1 and 36", "months");
      return jobTrends(ctx.db, ctx.viewer.orgId, count);
    },
  }),
  presets: t.field({
    type: [PresetInfo],
    resolve: () => (Object.keys(PRESETS) as (keyof typeof PRESETS)[]).map((id) => ({ id, ...PRESETS[id] })),
  }),
}));

const CreateJobInput = builder.inputType("CreateTrainingJobInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    notes: t.string(),
    tags: t.stringList(),
    clientName: t.string({ description: "Client the work is for, for attribution and invoices." }),
    projectId: t.id(),
    settings: t.field({ type: JobSettingsInput, required: true }),
    start: t.boolean({
      defaultValue: false,
      description: "Queue the job at once (above the approval threshold it waits, PENDING, for an owner).",
    }),
    budgetOverrideReason: t.string({ description: "Owners only: why this job may take the month over its budget (recorded)." }),
    templateId: t.id({ description: "The template the settings came from: counted as one use of it." }),
  }),
});

/** A mutation that answers with the job, or with a typed error (AppError) in the named success union. */
export const jobPayload = (name: string) => ({ type: "TrainingJob", errors: { result: { name } } }) as const;

builder.mutationFields((t) => ({
  createTrainingJob: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    ...jobPayload("CreateTrainingJobSuccess"),
    args: { input: t.arg({ type: CreateJobInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const { settings, ...rest } = input;
      const job = await createJob(ctx, ctx.viewer, {
        ...rest,
        ...settings,
        datasetId: String(settings.datasetId),
        projectId: rest.projectId ? String(rest.projectId) : null,
        templateId: rest.templateId ? String(rest.templateId) : null,
      });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
  startTrainingJob: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    ...jobPayload("StartTrainingJobSuccess"),
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const job = await startJob(ctx, ctx.viewer, String(id));
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
  cancelTrainingJob: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    ...jobPayload("CancelTrainingJobSuccess"),
    args: { id: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: async (query, _root, { id, reason }, ctx) => {
      const job = await cancelJob(ctx, ctx.viewer, String(id), reason);
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
  retryTrainingJob: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    ...jobPayload("RetryTrainingJobSuccess"),
    args: {
      id: t.arg.id({ required: true }),
      overrides: t.arg({ type: RetryOverrides, description: "Settings to change for the new attempt; they win over the suggested fix." }),
      applySuggestedFix: t.arg.boolean({
        defaultValue: true,
        description: "Apply the failure's suggested changes (see failureGuidance); the new job's retryDiff shows what changed.",
      }),
    },
    resolve: async (query, _root, { id, overrides, applySuggestedFix }, ctx) => {
      const job = await retryJob(ctx, ctx.viewer, String(id), overrides, applySuggestedFix ?? true);
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
  deleteTrainingJob: t.withAuth({ role: ROLES_THAT.train }).field({
    type: "ID",
    errors: { result: { name: "DeleteTrainingJobSuccess" } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => (await deleteJob(ctx, ctx.viewer, String(id))).id,
  }),
  updateTrainingJob: t.withAuth({ role: ROLES_THAT.contribute }).prismaField({
    ...jobPayload("UpdateTrainingJobSuccess"),
    description: "Edit a job's name, description, notes and tags.",
    args: {
      id: t.arg.id({ required: true }),
      name: t.arg.string(),
      description: t.arg.string(),
      notes: t.arg.string(),
      tags: t.arg.stringList(),
    },
    resolve: async (query, _root, { id, ...input }, ctx) => {
      const job = await updateJobDetails(ctx, ctx.viewer, String(id), input);
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
}));

const JobListChange = builder.enumType("JobListChange", { values: ["CREATED", "UPDATED", "DELETED"] as const });

const JobListEvent = builder.objectRef<{ jobId: string; change: "CREATED" | "UPDATED" | "DELETED" }>("JobListEvent").implement({
  fields: (t) => ({
    jobId: t.exposeID("jobId"),
    change: t.expose("change", { type: JobListChange }),
    // The job itself, so that a list shows the change without asking for each job
    // (events come from the viewer's organization's channel only).
    job: t.prismaField({
      type: "TrainingJob",
      nullable: true,
      description: "The job as it is now; null once deleted.",
      resolve: (query, event, _args, ctx) =>
        event.change === "DELETED" ? null : ctx.db.trainingJob.findUnique({ ...query, where: { id: event.jobId } }),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  trainingJobUpdated: t.withAuth({ user: true }).prismaField({
    type: "TrainingJob",
    description: "The job each time its status, progress, metrics summary or cost changes.",
    args: { id: t.arg.id({ required: true }) },
    subscribe: async (_root, { id }, ctx) => {
      await findOwnJob(ctx, ctx.viewer, String(id));
      return ctx.pubsub.subscribe("job:updated", String(id));
    },
    resolve: (query, payload, _args, ctx) =>
      ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: (payload as unknown as { jobId: string }).jobId } }),
  }),
  jobListChanged: t.withAuth({ user: true }).field({
    type: JobListEvent,
    description: "A job of the organization was created, changed or deleted.",
    subscribe: (_root, _args, ctx) => ctx.pubsub.subscribe("org:jobs", ctx.viewer.orgId),
    resolve: (payload) => ({ jobId: payload.jobId, change: payload.change.toUpperCase() as "CREATED" | "UPDATED" | "DELETED" }),
  }),
}));
