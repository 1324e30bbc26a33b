import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { audit } from "../audit/service.js";
import { AppError } from "../errors.js";
import { interruptionCost } from "./interruptions.js";
import { JobSettingsInput, PricingTierEnum } from "../jobs/inputs.js";
import { computeQuote, setComputeCredential } from "./service.js";

const ComputeProviderEnum = builder.enumType("ComputeProviderName", {
  values: ["LOCAL", "WORKERS", "KUBERNETES", "SKYPILOT"] as const,
  description:
    "LOCAL: the server starts a trainer process per job on its own machine (the demo; prices simulated from the GPU catalog). WORKERS: nothing is launched; self-managed workers claim the jobs. KUBERNETES: a batch/v1 Job per attempt on the configured cluster. SKYPILOT: a managed job per attempt through the configured SkyPilot API server.",
});
const LaunchStateEnum = builder.enumType("ComputeLaunchState", { values: ["LAUNCHING", "RUNNING", "ENDED"] as const });
const LaunchOutcomeEnum = builder.enumType("ComputeLaunchOutcome", {
  values: ["SUCCEEDED", "INTERRUPTED", "FAILED", "CANCELLED", "LOST"] as const,
});

builder.prismaObject("ComputeLaunch", {
  description: "One machine launched for one attempt of a job: where it ran, at what price, and how it ended.",
  fields: (t) => ({
    id: t.exposeID("id"),
    attempt: t.exposeInt("attempt"),
    provider: t.expose("provider", { type: ComputeProviderEnum }),
    externalId: t.exposeString("externalId", {
      nullable: true,
      description: "The machine's id at the provider (a process, a Kubernetes Job, a SkyPilot job).",
    }),
    region: t.exposeString("region", { nullable: true }),
    instanceType: t.exposeString("instanceType", { nullable: true }),
    tier: t.exposeString("tier"),
    pricePerHourUsd: t.exposeFloat("pricePerHourUsd"),
    simulated: t.exposeBoolean("simulated", {
      description: "The price is the catalog's for the job's GPU, not what this machine costs (the local provider).",
    }),
    state: t.expose("state", { type: LaunchStateEnum }),
    outcome: t.expose("outcome", { type: LaunchOutcomeEnum, nullable: true }),
    reason: t.exposeString("reason", { nullable: true }),
    launchTries: t.exposeInt("launchTries", {
      description: "Calls to the provider that failed before this one was launched (API down, rate-limited).",
    }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true }),
    heldSeconds: t.float({
      description: "How long the machine was held (billed), so far.",
      resolve: (l) => (l.startedAt ? ((l.endedAt ?? new Date()).getTime() - l.startedAt.getTime()) / 1000 : 0),
    }),
  }),
});

const InterruptionCostRef = builder.simpleObject("InterruptionCost", {
  description:
    "What machine interruptions cost the job. Waiting for a new machine is not billed; starting it and loading the checkpoint is. Steps re-done after the last checkpoint are not counted.",
  fields: (t) => ({
    attempts: t.int({ description: "Machines launched for the job." }),
    interruptions: t.int({ description: "Machines lost before the job was done (preempted, killed, gone)." }),
    reprovisioningSeconds: t.float({ description: "From losing a machine to training again on the next one." }),
    costUsd: t.float({ description: "The billed part of that time." }),
  }),
});

builder.prismaObjectFields("TrainingJob", (t) => ({
  onDemandFallback: t.exposeBoolean("onDemandFallback", { description: "A spot job may run on on-demand capacity when spot has none." }),
  onDemandAfterPreemptions: t.exposeInt("onDemandAfterPreemptions", {
    nullable: true,
    description: "After this many preemptions the next machine is on-demand.",
  }),
  computeLaunches: t.relation("computeLaunches", {
    description: "The machines launched for the job, first attempt first.",
    query: { orderBy: { attempt: "asc" } },
  }),
  interruptionCost: t.field({
    type: InterruptionCostRef,
    select: { computeLaunches: true, events: { where: { type: "resumed" }, select: { receivedAt: true }, orderBy: { id: "asc" } } },
    resolve: (job) =>
      interruptionCost(
        job.computeLaunches,
        job.events.map((e) => e.receivedAt),
      ),
  }),
}));

builder.prismaObject("ComputeCredential", {
  description:
    "An organization's own credentials for a provider. The token is stored encrypted and never returned: only its last four characters.",
  fields: (t) => ({
    id: t.exposeID("id"),
    provider: t.expose("provider", { type: ComputeProviderEnum }),
    apiUrl: t.exposeString("apiUrl"),
    namespace: t.exposeString("namespace", { description: "Kubernetes namespace; empty for SkyPilot." }),
    tokenSet: t.boolean({ resolve: (c) => c.tokenCipher !== "" }),
    tokenLast4: t.exposeString("tokenLast4"),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const FallbackRef = builder.simpleObject("ComputeFallback", {
  fields: (t) => ({
    tier: t.field({ type: PricingTierEnum }),
    pricePerHourUsd: t.float(),
    when: t.string({ description: "When the job moves to it." }),
  }),
});

const QuoteRef = builder.simpleObject("ComputeQuote", {
  description: "Where a job would run and at what price, from the organization's provider.",
  fields: (t) => ({
    provider: t.field({ type: ComputeProviderEnum }),
    region: t.string(),
    instanceType: t.string(),
    tier: t.field({ type: PricingTierEnum }),
    pricePerHourUsd: t.float(),
    simulated: t.boolean({ description: "The price is the catalog's for the chosen GPU, not this machine's (the local provider)." }),
    fallback: t.field({ type: FallbackRef, nullable: true }),
  }),
});

builder.prismaObjectFields("Organization", (t) => ({
  computeProvider: t.expose("computeProvider", { type: ComputeProviderEnum, description: "Where the organization's jobs run." }),
  computeCredentials: t.relation("computeCredentials", {
    description: "The organization's own provider credentials (owners and admins).",
    authScopes: { role: ROLES_THAT.manage },
  }),
  serverComputeProviders: t.field({
    type: [ComputeProviderEnum],
    description: "Providers this server offers from its own settings (the fallback when the organization has no credentials).",
    resolve: (_org, _args, ctx) => {
      const offered: ("LOCAL" | "WORKERS" | "KUBERNETES" | "SKYPILOT")[] = ["LOCAL", "WORKERS"];
      if (ctx.config.compute.kubernetes) offered.push("KUBERNETES");
      if (ctx.config.compute.skypilot) offered.push("SKYPILOT");
      return offered;
    },
  }),
}));

builder.queryFields((t) => ({
  computeQuote: t.withAuth({ user: true }).field({
    type: QuoteRef,
    description: "The provider, region, machine and price a job with these settings would get, and its fallback.",
    errors: { result: { name: "ComputeQuoteSuccess" } },
    args: { input: t.arg({ type: JobSettingsInput, required: true }) },
    resolve: (_root, { input }, ctx) => computeQuote(ctx, ctx.viewer.orgId, { ...input, datasetId: String(input.datasetId) }),
  }),
}));

builder.mutationFields((t) => ({
  setComputeProvider: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "Organization",
    description: "Owners and admins choose where the organization's jobs run; jobs already launched keep their machines.",
    errors: { result: { name: "SetComputeProviderSuccess" } },
    args: { provider: t.arg({ type: ComputeProviderEnum, required: true }) },
    resolve: async (query, _root, { provider }, ctx) => {
      const { kubernetes, skypilot } = ctx.config.compute;
      const own = await ctx.db.computeCredential.findUnique({ where: { orgId_provider: { orgId: ctx.viewer.orgId, provider } } });
      if (!own && ((provider === "KUBERNETES" && !kubernetes) || (provider === "SKYPILOT" && !skypilot))) {
        throw new AppError(
          "VALIDATION",
          `Neither this server nor your organization has ${provider.toLowerCase()} settings (Settings → Compute)`,
          "provider",
        );
      }
      const before = await ctx.db.organization.findUniqueOrThrow({ where: { id: ctx.viewer.orgId }, select: { computeProvider: true } });
      const org = await ctx.db.organization.update({ ...query, where: { id: ctx.viewer.orgId }, data: { computeProvider: provider } });
      await audit(ctx, "provider.settings_changed", {
        target: { type: "Organization", id: ctx.viewer.orgId },
        before,
        after: { computeProvider: provider },
      });
      return org;
    },
  }),
}));

builder.mutationFields((t) => ({
  setComputeCredential: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "ComputeCredential",
    description: "Owners and admins store the organization's own credentials for a provider; leave the token out to keep the stored one.",
    errors: { result: { name: "SetComputeCredentialSuccess" } },
    args: {
      provider: t.arg({ type: ComputeProviderEnum, required: true }),
      apiUrl: t.arg.string({ required: true }),
      token: t.arg.string(),
      namespace: t.arg.string(),
    },
    resolve: async (_query, _root, args, ctx) => {
      const credential = await setComputeCredential(ctx, ctx.viewer.orgId, args);
      // Never the token: which provider, where, and whether the token changed.
      await audit(ctx, "provider.settings_changed", {
        target: { type: "ComputeCredential", id: credential.id },
        after: { provider: args.provider, apiUrl: credential.apiUrl, tokenChanged: Boolean(args.token) },
      });
      return credential;
    },
  }),
  deleteComputeCredential: t.withAuth({ role: ROLES_THAT.manage }).boolean({
    description: "Removes the organization's own credentials for a provider; the server's settings apply again.",
    errors: { result: { name: "DeleteComputeCredentialSuccess" } },
    args: { provider: t.arg({ type: ComputeProviderEnum, required: true }) },
    resolve: async (_root, { provider }, ctx) => {
      const { count } = await ctx.db.computeCredential.deleteMany({ where: { orgId: ctx.viewer.orgId, provider } });
      if (count)
        await audit(ctx, "provider.settings_changed", {
          target: { type: "Organization", id: ctx.viewer.orgId },
          after: { provider, credential: "removed" },
        });
      return count > 0;
    },
  }),
}));
