import { builder } from "../builder.js";
import type { Context } from "../context.js";
import { AppError } from "../errors.js";
import { FailureFactsInput } from "../failures/schema.js";
import { JobStatusEnum, jobPayload } from "../jobs/schema.js";
import { requireTrainerOf } from "../workers/service.js";
import { ingestReport } from "./service.js";
import { ensureWebhookSecret } from "./webhook.js";

// The trainer's door: one mutation per kind of report, each a thin call into
// ingestReport() with a trainer token for that very job.

builder.prismaObject("Checkpoint", {
  description: "A saved training state the job can resume from.",
  fields: (t) => ({
    id: t.exposeID("id"),
    step: t.exposeInt("step"),
    epoch: t.exposeFloat("epoch", { nullable: true }),
    trainLoss: t.exposeFloat("trainLoss", { nullable: true }),
    valLoss: t.exposeFloat("valLoss", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    artifact: t.relation("artifact", { nullable: true, description: "The uploaded checkpoint archive." }),
  }),
});

builder.prismaObjectField("TrainingJob", "checkpoints", (t) =>
  t.relation("checkpoints", {
    authScopes: { user: true },
    description: "Saved checkpoints, by step.",
    query: { orderBy: { step: "asc" } },
  }),
);

const MetricPointInput = builder.inputType("MetricPointInput", {
  fields: (t) => ({
    name: t.string({
      required: true,
      description:
        "train_loss, val_loss, perplexity, learning_rate, grad_norm, tokens_per_sec, samples_per_sec, gpu_utilization_pct, gpu_memory_used_mb, gpu_memory_total_mb, cpu_percent and memory_mb (the trainer process's), epoch, eta_seconds, or your own.",
    }),
    step: t.int({ required: true }),
    value: t.float({ required: true }),
    epoch: t.float(),
    wallTime: t.float({ description: "Unix seconds when measured; the time of receipt when left out." }),
  }),
});

const SEQUENCE = "Increases with each report of the job; a sequence seen before is acknowledged and ignored.";

/** Hands a report to the ingest service after checking the token is this job's. */
async function report(ctx: Context, jobId: string | number, input: Record<string, unknown>) {
  requireTrainerOf(ctx.viewer, String(jobId));
  return ingestReport(ctx, String(jobId), input, { source: "trainer" });
}

builder.mutationFields((t) => ({
  reportMetrics: t.int({
    description: "New metric points (idempotent on name and step); returns how many were new.",
    authScopes: { trainer: true },
    errors: { result: { name: "ReportMetricsSuccess" } },
    args: {
      jobId: t.arg.id({ required: true }),
      points: t.arg({ type: [MetricPointInput], required: true }),
      sequence: t.arg.int({ description: "Optional here: points are idempotent by themselves." }),
    },
    resolve: async (_root, { jobId, points, sequence }, ctx) =>
      (await report(ctx, jobId, { type: "metrics", sequence, points })).storedPoints,
  }),
  reportTrainingStatus: t.withAuth({ trainer: true }).prismaField({
    ...jobPayload("ReportTrainingStatusSuccess"),
    description:
      "The job entered a stage (PROVISIONING → PREPROCESSING → MODEL_LOADING → TRAINING → FINALIZATION → VALIDATION → COMPLETED), or reports how far it has got in one.",
    args: {
      jobId: t.arg.id({ required: true }),
      sequence: t.arg.int({ required: true, description: SEQUENCE }),
      status: t.arg({ type: JobStatusEnum, required: true }),
      message: t.arg.string(),
      totalSteps: t.arg.int(),
      stagePercent: t.arg.float({
        description: "How far a long stage has got (0–100): report the same status again as it moves. Shown as the job's stageProgress.",
      }),
      stageSecondsLeft: t.arg.float({ description: "The stage's remaining time, in seconds, when the trainer can tell." }),
      unbilledSeconds: t.arg.float({
        description:
          "Seconds since the trainer's last report spent on work that is not the job's own (the demo base model's one-time build): not billed.",
      }),
    },
    resolve: async (query, _root, { jobId, ...args }, ctx) => {
      await report(ctx, jobId, { type: "status", ...args });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: String(jobId) } });
    },
  }),
  reportCheckpoint: t.prismaField({
    type: "Checkpoint",
    authScopes: { trainer: true },
    errors: { result: { name: "ReportCheckpointSuccess" } },
    description: "A checkpoint was saved (upload the archive first with uploadArtifact).",
    args: {
      jobId: t.arg.id({ required: true }),
      sequence: t.arg.int({ required: true, description: SEQUENCE }),
      step: t.arg.int({ required: true }),
      epoch: t.arg.float(),
      artifactId: t.arg.id(),
      trainLoss: t.arg.float(),
      valLoss: t.arg.float(),
    },
    resolve: async (query, _root, { jobId, artifactId, ...args }, ctx) => {
      await report(ctx, jobId, { type: "checkpoint", ...args, artifactId: artifactId == null ? null : String(artifactId) });
      const checkpoint = await ctx.db.checkpoint.findUnique({ ...query, where: { jobId_step: { jobId: String(jobId), step: args.step } } });
      if (!checkpoint) throw new AppError("CONFLICT", "This report was processed before and refused", "sequence");
      return checkpoint;
    },
  }),
  reportInterrupted: t.withAuth({ trainer: true }).prismaField({
    ...jobPayload("ReportInterruptedSuccess"),
    description: "The instance is going away (spot interruption): the job becomes RECOVERING until a worker resumes it.",
    args: {
      jobId: t.arg.id({ required: true }),
      sequence: t.arg.int({ required: true, description: SEQUENCE }),
      step: t.arg.int({ required: true }),
      reason: t.arg.string(),
    },
    resolve: async (query, _root, { jobId, ...args }, ctx) => {
      await report(ctx, jobId, { type: "interrupted", ...args });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: String(jobId) } });
    },
  }),
  reportResumed: t.withAuth({ trainer: true }).prismaField({
    ...jobPayload("ReportResumedSuccess"),
    description: "The job continues from a checkpoint after an interruption.",
    args: {
      jobId: t.arg.id({ required: true }),
      sequence: t.arg.int({ required: true, description: SEQUENCE }),
      fromStep: t.arg.int({ required: true }),
    },
    resolve: async (query, _root, { jobId, ...args }, ctx) => {
      await report(ctx, jobId, { type: "resumed", ...args });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: String(jobId) } });
    },
  }),
  reportTrainingError: t.withAuth({ trainer: true }).prismaField({
    ...jobPayload("ReportTrainingErrorSuccess"),
    description: "Training failed: the job becomes FAILED with the error's type and message.",
    args: {
      jobId: t.arg.id({ required: true }),
      sequence: t.arg.int({ required: true, description: SEQUENCE }),
      errorType: t.arg.string({
        required: true,
        description: "One of the FailureType values (a String, so that another one is refused as a VALIDATION error on this field).",
      }),
      message: t.arg.string({ required: true }),
      details: t.arg({ type: "JSON" }),
      facts: t.arg({
        type: FailureFactsInput,
        description: "What the trainer measured (memory needed and available, step time): the guidance sizes the retry from it.",
      }),
      transient: t.arg.boolean({
        description:
          "The failure will pass by itself (a lost connection): the job is retried automatically after AUTO_RETRY_DELAY_SECONDS. NetworkError always is.",
      }),
      outputLines: t.arg.stringList({
        description: "The trainer's last lines of output (at most 200), kept for the job's error log export.",
      }),
    },
    resolve: async (query, _root, { jobId, ...args }, ctx) => {
      await report(ctx, jobId, { type: "error", ...args });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: String(jobId) } });
    },
  }),
  reportTrainingWarning: t.withAuth({ trainer: true }).prismaField({
    ...jobPayload("ReportTrainingWarningSuccess"),
    description: "Something a person should see that changes nothing (a slow step, a retried upload): logged in the job's event log.",
    args: {
      jobId: t.arg.id({ required: true }),
      sequence: t.arg.int({ required: true, description: SEQUENCE }),
      message: t.arg.string({ required: true }),
      details: t.arg({ type: "JSON" }),
    },
    resolve: async (query, _root, { jobId, ...args }, ctx) => {
      await report(ctx, jobId, { type: "warning", ...args });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: String(jobId) } });
    },
  }),
  completeTrainingJob: t.withAuth({ trainer: true }).prismaField({
    ...jobPayload("CompleteTrainingJobSuccess"),
    description: "Training finished: the job becomes COMPLETED, or VALIDATION when a validation stage follows.",
    args: {
      jobId: t.arg.id({ required: true }),
      sequence: t.arg.int({ required: true, description: SEQUENCE }),
      summary: t.arg({ type: "JSON" }),
      validationFollows: t.arg.boolean(),
    },
    resolve: async (query, _root, { jobId, ...args }, ctx) => {
      await report(ctx, jobId, { type: "completed", ...args });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: String(jobId) } });
    },
  }),
  trainerWebhookSecret: t.string({
    description:
      "The job's webhook signing secret (whsec_…, Standard Webhooks), made on first request: for trainers that report through POST /api/webhooks/trainer/:jobId.",
    authScopes: { trainer: true },
    errors: { result: { name: "TrainerWebhookSecretSuccess" } },
    args: { jobId: t.arg.id({ required: true }) },
    resolve: (_root, { jobId }, ctx) => {
      requireTrainerOf(ctx.viewer, String(jobId));
      return ensureWebhookSecret(ctx, String(jobId));
    },
  }),
}));
