import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { AppError } from "../errors.js";
import { PresetEnum, PricingTierEnum } from "../jobs/inputs.js";
import { createJob, findOwnJob } from "../jobs/service.js";
import { findOwnTemplate, saveTemplate } from "./service.js";

builder.prismaObject("Template", {
  description: "A job setup kept under a name: preset and hyperparameters, and the dataset, GPU, pricing tier and notes it was saved with.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    preset: t.expose("preset", { type: PresetEnum }),
    config: t.expose("config", { type: "JSON" }),
    gpuType: t.exposeString("gpuType", { nullable: true }),
    pricingTier: t.expose("pricingTier", { type: PricingTierEnum, nullable: true }),
    notes: t.exposeString("notes", { nullable: true }),
    dataset: t.prismaField({
      type: "Dataset",
      nullable: true,
      description: "The dataset a job started from it trains on; null when none was kept or it was deleted.",
      select: { datasetId: true, orgId: true },
      resolve: (query, template, _args, ctx) =>
        template.datasetId ? ctx.db.dataset.findFirst({ ...query, where: { id: template.datasetId, orgId: template.orgId } }) : null,
    }),
    useCount: t.exposeInt("useCount", { description: "Jobs created from it." }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.relation("createdBy"),
  }),
});

const TemplateOrder = builder.enumType("TemplateOrder", { values: ["NAME", "MOST_USED", "RECENTLY_USED"] as const });

builder.queryFields((t) => ({
  templates: t.withAuth({ user: true }).prismaField({
    type: ["Template"],
    args: { orderBy: t.arg({ type: TemplateOrder, defaultValue: "NAME" }) },
    resolve: (query, _root, { orderBy }, ctx) =>
      ctx.db.template.findMany({
        ...query,
        where: { orgId: ctx.viewer.orgId },
        orderBy:
          orderBy === "MOST_USED"
            ? [{ useCount: "desc" }, { name: "asc" }]
            : orderBy === "RECENTLY_USED"
              ? [{ lastUsedAt: { sort: "desc", nulls: "last" } }, { name: "asc" }]
              : { name: "asc" },
      }),
  }),
}));

builder.mutationFields((t) => ({
  saveJobAsTemplate: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    type: "Template",
    description: "Keep a job's setup under a name (preset, hyperparameters, dataset, GPU, pricing tier, notes), to start new jobs from.",
    errors: { result: { name: "SaveJobAsTemplateSuccess" } },
    args: {
      jobId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      description: t.arg.string(),
      notes: t.arg.string({ description: "The job's own notes when left out." }),
    },
    resolve: async (query, _root, args, ctx) => {
      const viewer = ctx.viewer;
      const job = await findOwnJob(ctx, viewer, String(args.jobId));
      const template = await saveTemplate(ctx.db, viewer, {
        name: args.name,
        description: args.description,
        preset: job.preset,
        config: job.config,
        datasetId: job.datasetId,
        gpuType: job.gpuType,
        pricingTier: job.pricingTier,
        notes: args.notes ?? job.notes,
      });
      return ctx.db.template.findUniqueOrThrow({ ...query, where: { id: template.id } });
    },
  }),
  createJobFromTemplate: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    type: "TrainingJob",
    description: "A job with everything the template holds (one click: `start: true`); the arguments given win over it.",
    errors: { result: { name: "CreateJobFromTemplateSuccess" } },
    args: {
      templateId: t.arg.id({ required: true }),
      datasetId: t.arg.id({ description: "The template's dataset when left out." }),
      name: t.arg.string({ description: "The template's name and today's date when left out." }),
      start: t.arg.boolean({ defaultValue: false }),
    },
    resolve: async (query, _root, args, ctx) => {
      const viewer = ctx.viewer;
      const template = await findOwnTemplate(ctx.db, viewer.orgId, String(args.templateId));
      const datasetId = args.datasetId ? String(args.datasetId) : template.datasetId;
      if (!datasetId) throw new AppError("VALIDATION", "This template keeps no dataset: choose one", "datasetId");
      const job = await createJob(ctx, viewer, {
        name: args.name?.trim() || `${template.name} ${new Date().toISOString().slice(0, 10)}`,
        notes: template.notes,
        datasetId,
        preset: template.preset,
        overrides: template.config,
        gpuType: template.gpuType,
        pricingTier: template.pricingTier,
        start: args.start,
        templateId: template.id,
      });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
}));
