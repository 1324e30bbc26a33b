import { builder } from "../builder.js";
import { AppError } from "../errors.js";
import { PresetEnum } from "../jobs/inputs.js";
import { createJob, findOwnJob } from "../jobs/service.js";
import { saveTemplate } from "./service.js";
import type { Viewer } from "../context.js";

builder.prismaObject("Template", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    preset: t.expose("preset", { type: PresetEnum }),
    config: t.expose("config", { type: "JSON" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.relation("createdBy"),
  }),
});

builder.queryFields((t) => ({
  templates: t.prismaField({
    type: ["Template"],
    authScopes: { user: true },
    resolve: (query, _root, _args, ctx) => ctx.db.template.findMany({ ...query, where: { orgId: ctx.viewer!.orgId }, orderBy: { name: "asc" } }),
  }),
}));

builder.mutationFields((t) => ({
  saveJobAsTemplate: t.prismaField({
    type: "Template",
    description: "Keep a job's preset and settings under a name, to start new jobs from.",
    errors: { result: { name: "SaveJobAsTemplateSuccess" } },
    authScopes: { role: ["ENGINEER", "OWNER"] },
    args: { jobId: t.arg.id({ required: true }), name: t.arg.string({ required: true }), description: t.arg.string() },
    resolve: async (query, _root, args, ctx) => {
      const viewer = ctx.viewer as Extract<Viewer, { kind: "user" }>;
      const job = await findOwnJob(ctx, viewer, String(args.jobId));
      const template = await saveTemplate(ctx.db, viewer, { name: args.name, description: args.description, preset: job.preset, config: job.config });
      return ctx.db.template.findUniqueOrThrow({ ...query, where: { id: template.id } });
    },
  }),
  createJobFromTemplate: t.prismaField({
    type: "TrainingJob",
    errors: { result: { name: "CreateJobFromTemplateSuccess" } },
    authScopes: { role: ["ENGINEER", "OWNER"] },
    args: {
      templateId: t.arg.id({ required: true }),
      datasetId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      start: t.arg.boolean({ defaultValue: false }),
    },
    resolve: async (query, _root, args, ctx) => {
      const viewer = ctx.viewer as Extract<Viewer, { kind: "user" }>;
      const template = await ctx.db.template.findFirst({ where: { id: String(args.templateId), orgId: viewer.orgId } });
      if (!template) throw new AppError("NOT_FOUND", "Template not found", "templateId");
      const job = await createJob(ctx, viewer, {
        name: args.name,
        datasetId: String(args.datasetId),
        preset: template.preset,
        overrides: template.config,
        start: args.start,
      });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
}));
