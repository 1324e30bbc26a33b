import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { AppError } from "../errors.js";
import { publicBaseUrl } from "../artifacts/service.js";
import type { Benchmarks, GateResult } from "./gates.js";
import { audit } from "../audit/service.js";
import {
  approveModelVersion,
  deployModelVersion,
  findOwnVersion,
  gateReport,
  registerModelVersion,
  rejectModelVersion,
  retireModelVersion,
} from "./service.js";

const ModelVersionStatusEnum = builder.enumType("ModelVersionStatus", {
  values: ["REGISTERED", "APPROVED", "REJECTED", "DEPLOYED", "RETIRED"] as const,
});

const ModelBenchmarks = builder.objectRef<Benchmarks>("ModelBenchmarks").implement({
  description: "Validation results of the version's adapter.",
  fields: (t) => ({
    validationRunId: t.id({ nullable: true, resolve: (b) => b.validationRunId }),
    perplexityBase: t.float({ nullable: true, resolve: (b) => b.perplexityBase }),
    perplexityAdapted: t.float({ nullable: true, resolve: (b) => b.perplexityAdapted }),
    perplexityImprovementPct: t.float({ nullable: true, resolve: (b) => b.perplexityImprovementPct }),
    knowledgeBaseCorrect: t.int({ nullable: true, resolve: (b) => b.knowledgeBaseCorrect }),
    knowledgeAdaptedCorrect: t.int({ nullable: true, resolve: (b) => b.knowledgeAdaptedCorrect }),
    retentionPct: t.float({ nullable: true, resolve: (b) => b.retentionPct }),
    reviewImprovementPct: t.float({ nullable: true, resolve: (b) => b.reviewImprovementPct }),
    brandVoicePct: t.float({ nullable: true, resolve: (b) => b.brandVoicePct }),
  }),
});

const QualityGate = builder.objectRef<GateResult>("QualityGate").implement({
  fields: (t) => ({
    gate: t.exposeString("gate"),
    threshold: t.float({ nullable: true, resolve: (g) => g.threshold }),
    actual: t.float({ nullable: true, resolve: (g) => g.actual }),
    passed: t.exposeBoolean("passed"),
    message: t.exposeString("message"),
  }),
});

builder.prismaObject("ModelVersionEvent", {
  description: "One step of a model version's audit trail.",
  fields: (t) => ({
    id: t.exposeID("id"),
    action: t.exposeString("action", { description: "registered, approved, rejected, deployed, deployed_with_override or retired." }),
    fromStatus: t.exposeString("fromStatus", { nullable: true }),
    toStatus: t.exposeString("toStatus"),
    reason: t.exposeString("reason", { nullable: true }),
    payload: t.expose("payload", { type: "JSON" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      resolve: (query, e, _args, ctx) => (e.actorId ? ctx.db.user.findUnique({ ...query, where: { id: e.actorId } }) : null),
    }),
  }),
});

builder.prismaObject("ModelVersion", {
  description: "A trained adapter registered under a model name and a semantic version.",
  fields: (t) => ({
    id: t.exposeID("id"),
    version: t.exposeString("version"),
    status: t.expose("status", { type: ModelVersionStatusEnum }),
    notes: t.exposeString("notes", { nullable: true }),
    model: t.relation("model"),
    job: t.relation("job"),
    benchmarks: t.field({
      type: ModelBenchmarks,
      description: "As recorded at registration or deployment.",
      resolve: (v) => v.benchmarks as Benchmarks,
    }),
    gates: t.field({
      type: [QualityGate],
      description: "The organization's quality gates checked against the version's current validation results.",
      select: { model: { select: { orgId: true } } },
      resolve: async (v, _args, ctx) => (await gateReport(ctx, v, v.model.orgId)).gates,
    }),
    endpoint: t.string({
      nullable: true,
      description: "Completion endpoint (POST {messages} or {prompt}, API key) while deployed.",
      select: { model: { select: { name: true, org: { select: { slug: true } } } } },
      resolve: (v, _args, ctx) =>
        v.status === "DEPLOYED"
          ? `${publicBaseUrl(ctx, (ctx as { request?: Request }).request)}/api/v1/models/${v.model.org.slug}/${v.model.name}/${v.version}`
          : null,
    }),
    requestCount: t.exposeInt("requestCount"),
    lastRequestAt: t.expose("lastRequestAt", { type: "DateTime", nullable: true }),
    deployedAt: t.expose("deployedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    events: t.relation("events", { description: "The audit trail, oldest first.", query: { orderBy: { id: "asc" } } }),
  }),
});

builder.prismaObject("RegisteredModel", {
  description: "A named model of the organization; its versions are trained adapters.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    versions: t.relation("versions", {
      description: "Newest version first.",
      query: { orderBy: [{ major: "desc" }, { minor: "desc" }, { patch: "desc" }] },
    }),
  }),
});

builder.queryFields((t) => ({
  models: t.withAuth({ user: true }).prismaField({
    type: ["RegisteredModel"],
    description: "The organization's models, by name; `search` matches name or description.",
    args: { search: t.arg.string() },
    resolve: (query, _root, { search }, ctx) =>
      ctx.db.registeredModel.findMany({
        ...query,
        where: {
          orgId: ctx.viewer.orgId,
          ...(search?.trim() && {
            OR: [{ name: { contains: search.trim().toLowerCase() } }, { description: { contains: search.trim() } }],
          }),
        },
        orderBy: { name: "asc" },
      }),
  }),
  model: t.withAuth({ user: true }).prismaField({
    type: "RegisteredModel",
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (query, _root, { name }, ctx) =>
      ctx.db.registeredModel.findUnique({ ...query, where: { orgId_name: { orgId: ctx.viewer.orgId, name: name.trim().toLowerCase() } } }),
  }),
  modelVersion: t.withAuth({ user: true }).prismaField({
    type: "ModelVersion",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const version = await findOwnVersion(ctx, ctx.viewer, String(id));
      return ctx.db.modelVersion.findUniqueOrThrow({ ...query, where: { id: version.id } });
    },
  }),
  compareModelVersions: t.withAuth({ user: true }).prismaField({
    type: ["ModelVersion"],
    description: "Two or more versions side by side, in the order asked.",
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (query, _root, { ids }, ctx) => {
      if (ids.length < 2 || ids.length > 6) throw new AppError("VALIDATION", "Compare 2 to 6 versions", "ids");
      const found = await ctx.db.modelVersion.findMany({
        ...query,
        where: { id: { in: ids.map(String) }, model: { orgId: ctx.viewer.orgId } },
      });
      return ids.map((id) => {
        const v = found.find((f) => f.id === String(id));
        if (!v) throw new AppError("NOT_FOUND", `Model version ${id} not found`, "ids");
        return v;
      });
    },
  }),
}));

const RegisterModelVersionInput = builder.inputType("RegisterModelVersionInput", {
  fields: (t) => ({
    jobId: t.id({ required: true }),
    name: t.string({ required: true, description: "Lowercase letters, digits and dashes; unique in the organization." }),
    version: t.string({ description: "Semantic version; the next minor version when left out." }),
    description: t.string({ description: "Description of the model, when it is new." }),
    notes: t.string(),
  }),
});

const versionPayload = (name: string) => ({ type: "ModelVersion", errors: { result: { name } } }) as const;

builder.mutationFields((t) => ({
  registerModelVersion: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    ...versionPayload("RegisterModelVersionSuccess"),
    description: "Register a completed job's adapter as a model version, with its validation results as benchmarks.",
    args: { input: t.arg({ type: RegisterModelVersionInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const v = await registerModelVersion(ctx, ctx.viewer, { ...input, jobId: String(input.jobId) });
      return ctx.db.modelVersion.findUniqueOrThrow({ ...query, where: { id: v.id } });
    },
  }),
  approveModelVersion: t.withAuth({ role: ROLES_THAT.review }).prismaField({
    ...versionPayload("ApproveModelVersionSuccess"),
    args: { id: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: async (query, _root, { id, reason }, ctx) => {
      const v = await approveModelVersion(ctx, ctx.viewer, String(id), reason);
      await audit(ctx, "model.approved", { target: { type: "ModelVersion", id: v.id }, after: { reason } }); // details: the version's events
      return ctx.db.modelVersion.findUniqueOrThrow({ ...query, where: { id: v.id } });
    },
  }),
  rejectModelVersion: t.withAuth({ role: ROLES_THAT.review }).prismaField({
    ...versionPayload("RejectModelVersionSuccess"),
    args: { id: t.arg.id({ required: true }), reason: t.arg.string({ required: true }) },
    resolve: async (query, _root, { id, reason }, ctx) => {
      const v = await rejectModelVersion(ctx, ctx.viewer, String(id), reason);
      await audit(ctx, "model.rejected", { target: { type: "ModelVersion", id: v.id }, after: { reason } });
      return ctx.db.modelVersion.findUniqueOrThrow({ ...query, where: { id: v.id } });
    },
  }),
  deployModelVersion: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    ...versionPayload("DeployModelVersionSuccess"),
    description:
      "Serve the version at its endpoint. Refused (QUALITY_GATE_FAILED) when a gate fails, unless an owner gives overrideReason.",
    args: { id: t.arg.id({ required: true }), overrideReason: t.arg.string() },
    resolve: async (query, _root, { id, overrideReason }, ctx) => {
      const v = await deployModelVersion(ctx, ctx.viewer, String(id), overrideReason != null ? { reason: overrideReason } : null);
      await audit(ctx, overrideReason != null ? "quality_gate.overridden" : "model.deployed", {
        target: { type: "ModelVersion", id: v.id },
        after: { deployed: true, overrideReason },
      });
      return ctx.db.modelVersion.findUniqueOrThrow({ ...query, where: { id: v.id } });
    },
  }),
  retireModelVersion: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    ...versionPayload("RetireModelVersionSuccess"),
    args: { id: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: async (query, _root, { id, reason }, ctx) => {
      const v = await retireModelVersion(ctx, ctx.viewer, String(id), reason);
      await audit(ctx, "model.retired", { target: { type: "ModelVersion", id: v.id }, after: { reason } });
      return ctx.db.modelVersion.findUniqueOrThrow({ ...query, where: { id: v.id } });
    },
  }),
}));
