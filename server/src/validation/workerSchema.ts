// The worker's side of validation: claim a run, report each task's result,
// renew the lease, or report that the run cannot be evaluated. Called with a
// worker API key, or with a job's token by a machine launched for that job.
import { builder } from "../builder.js";
import type { AppServices, Viewer } from "../context.js";
import { AppError } from "../errors.js";
import { TrainingJob } from "../jobs/schema.js";
import { artifactDownloadUrl, publicBaseUrl } from "../artifacts/service.js";
import type { ValidationTask } from "./runner.js";
import { claimNextRun, failRun, heartbeatRun, recordResult, type WorkerScope } from "./service.js";

/** Idle workers ask this often. */
const CLAIM_POLL_SECONDS = 2;

type Claim = NonNullable<Awaited<ReturnType<typeof claimNextRun>>> & { baseUrl: string };

const scopeOf = (viewer: Viewer): WorkerScope => ({ orgId: viewer.orgId, jobId: viewer.kind === "trainer" ? viewer.jobId : null });

const TaskKind = builder.enumType("ValidationTaskKind", {
  description: "What a validation task asks the worker to compute.",
  values: {
    PERPLEXITY: {
      value: "perplexity",
      description:
        "Masked log-likelihood of the held-out conversations (the trainer's own split): { loss, perplexity, tokens, conversations }.",
    },
    MULTIPLE_CHOICE: {
      value: "multipleChoice",
      description: "The option with the highest mean log-probability per question: { best: [index] }.",
    },
    GENERATE: {
      value: "generate",
      description: "A sampled answer per prompt (the claim's reviewSeed and generation settings): { texts: [string] }.",
    },
  } as const,
});
const TaskModel = builder.enumType("ValidationModel", {
  values: {
    BASE: { value: "base" },
    ADAPTED: { value: "adapted", description: "The base model with the job's adapter enabled." },
  } as const,
});

const Question = builder.simpleObject("ValidationQuestion", {
  fields: (t) => ({ id: t.string(), question: t.string(), options: t.stringList() }),
});
const Message = builder.simpleObject("ValidationMessage", { fields: (t) => ({ role: t.string(), content: t.string() }) });
const Prompt = builder.simpleObject("ValidationPrompt", {
  fields: (t) => ({ scenarioId: t.string(), messages: t.field({ type: [Message] }) }),
});

const Task = builder.objectRef<ValidationTask>("ValidationTask").implement({
  description: "One piece of a validation run; report its result with reportValidationResult under its key.",
  fields: (t) => ({
    key: t.exposeString("key"),
    kind: t.field({ type: TaskKind, resolve: (task) => task.kind }),
    model: t.field({ type: TaskModel, resolve: (task) => task.model }),
    questions: t.field({ type: [Question], resolve: (task) => (task.kind === "multipleChoice" ? task.questions : []) }),
    prompts: t.field({ type: [Prompt], resolve: (task) => (task.kind === "generate" ? task.prompts : []) }),
  }),
});

const ArtifactLink = builder.simpleObject("ValidationArtifactLink", {
  fields: (t) => ({ downloadUrl: t.string(), sha256: t.string(), sizeBytes: t.int() }),
});
/** A signed link for the worker (no user): the artifacts route checks the signature. */
const link = (services: AppServices, c: Claim, a: { id: string; sha256: string; sizeBytes: number }) => ({
  downloadUrl: artifactDownloadUrl(services, c.baseUrl, a.id, null),
  sha256: a.sha256,
  sizeBytes: a.sizeBytes,
});

const ValidationClaim = builder.objectRef<Claim>("ValidationClaim").implement({
  description: "A validation run handed to a worker: the tasks still to do and what they need.",
  fields: (t) => ({
    run: t.prismaField({
      type: "ValidationRun",
      resolve: (query, c, _args, ctx) => ctx.db.validationRun.findUniqueOrThrow({ ...query, where: { id: c.run.id } }),
    }),
    job: t.field({ type: TrainingJob, resolve: (c) => c.run.job }),
    leaseExpiresAt: t.expose("leaseExpiresAt", {
      type: "DateTime",
      description: "Report a result or heartbeatValidationRun before this, or another worker takes the run over.",
    }),
    settings: t.field({
      type: "JSON",
      description: "baseModel, maxSeqLength, validationFraction and seed (the trainer's held-out split), generation.",
      resolve: (c) => c.settings,
    }),
    reviewSeed: t.exposeInt("reviewSeed", {
      description: "Seed of the review answers' sampling; drawn for this claim and stored nowhere.",
    }),
    datasetContent: t.exposeString("datasetContent", { description: "The job's dataset (JSON Lines), to take the held-out split from." }),
    adapterModel: t.field({
      type: ArtifactLink,
      description: "adapter_model.safetensors",
      resolve: (c, _args, ctx) => link(ctx, c, c.adapter.model),
    }),
    adapterConfig: t.field({
      type: ArtifactLink,
      description: "adapter_config.json",
      resolve: (c, _args, ctx) => link(ctx, c, c.adapter.config),
    }),
    tasks: t.field({ type: [Task], description: "The tasks without a stored result, in order.", resolve: (c) => c.tasks }),
  }),
});

const ClaimResult = builder.simpleObject("ValidationClaimResult", {
  fields: (t) => ({
    claim: t.field({ type: ValidationClaim, nullable: true, description: "The run to evaluate; null when none is waiting." }),
    pollAfterSeconds: t.int(),
  }),
});
const Lease = builder.simpleObject("ValidationLease", { fields: (t) => ({ leaseExpiresAt: t.field({ type: "DateTime" }) }) });

builder.mutationFields((t) => ({
  claimValidationRun: t.withAuth({ worker: true, jobToken: true }).field({
    type: ClaimResult,
    description:
      "A worker takes the oldest pending validation run it can evaluate (or one whose worker stopped renewing its lease); with jobId only that job's runs — the worker that trained a job goes on with its validation this way.",
    errors: { result: { name: "ClaimValidationRunSuccess" } },
    args: {
      workerId: t.arg.string({ required: true }),
      gpuTypes: t.arg.stringList({ description: "Only runs of jobs for these GPU types." }),
      backends: t.arg.stringList({ description: 'Only runs of jobs for these trainers ("typescript", "python").' }),
      jobId: t.arg.id({ description: "Only this job's runs (required with a job token)." }),
    },
    resolve: async (_root, { workerId, gpuTypes, backends, jobId }, ctx) => {
      const scope = scopeOf(ctx.viewer);
      const onlyJob = jobId == null ? null : String(jobId);
      if (scope.jobId && scope.jobId !== onlyJob)
        throw new AppError("FORBIDDEN", "This job token can claim only its own job's validation", "jobId");
      const claim = await claimNextRun(ctx, scope.orgId, workerId, { gpuTypes, backends, jobId: onlyJob });
      return {
        claim: claim && { ...claim, baseUrl: publicBaseUrl(ctx, (ctx as { request?: Request }).request) },
        pollAfterSeconds: CLAIM_POLL_SECONDS,
      };
    },
  }),
  reportValidationResult: t.withAuth({ worker: true, jobToken: true }).prismaField({
    type: "ValidationRun",
    description:
      "The result of one task (shape per ValidationTaskKind). Sent again, it is stored once; the last task's result completes the run.",
    errors: { result: { name: "ReportValidationResultSuccess" } },
    args: {
      runId: t.arg.id({ required: true }),
      workerId: t.arg.string({ required: true }),
      key: t.arg.string({ required: true }),
      result: t.arg({ type: "JSON", required: true }),
    },
    resolve: async (query, _root, { runId, workerId, key, result }, ctx) => {
      const run = await recordResult(ctx, scopeOf(ctx.viewer), String(runId), workerId, key, result);
      return ctx.db.validationRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  heartbeatValidationRun: t.withAuth({ worker: true, jobToken: true }).field({
    type: Lease,
    description: "Renews the worker's lease on a run during a long task.",
    errors: { result: { name: "HeartbeatValidationRunSuccess" } },
    args: { runId: t.arg.id({ required: true }), workerId: t.arg.string({ required: true }) },
    resolve: (_root, { runId, workerId }, ctx) => heartbeatRun(ctx, scopeOf(ctx.viewer), String(runId), workerId),
  }),
  failValidationRun: t.withAuth({ worker: true, jobToken: true }).prismaField({
    type: "ValidationRun",
    description: "The worker cannot evaluate this run (the model does not load or fit): it fails with the message.",
    errors: { result: { name: "FailValidationRunSuccess" } },
    args: { runId: t.arg.id({ required: true }), workerId: t.arg.string({ required: true }), message: t.arg.string({ required: true }) },
    resolve: async (query, _root, { runId, workerId, message }, ctx) => {
      const run = await failRun(ctx, scopeOf(ctx.viewer), String(runId), workerId, message);
      return ctx.db.validationRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
}));
