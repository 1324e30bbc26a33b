import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { createDataset, datasetPreview, findOwnDataset } from "./service.js";
import type { ValidationIssue, ValidationReport } from "./validate.js";

const DatasetStatusEnum = builder.enumType("DatasetStatus", { values: ["VALID", "INVALID"] as const });

const Issue = builder.objectRef<ValidationIssue>("DatasetIssue").implement({
  fields: (t) => ({
    line: t.exposeInt("line"),
    field: t.exposeString("field"),
    message: t.exposeString("message"),
  }),
});

const Report = builder.objectRef<ValidationReport>("DatasetValidationReport").implement({
  fields: (t) => ({
    valid: t.exposeBoolean("valid"),
    errors: t.field({ type: [Issue], resolve: (r) => r.errors }),
    warnings: t.field({ type: [Issue], resolve: (r) => r.warnings }),
    truncatedErrors: t.exposeInt("truncatedErrors", { description: "Errors past the listed ones." }),
  }),
});

const ChatMessage = builder.simpleObject("ChatMessage", { fields: (t) => ({ role: t.string(), content: t.string() }) });
const Conversation = builder.simpleObject("Conversation", { fields: (t) => ({ messages: t.field({ type: [ChatMessage] }) }) });

builder.prismaObject("Dataset", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    format: t.exposeString("format"),
    status: t.expose("status", { type: DatasetStatusEnum }),
    conversationCount: t.exposeInt("conversationCount"),
    pairCount: t.exposeInt("pairCount", { description: "User → assistant exchanges." }),
    tokenCount: t.exposeInt("tokenCount", { description: "Approximate tokens (≈4 characters each)." }),
    sizeBytes: t.exposeInt("sizeBytes"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    validationReport: t.field({ type: Report, resolve: (d) => d.validationReport as ValidationReport }),
    preview: t.field({
      type: [Conversation],
      description: "The first conversations of the file (at most 20).",
      args: { first: t.arg.int({ defaultValue: 3 }) },
      resolve: (d, { first }, ctx) => datasetPreview(ctx, d, first ?? 3),
    }),
  }),
});

builder.queryFields((t) => ({
  datasets: t.withAuth({ user: true }).prismaConnection({
    type: "Dataset",
    cursor: "id",
    totalCount: (_p, _a, ctx) => ctx.db.dataset.count({ where: { orgId: ctx.viewer.orgId } }),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.dataset.findMany({ ...query, where: { orgId: ctx.viewer.orgId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
  }),
  dataset: t.withAuth({ user: true }).prismaField({
    type: "Dataset",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const dataset = await findOwnDataset(ctx, ctx.viewer.orgId, String(id));
      return ctx.db.dataset.findUniqueOrThrow({ ...query, where: { id: dataset.id } });
    },
  }),
}));

builder.mutationFields((t) => ({
  uploadDataset: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    type: "Dataset",
    description:
      "Upload a JSON Lines file of chats (GraphQL multipart request). The dataset is stored with its validation report; only a VALID one can be trained on.",
    errors: { result: { name: "UploadDatasetSuccess" } },
    args: { name: t.arg.string({ required: true }), file: t.arg({ type: "Upload", required: true }) },
    resolve: async (query, _root, { name, file }, ctx) => {
      const viewer = ctx.viewer;
      const bytes = new Uint8Array(await file.arrayBuffer());
      const dataset = await createDataset(ctx, viewer.orgId, viewer.kind === "user" ? viewer.userId : null, name, bytes);
      return ctx.db.dataset.findUniqueOrThrow({ ...query, where: { id: dataset.id } });
    },
  }),
}));
