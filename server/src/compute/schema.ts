import { builder } from "../builder.js";
import { audit } from "../audit/service.js";
import { AppError } from "../errors.js";
import { interruptionCost } from "./interruptions.js";

const ComputeProviderEnum = builder.enumType("ComputeProviderName", {
  values: ["LOCAL", "WORKERS", "KUBERNETES", "SKYPILOT"] as const,
  description: "LOCAL: the server starts a trainer process per job on its own machine (the demo; prices simulated from the GPU catalog). WORKERS: nothing is launched; self-managed workers claim the jobs. KUBERNETES: a batch/v1 Job per attempt on the configured cluster. SKYPILOT: a managed job per attempt through the configured SkyPilot API server.",
});
const LaunchStateEnum = builder.enumType("ComputeLaunchState", { values: ["LAUNCHING", "RUNNING", "ENDED"] as const });
const LaunchOutcomeEnum = builder.enumType("ComputeLaunchOutcome", { values: ["SUCCEEDED", "INTERRUPTED", "FAILED", "CANCELLED", "LOST"] as const });

builder.prismaObject("ComputeLaunch", {
  description: "One machine launched for one attempt of a job: where it ran, at what price, and how it ended.",
  fields: (t) => ({
    id: t.exposeID("id"),
    attempt: t.exposeInt("attempt"),
    provider: t.expose("provider", { type: ComputeProviderEnum }),
    externalId: t.exposeString("externalId", { nullable: true, description: "The machine's id at the provider (a process, a Kubernetes Job, a SkyPilot job)." }),
    region: t.exposeString("region", { nullable: true }),
    instanceType: t.exposeString("instanceType", { nullable: true }),
    tier: t.exposeString("tier"),
    pricePerHourUsd: t.exposeFloat("pricePerHourUsd"),
    simulated: t.exposeBoolean("simulated", { description: "The price is the catalog's for the job's GPU, not what this machine costs (the local provider)." }),
    state: t.expose("state", { type: LaunchStateEnum }),
    outcome: t.expose("outcome", { type: LaunchOutcomeEnum, nullable: true }),
    reason: t.exposeString("reason", { nullable: true }),
    launchTries: t.exposeInt("launchTries", { description: "Calls to the provider that failed before this one was launched (API down, rate-limited)." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true }),
    heldSeconds: t.float({
      description: "How long the machine was held (billed), so far.",
      resolve: (l) => (l.startedAt ? ((l.endedAt ?? new Date()).getTime() - l.startedAt.getTime()) / 1000 : 0),
    }),
  }),
});

const InterruptionCostRef = builder.simpleObject("InterruptionCost", {
  description: "What machine interruptions cost the job. Waiting for a new machine is not billed; starting it and loading the checkpoint is. Steps re-done after the last checkpoint are not counted.",
  fields: (t) => ({
    attempts: t.int({ description: "Machines launched for the job." }),
    interruptions: t.int({ description: "Machines lost before the job was done (preempted, killed, gone)." }),
    reprovisioningSeconds: t.float({ description: "From losing a machine to training again on the next one." }),
    costUsd: t.float({ description: "The billed part of that time." }),
  }),
});

builder.prismaObjectFields("TrainingJob", (t) => ({
  computeLaunches: t.relation("computeLaunches", { description: "The machines launched for the job, first attempt first.", query: { orderBy: { attempt: "asc" } } }),
  interruptionCost: t.field({
    type: InterruptionCostRef,
    select: { computeLaunches: true, events: { where: { type: "resumed" }, select: { receivedAt: true }, orderBy: { id: "asc" } } },
    resolve: (job) => interruptionCost(job.computeLaunches, job.events.map((e) => e.receivedAt)),
  }),
}));

builder.prismaObjectFields("Organization", (t) => ({
  computeProvider: t.expose("computeProvider", { type: ComputeProviderEnum, description: "Where the organization's jobs run." }),
}));

builder.mutationFields((t) => ({
  setComputeProvider: t.prismaField({
    type: "Organization",
    description: "Owners and admins choose where the organization's jobs run; jobs already launched keep their machines.",
    errors: { result: { name: "SetComputeProviderSuccess" } },
    authScopes: { role: ["OWNER", "ADMIN"] },
    args: { provider: t.arg({ type: ComputeProviderEnum, required: true }) },
    resolve: async (query, _root, { provider }, ctx) => {
      if (ctx.viewer?.kind !== "user") throw new AppError("FORBIDDEN", "Only a signed-in owner or admin can change this", "provider");
      const { kubernetes, skypilot } = ctx.config.compute;
      if ((provider === "KUBERNETES" && !kubernetes) || (provider === "SKYPILOT" && !skypilot)) {
        throw new AppError("VALIDATION", `This server has no ${provider.toLowerCase()} settings (README, "Compute providers")`, "provider");
      }
      const before = await ctx.db.organization.findUniqueOrThrow({ where: { id: ctx.viewer.orgId }, select: { computeProvider: true } });
      const org = await ctx.db.organization.update({ ...query, where: { id: ctx.viewer.orgId }, data: { computeProvider: provider } });
      await audit(ctx, "provider.settings_changed", { target: { type: "Organization", id: ctx.viewer.orgId }, before, after: { computeProvider: provider } });
      return org;
    },
  }),
}));
