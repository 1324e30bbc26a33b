import { builder } from "../builder.js";
import { TrainingJob, JobStatusEnum } from "../jobs/schema.js";
import { publicBaseUrl } from "../artifacts/service.js";
import { claimNextJob, heartbeat, requireTrainerOf } from "./service.js";

/** Idle workers ask this often; short enough that a queued job starts within seconds. */
const CLAIM_POLL_SECONDS = 2;

type Claim = NonNullable<Awaited<ReturnType<typeof claimNextJob>>>;

const ResumeCheckpoint = builder.simpleObject("ResumeCheckpoint", {
  description: "The checkpoint an interrupted job continues from.",
  fields: (t) => ({
    step: t.int(),
    epoch: t.float({ nullable: true }),
    artifactId: t.id(),
    sha256: t.string(),
    sizeBytes: t.int(),
    downloadUrl: t.string({ description: "Signed link to the checkpoint archive, valid 24 hours." }),
  }),
});

const JobClaim = builder.objectRef<Claim>("JobClaim").implement({
  description: "A job handed to a worker, with everything it needs to run it.",
  fields: (t) => ({
    job: t.field({ type: TrainingJob, resolve: (c) => c.job }),
    trainerToken: t.exposeString("trainerToken", { description: "Send as `Authorization: Bearer …` on this job's reports. Shown once." }),
    leaseExpiresAt: t.expose("leaseExpiresAt", {
      type: "DateTime",
      description: "Send heartbeatTrainingJob before this, or the job is taken back.",
    }),
    lastSequence: t.exposeInt("lastSequence", {
      description: "The highest report sequence the server has seen for this job; continue above it.",
    }),
    datasetContent: t.exposeString("datasetContent", { description: "The dataset file (JSON Lines)." }),
    resumeFrom: t.field({ type: ResumeCheckpoint, nullable: true, resolve: (c) => c.resumeFrom }),
  }),
});

const JobClaimResult = builder.simpleObject("JobClaimResult", {
  fields: (t) => ({
    claim: t.field({ type: JobClaim, nullable: true, description: "The job to run; null when none is waiting." }),
    pollAfterSeconds: t.int({ description: "When there was nothing to claim: how long to wait before asking again." }),
  }),
});

const Heartbeat = builder.simpleObject("TrainingJobHeartbeat", {
  fields: (t) => ({
    leaseExpiresAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "The renewed lease; null when the job is no longer the worker's to run.",
    }),
    status: t.field({ type: JobStatusEnum }),
    cancelRequested: t.boolean({ description: "The job was cancelled: stop within seconds." }),
  }),
});

builder.prismaObjectFields("TrainingJob", (t) => ({
  workerId: t.exposeString("workerId", { nullable: true, description: "The worker running (or that last ran) the job." }),
  leaseExpiresAt: t.expose("leaseExpiresAt", { type: "DateTime", nullable: true }),
}));

builder.mutationFields((t) => ({
  claimTrainingJob: t.withAuth({ worker: true, jobToken: true }).field({
    type: JobClaimResult,
    description:
      "A worker (API key with the WORKER scope) takes the oldest queued or interrupted job of its organization; a machine launched for one job (its job token) takes only that job.",
    errors: { result: { name: "ClaimTrainingJobSuccess" } },
    args: {
      workerId: t.arg.string({ required: true, description: "A name for this worker, shown on the job." }),
      gpuTypes: t.arg.stringList({ description: "Only jobs for these GPU types." }),
      backends: t.arg.stringList({
        description: 'Only jobs for these trainers (config.backend: "typescript" or "python"); all when left out.',
      }),
      jobId: t.arg.id({ description: "Only this job (required with a job token, which can claim nothing else)." }),
    },
    resolve: async (_root, { workerId, gpuTypes, backends, jobId }, ctx) => {
      const onlyJob = jobId == null ? null : String(jobId);
      if (ctx.viewer.kind === "trainer") requireTrainerOf(ctx.viewer, onlyJob ?? "");
      const filter = { gpuTypes, backends, jobId: onlyJob };
      return {
        claim: await claimNextJob(ctx, ctx.viewer.orgId, workerId, filter, publicBaseUrl(ctx, (ctx as { request?: Request }).request)),
        pollAfterSeconds: CLAIM_POLL_SECONDS,
      };
    },
  }),
  heartbeatTrainingJob: t.field({
    type: Heartbeat,
    description:
      "A trainer renews its lease on the job (every few seconds). Once the job ended or was taken back, the answer says so (the token serves nothing else then).",
    errors: { result: { name: "HeartbeatTrainingJobSuccess" } },
    authScopes: { jobToken: true },
    args: { jobId: t.arg.id({ required: true }) },
    resolve: (_root, { jobId }, ctx) => {
      requireTrainerOf(ctx.viewer, String(jobId));
      return heartbeat(ctx, String(jobId));
    },
  }),
}));
