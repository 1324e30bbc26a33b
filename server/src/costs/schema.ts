import { builder } from "../builder.js";
import type { GpuType } from "./catalog.js";
import type { CostEstimate } from "./estimate.js";
import { resolveSettings } from "./service.js";
import { JobSettingsInput, PresetEnum } from "../jobs/inputs.js";
import { estimatorAccuracy, type EstimatorAccuracy } from "./calibration.js";
import { currentCostUsd, isCostOverrun, projectedCostUsd, remainingCostUsd, spendRateUsdPerHour } from "./live.js";
import { costAdvice, type CostAdvice } from "./advice.js";

const GpuTypeRef = builder.objectRef<GpuType>("GpuType").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    memoryGb: t.exposeFloat("memoryGb"),
    spotUsdPerHour: t.exposeFloat("spotUsdPerHour"),
    onDemandUsdPerHour: t.exposeFloat("onDemandUsdPerHour"),
    spotInterruptionsPerHour: t.exposeFloat("spotInterruptionsPerHour", {
      description: "Expected spot interruptions per hour of running.",
    }),
  }),
});

const StageEstimate = builder.objectRef<CostEstimate["stages"][number]>("StageEstimate").implement({
  fields: (t) => ({ stage: t.exposeString("stage"), seconds: t.exposeFloat("seconds") }),
});

export const CostEstimateRef = builder.objectRef<CostEstimate>("CostEstimate").implement({
  description: "Expected duration and cost of a job, as a range with its confidence.",
  fields: (t) => ({
    trainingTokens: t.exposeInt("trainingTokens"),
    durationSeconds: t.exposeFloat("durationSeconds"),
    durationLowSeconds: t.exposeFloat("durationLowSeconds"),
    durationHighSeconds: t.exposeFloat("durationHighSeconds"),
    costUsd: t.exposeFloat("costUsd"),
    costLowUsd: t.exposeFloat("costLowUsd"),
    costHighUsd: t.exposeFloat("costHighUsd"),
    hourlyRateUsd: t.exposeFloat("hourlyRateUsd"),
    uncertainty: t.exposeFloat("uncertainty"),
    confidence: t.exposeString("confidence"),
    throughputCorrection: t.exposeFloat("throughputCorrection", {
      description: "Measured ÷ catalog training speed learned from completed jobs of this preset and GPU (1 without history).",
    }),
    calibratedJobs: t.exposeInt("calibratedJobs", { description: "Completed jobs the correction comes from." }),
    stages: t.field({ type: [StageEstimate], resolve: (e) => e.stages }),
  }),
});

const AccuracyGroup = builder.objectRef<EstimatorAccuracy["groups"][number]>("EstimatorAccuracyGroup").implement({
  fields: (t) => ({
    preset: t.field({ type: PresetEnum, resolve: (g) => g.preset }),
    gpuType: t.exposeString("gpuType"),
    completedJobs: t.exposeInt("completedJobs"),
    withinTolerance: t.exposeInt("withinTolerance"),
    throughputCorrection: t.exposeFloat("throughputCorrection", {
      description: "The correction new estimates of this preset and GPU use.",
    }),
  }),
});

const EstimatorAccuracyRef = builder.objectRef<EstimatorAccuracy>("EstimatorAccuracy").implement({
  description: "How often completed jobs cost what they were estimated to (within ±15%; the target is 90% of jobs).",
  fields: (t) => ({
    completedJobs: t.exposeInt("completedJobs"),
    withinTolerance: t.exposeInt("withinTolerance"),
    share: t.exposeFloat("share", { nullable: true, description: "withinTolerance ÷ completedJobs (0–1); null before any job completes." }),
    tolerance: t.exposeFloat("tolerance"),
    target: t.exposeFloat("target"),
    meetsTarget: t.exposeBoolean("meetsTarget"),
    meanAbsoluteErrorPct: t.exposeFloat("meanAbsoluteErrorPct", { nullable: true }),
    groups: t.field({ type: [AccuracyGroup], resolve: (a) => a.groups }),
  }),
});

const moneySelect = {
  status: true,
  progress: true,
  estimatedCostUsd: true,
  actualCostUsd: true,
  hourlyRateUsd: true,
  startedAt: true,
  finishedAt: true,
  billingEndedAt: true,
  billableSeconds: true,
} as const;

builder.prismaObjectFields("TrainingJob", (t) => ({
  currentCostUsd: t.float({
    description:
      "Cost at this instant: billable time from the start until now (or the end), recovery included, × the rate. actualCostUsd is the same figure as of the last report.",
    select: moneySelect,
    resolve: (job) => currentCostUsd(job),
  }),
  remainingCostUsd: t.float({
    description: "What the job is still expected to cost: the part of its estimate its progress has not covered (0 once finished).",
    select: moneySelect,
    resolve: remainingCostUsd,
  }),
  projectedCostUsd: t.float({
    description: "Spent so far plus the remaining estimate; the actual cost once finished.",
    select: moneySelect,
    resolve: (job) => projectedCostUsd(job),
  }),
  costVariancePct: t.float({
    description: "Projected (or final) cost against the estimate, in percent: +25 means 25% over.",
    select: moneySelect,
    resolve: (job) => (job.estimatedCostUsd > 0 ? (100 * (projectedCostUsd(job) - job.estimatedCostUsd)) / job.estimatedCostUsd : 0),
  }),
  costOverrun: t.boolean({
    description: "The cost so far passed 120% of the estimate (an alert was raised).",
    select: moneySelect,
    resolve: (job) => isCostOverrun(job),
  }),
  spendRateUsdPerHour: t.float({
    description: "Dollars per hour the job costs now (its rate while it holds a GPU, recovery included; 0 otherwise).",
    select: moneySelect,
    resolve: spendRateUsdPerHour,
  }),
}));

const CostAdviceKindEnum = builder.enumType("CostAdviceKind", { values: ["OUT_OF_MEMORY", "SPOT_SAVINGS", "PRESET_VALUE"] as const });

const field = <K extends string>(a: CostAdvice, key: K) => ((a as Record<string, unknown>)[key] ?? null) as never;
const CostAdviceRef = builder.objectRef<CostAdvice>("CostAdvice").implement({
  description: "A suggestion drawn from the organization's own finished and failed jobs; the fields that apply to its kind are set.",
  fields: (t) => ({
    kind: t.field({ type: CostAdviceKindEnum, resolve: (a) => a.kind }),
    message: t.exposeString("message"),
    jobs: t.exposeInt("jobs", { description: "Jobs the advice rests on." }),
    gpuType: t.string({ nullable: true, resolve: (a) => field(a, "gpuType") }),
    batchSize: t.int({ nullable: true, resolve: (a) => field(a, "batchSize") }),
    suggestedBatchSize: t.int({ nullable: true, resolve: (a) => field(a, "suggestedBatchSize") }),
    failedJobs: t.int({ nullable: true, resolve: (a) => field(a, "failedJobs") }),
    savingsUsd: t.float({ nullable: true, resolve: (a) => field(a, "savingsUsd") }),
    interruptions: t.int({ nullable: true, resolve: (a) => field(a, "interruptions") }),
    preset: t.field({ type: PresetEnum, nullable: true, resolve: (a) => field(a, "preset") }),
    datasetSize: t.string({ nullable: true, resolve: (a) => field(a, "datasetSize") }),
    improvementPct: t.float({ nullable: true, resolve: (a) => field(a, "improvementPct") }),
    costUsd: t.float({ nullable: true, resolve: (a) => field(a, "costUsd") }),
  }),
});

builder.queryFields((t) => ({
  costAdvice: t.withAuth({ user: true }).field({
    type: [CostAdviceRef],
    description:
      "Suggestions from the organization's own history: batch sizes that ran out of memory, what spot saved this month, the preset with the best quality per dollar by dataset size.",
    args: { datasetId: t.arg.id({ description: "Compare presets on datasets of this one's size only." }) },
    resolve: (_root, { datasetId }, ctx) => costAdvice(ctx, ctx.viewer.orgId, { datasetId: datasetId && String(datasetId) }),
  }),
  estimatorAccuracy: t.withAuth({ user: true }).field({
    type: EstimatorAccuracyRef,
    args: { since: t.arg({ type: "DateTime", description: "Only jobs completed since then." }) },
    resolve: (_root, { since }, ctx) => estimatorAccuracy(ctx, ctx.viewer.orgId, since),
  }),
  gpuTypes: t.field({ type: [GpuTypeRef], authScopes: { user: true }, resolve: (_root, _args, ctx) => ctx.gpus.all }),
  costEstimate: t.withAuth({ user: true }).field({
    type: CostEstimateRef,
    args: { input: t.arg({ type: JobSettingsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => (await resolveSettings(ctx, ctx.viewer.orgId, input)).estimate,
  }),
}));
