import { builder } from "../builder.js";
import { ERROR_TYPES, failureGuidance, type ConfigChange, type ErrorType, type FailureGuidance } from "./guidance.js";
import { MEMORY_LIMITS } from "./facts.js";
import { retryDiff } from "./retry.js";
import { commonFailures, type CommonFailures } from "./service.js";

const MemoryLimitEnum = builder.enumType("MemoryLimit", {
  values: MEMORY_LIMITS,
  description: "Whose memory ran out: the worker's own memory budget, or the GPU's memory.",
});

const MemoryProfileInput = builder.inputType("MemoryProfileInput", {
  description:
    "The trainer's memory model for the run (shared/memoryModel.ts): bytes = fixed − 4-bit saving + perRank × rank + batch × seq × (perToken + perTokenPosition × seq).",
  fields: (t) => ({
    fixedBytes: t.float({ required: true }),
    bytesPerRank: t.float({ required: true }),
    bytesPerToken: t.float({ required: true }),
    bytesPerTokenPosition: t.float({ required: true }),
    fourBitSavingBytes: t.float({ description: "What loading the base model in 4-bit would save; null where the trainer cannot." }),
  }),
});

const MemoryFactsInput = builder.inputType("MemoryFactsInput", {
  fields: (t) => ({
    requiredBytes: t.float({ required: true }),
    availableBytes: t.float({ required: true }),
    limit: t.field({ type: MemoryLimitEnum, required: true }),
    seqLength: t.int({ required: true, description: "The sequence length the run used (capped at the model's context)." }),
    profile: t.field({ type: MemoryProfileInput, required: true }),
  }),
});

const TimeFactsInput = builder.inputType("TimeFactsInput", {
  fields: (t) => ({
    limitSeconds: t.float({ required: true }),
    overheadSeconds: t.float({ required: true, description: "Before the first step: loading the model and the data." }),
    secondsPerStep: t.float({ required: true, description: "Measured mean wall time of one optimizer step." }),
    stepsDone: t.int({ required: true }),
    totalSteps: t.int({ required: true }),
  }),
});

export const FailureFactsInput = builder.inputType("FailureFactsInput", {
  description: "What the trainer measured when the job failed; the failure guidance sizes the retry from it.",
  fields: (t) => ({
    where: t.string({
      required: true,
      description: "Where it ran, in words: a worker and its memory budget, or a GPU (e.g. NVIDIA A10G).",
    }),
    memory: t.field({ type: MemoryFactsInput }),
    time: t.field({ type: TimeFactsInput }),
  }),
});

const ErrorTypeEnum = builder.enumType("FailureType", {
  values: ERROR_TYPES,
  description: "Why a job failed, as classified from the trainer's report.",
});

const ConfigChangeRef = builder.objectRef<ConfigChange>("ConfigChange").implement({
  description: "One setting and the value a retry changes it to.",
  fields: (t) => ({
    field: t.exposeString("field", { description: "batchSize, maxSeqLength, epochs, preset, pricingTier, gpuType, datasetId…" }),
    from: t.field({ type: "JSON", nullable: true, resolve: (c) => c.from }),
    to: t.field({ type: "JSON", nullable: true, resolve: (c) => c.to }),
  }),
});

const FailureGuidanceRef = builder.objectRef<FailureGuidance>("FailureGuidance").implement({
  description: "What went wrong, in words a user can act on, and the change a retry applies by default.",
  fields: (t) => ({
    errorType: t.field({ type: ErrorTypeEnum, resolve: (g) => g.errorType }),
    explanation: t.exposeString("explanation"),
    suggestedChanges: t.field({ type: [ConfigChangeRef], resolve: (g) => g.suggestedChanges }),
  }),
});

const Count = builder.objectRef<{ key: string; count: number }>("FailureCount").implement({
  fields: (t) => ({ key: t.exposeString("key"), count: t.exposeInt("count") }),
});

const Combination = builder.objectRef<CommonFailures["combinations"][number]>("FailureCombination").implement({
  fields: (t) => ({
    errorType: t.field({ type: ErrorTypeEnum, resolve: (c) => c.errorType as ErrorType }),
    preset: t.exposeString("preset"),
    gpuType: t.exposeString("gpuType"),
    count: t.exposeInt("count"),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true }),
  }),
});

const CommonFailuresRef = builder.objectRef<CommonFailures>("CommonFailures").implement({
  description: "How the organization's jobs fail: counts per error type, preset and GPU, to improve presets.",
  fields: (t) => ({
    totalFailed: t.exposeInt("totalFailed"),
    byErrorType: t.field({ type: [Count], resolve: (c) => c.byErrorType }),
    byPreset: t.field({ type: [Count], resolve: (c) => c.byPreset }),
    byGpuType: t.field({ type: [Count], resolve: (c) => c.byGpuType }),
    combinations: t.field({ type: [Combination], resolve: (c) => c.combinations }),
  }),
});

const comparable = { preset: true, gpuType: true, pricingTier: true, datasetId: true, config: true } as const;

builder.prismaObjectFields("TrainingJob", (t) => ({
  failureGuidance: t.field({
    type: FailureGuidanceRef,
    nullable: true,
    description: "For a failed job: why, and what the retry changes. Null otherwise.",
    select: {
      id: true,
      orgId: true,
      status: true,
      errorType: true,
      errorMessage: true,
      config: true,
      preset: true,
      gpuType: true,
      pricingTier: true,
      datasetId: true,
    },
    resolve: (job, _args, ctx) => (job.status === "FAILED" ? failureGuidance(ctx, job) : null),
  }),
  retryDiff: t.field({
    type: [ConfigChangeRef],
    description: "For a retry: what differs from the job it retried (empty otherwise).",
    select: { ...comparable, retryOf: { select: comparable } },
    resolve: (job) => (job.retryOf ? retryDiff(job.retryOf, job) : []),
  }),
}));

builder.queryFields((t) => ({
  commonFailures: t.withAuth({ user: true }).field({
    type: CommonFailuresRef,
    args: { since: t.arg({ type: "DateTime", description: "Only jobs that failed since then." }) },
    resolve: (_root, { since }, ctx) => commonFailures(ctx.db, ctx.viewer.orgId, since),
  }),
}));
