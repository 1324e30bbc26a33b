import { builder } from "../builder.js";
import type { Viewer } from "../context.js";
import { publicBaseUrl } from "../artifacts/service.js";
import type { RunSettings } from "../validation/runner.js";
import { demoModelNote } from "./demoModel.js";
import { buildReport } from "./report.js";
import { createShareLink, revokeShareLink } from "./shareLinks.js";

const userOf = (viewer: Viewer | null) => viewer as Extract<Viewer, { kind: "user" }>;

const ShareLinkRef = builder.prismaObject("ShareLink", {
  description: "A read-only link to a validation report; it expires after 30 days and can be revoked.",
  fields: (t) => ({
    id: t.exposeID("id"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    active: t.boolean({ resolve: (l) => !l.revokedAt && l.expiresAt > new Date() }),
    viewCount: t.exposeInt("viewCount"),
    lastViewedAt: t.expose("lastViewedAt", { type: "DateTime", nullable: true }),
  }),
});

const CreatedShareLink = builder.simpleObject("CreatedShareLink", {
  fields: (t) => ({
    url: t.string({ description: "The link to send. It carries the secret and cannot be shown again." }),
    link: t.field({ type: ShareLinkRef }),
  }),
});

builder.prismaObjectFields("ValidationRun", (t) => ({
  shareLinks: t.relation("shareLinks", { query: { orderBy: { createdAt: "desc" } } }),
  report: t.field({
    type: "JSON",
    description: "The report as data (summary, results, curves, examples, settings): what the report page, the PDF and share links show.",
    select: { id: true },
    resolve: (run, _args, ctx) => buildReport(ctx, run.id),
  }),
  pdfPath: t.string({ description: "GET it with your Bearer token for the PDF.", select: { id: true }, resolve: (run) => `/api/reports/${run.id}/report.pdf` }),
  baseModelNote: t.string({
    nullable: true,
    description: "Set when the base model is one of Tuneloop's built-in demo models (about a million parameters or fewer): what its answers can and cannot show a reviewer.",
    select: { settings: true },
    resolve: (run) => demoModelNote((run.settings as RunSettings).baseModel),
  }),
}));

builder.mutationFields((t) => ({
  createShareLink: t.field({
    type: CreatedShareLink,
    description: "A read-only link to the validation report, valid 30 days.",
    errors: { result: { name: "CreateShareLinkSuccess" } },
    authScopes: { role: ["ENGINEER", "OWNER", "QA"] },
    args: { runId: t.arg.id({ required: true }) },
    resolve: async (_root, { runId }, ctx) => {
      const { token, link } = await createShareLink(ctx, userOf(ctx.viewer), String(runId));
      return { url: `${publicBaseUrl(ctx, (ctx as { request?: Request }).request)}/share/${token}`, link };
    },
  }),
  revokeShareLink: t.prismaField({
    type: "ShareLink",
    errors: { result: { name: "RevokeShareLinkSuccess" } },
    authScopes: { role: ["ENGINEER", "OWNER", "QA"] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const link = await revokeShareLink(ctx, ctx.viewer!, String(id));
      return ctx.db.shareLink.findUniqueOrThrow({ ...query, where: { id: link.id } });
    },
  }),
}));
