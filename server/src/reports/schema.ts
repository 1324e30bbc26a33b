import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { publicBaseUrl } from "../artifacts/service.js";
import type { RunSettings } from "../validation/runner.js";
import { demoModelNote } from "./demoModel.js";
import { buildReport } from "./report.js";
import { createShareLink, reportTarget, revokeShareLink } from "./shareLinks.js";
import { beforeAfterExamples, SCENARIO_TYPE_LABELS, SCENARIO_TYPES, type Example } from "./beforeAfter.js";
import { createCustomReport, CUSTOM_REPORT_LIMITS, findOwnCustomReport, type CustomReportItem } from "./customReports.js";
import { recordReportDeal, reportLibrary, type LibraryEntry, type ReportLibrary } from "./library.js";

const ShareLinkRef = builder.prismaObject("ShareLink", {
  description: "A read-only link to a validation report or a custom report; it expires after 30 days and can be revoked.",
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

export const ScenarioTypeEnum = builder.enumType("ScenarioType", {
  description: "What a before/after scenario asks of the model.",
  values: Object.fromEntries(SCENARIO_TYPES.map((t) => [t, { description: SCENARIO_TYPE_LABELS[t] }])) as Record<
    (typeof SCENARIO_TYPES)[number],
    { description: string }
  >,
});

const DealOutcomeEnum = builder.enumType("DealOutcome", { values: ["OPEN", "WON", "LOST"] as const });

const BeforeAfterExample = builder.objectRef<Example>("BeforeAfterExample").implement({
  description: "A scenario answered by the base and the fine-tuned model.",
  fields: (t) => ({
    scenarioId: t.exposeString("scenarioId"),
    scenarioType: t.field({ type: ScenarioTypeEnum, resolve: (e) => e.scenarioType }),
    prompt: t.exposeString("prompt"),
    base: t.exposeString("base"),
    adapted: t.exposeString("adapted"),
  }),
});

const CustomReportAnswer = builder.objectRef<CustomReportItem>("CustomReportAnswer").implement({
  fields: (t) => ({ prompt: t.exposeString("prompt"), base: t.exposeString("base"), adapted: t.exposeString("adapted") }),
});

builder.prismaObject("ReportDeal", {
  description: "What came of a shared report, recorded by an owner.",
  fields: (t) => ({
    id: t.exposeID("id"),
    outcome: t.field({ type: DealOutcomeEnum, resolve: (d) => d.outcome }),
    valueUsd: t.exposeFloat("valueUsd", { nullable: true }),
    decidedOn: t.expose("decidedOn", { type: "DateTime", nullable: true }),
    note: t.exposeString("note", { nullable: true }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("CustomReport", {
  description:
    "A prospect's own prompts answered by a job's base and fine-tuned model: a report like the validation report (page, PDF, share links).",
  fields: (t) => ({
    id: t.exposeID("id"),
    title: t.exposeString("title"),
    prospectName: t.exposeString("prospectName", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    job: t.relation("job"),
    answers: t.field({ type: [CustomReportAnswer], resolve: (r) => r.items as CustomReportItem[] }),
    shareLinks: t.relation("shareLinks", { query: { orderBy: { createdAt: "desc" } } }),
    deal: t.relation("deal", { nullable: true }),
    pdfPath: t.string({
      description: "GET it with your Bearer token for the PDF.",
      resolve: (r) => `/api/custom-reports/${r.id}/report.pdf`,
    }),
  }),
});

const LibraryKindEnum = builder.enumType("ReportKind", { values: ["VALIDATION", "CUSTOM"] as const });

const LibraryDeal = builder.objectRef<NonNullable<LibraryEntry["deal"]>>("LibraryDeal").implement({
  fields: (t) => ({
    outcome: t.field({ type: DealOutcomeEnum, resolve: (d) => d.outcome }),
    valueUsd: t.exposeFloat("valueUsd", { nullable: true }),
    decidedOn: t.expose("decidedOn", { type: "DateTime", nullable: true }),
    note: t.exposeString("note", { nullable: true }),
  }),
});

const LibraryReport = builder.objectRef<LibraryEntry>("LibraryReport").implement({
  description: "A validation report or a custom report in the library.",
  fields: (t) => ({
    kind: t.field({ type: LibraryKindEnum, resolve: (e) => e.kind }),
    id: t.exposeID("id", { description: "The validation run's id (VALIDATION) or the custom report's (CUSTOM)." }),
    title: t.exposeString("title"),
    clientName: t.exposeString("clientName", { nullable: true, description: "The job's client, or the custom report's prospect." }),
    jobId: t.exposeID("jobId"),
    jobName: t.exposeString("jobName"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    shareLinks: t.exposeInt("shareLinks"),
    activeShareLinks: t.exposeInt("activeShareLinks"),
    views: t.exposeInt("views", { description: "Opens of its share links." }),
    deal: t.field({ type: LibraryDeal, nullable: true, resolve: (e) => e.deal }),
    closedDeal: t.boolean({ description: "It led to a won deal.", resolve: (e) => e.deal?.outcome === "WON" }),
  }),
});

const ReportLibraryRef = builder.objectRef<ReportLibrary>("ReportLibrary").implement({
  fields: (t) => ({
    entries: t.field({ type: [LibraryReport], resolve: (l) => l.entries }),
    sharedReports: t.exposeInt("sharedReports", { description: "Reports with at least one share link." }),
    wonDeals: t.exposeInt("wonDeals"),
    lostDeals: t.exposeInt("lostDeals"),
    wonValueUsd: t.exposeFloat("wonValueUsd"),
  }),
});

const CreateCustomReportInput = builder.inputType("CreateCustomReportInput", {
  fields: (t) => ({
    jobId: t.id({ required: true, description: "A finished job: its base model and its fine-tuned model answer." }),
    title: t.string({ required: true }),
    prospectName: t.string(),
    prompts: t.stringList({
      required: true,
      description: `1 to ${CUSTOM_REPORT_LIMITS.prompts} prompts; each counts as one playground request.`,
    }),
    maxNewTokens: t.int(),
  }),
});

const RecordReportDealInput = builder.inputType("RecordReportDealInput", {
  fields: (t) => ({
    runId: t.id({ description: "A validation report; or give customReportId." }),
    customReportId: t.id(),
    outcome: t.field({ type: DealOutcomeEnum, required: true }),
    valueUsd: t.float({ description: "Required for WON." }),
    decidedOn: t.field({ type: "DateTime", description: "When it closed; today by default for WON and LOST." }),
    note: t.string(),
  }),
});

builder.queryFields((t) => ({
  reportLibrary: t.withAuth({ user: true }).field({
    type: ReportLibraryRef,
    description: "Finished validation reports and custom reports, newest first, with their share links and deals.",
    args: {
      search: t.arg.string({ description: "Words to find in the title, client, job, project or dataset." }),
      outcome: t.arg({ type: DealOutcomeEnum }),
    },
    resolve: (_root, args, ctx) => reportLibrary(ctx, ctx.viewer.orgId, args),
  }),
  customReport: t.withAuth({ user: true }).prismaField({
    type: "CustomReport",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const own = await findOwnCustomReport(ctx, ctx.viewer, String(id));
      return ctx.db.customReport.findUniqueOrThrow({ ...query, where: { id: own.id } });
    },
  }),
}));

builder.prismaObjectFields("ValidationRun", (t) => ({
  shareLinks: t.relation("shareLinks", { query: { orderBy: { createdAt: "desc" } } }),
  deal: t.relation("deal", { nullable: true }),
  beforeAfter: t.field({
    type: [BeforeAfterExample],
    description:
      "Ten scenarios answered by the base and the fine-tuned model (taken from each scenario type in turn), or up to ten of one type. Empty while the blind review is open.",
    args: { scenarioType: t.arg({ type: ScenarioTypeEnum }) },
    select: { id: true, reviewClosedAt: true },
    resolve: (run, { scenarioType }, ctx) => beforeAfterExamples(ctx, run, scenarioType),
  }),
  report: t.field({
    type: "JSON",
    description: "The report as data (summary, results, curves, examples, settings): what the report page, the PDF and share links show.",
    select: { id: true },
    resolve: (run, _args, ctx) => buildReport(ctx, run.id),
  }),
  pdfPath: t.string({
    description: "GET it with your Bearer token for the PDF.",
    select: { id: true },
    resolve: (run) => `/api/reports/${run.id}/report.pdf`,
  }),
  baseModelNote: t.string({
    nullable: true,
    description:
      "Set when the base model is one of Tuneloop's built-in demo models (about a million parameters or fewer): what its answers can and cannot show a reviewer.",
    select: { settings: true },
    resolve: (run) => demoModelNote((run.settings as RunSettings).baseModel),
  }),
}));

builder.mutationFields((t) => ({
  createShareLink: t.withAuth({ role: ROLES_THAT.contribute }).field({
    type: CreatedShareLink,
    description: "A read-only link to a validation report (runId) or a custom report (customReportId), valid 30 days.",
    errors: { result: { name: "CreateShareLinkSuccess" } },
    args: { runId: t.arg.id(), customReportId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const target = reportTarget({
        runId: args.runId && String(args.runId),
        customReportId: args.customReportId && String(args.customReportId),
      });
      const { token, link } = await createShareLink(ctx, ctx.viewer, target);
      return { url: `${publicBaseUrl(ctx, (ctx as { request?: Request }).request)}/share/${token}`, link };
    },
  }),
  createCustomReport: t.withAuth({ role: ROLES_THAT.review }).prismaField({
    type: "CustomReport",
    description: "QA or an owner enters a prospect's prompts; the job's base and fine-tuned model answer each, and the report is stored.",
    errors: { result: { name: "CreateCustomReportSuccess" } },
    args: { input: t.arg({ type: CreateCustomReportInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const signal = (ctx as { request?: Request }).request?.signal;
      const report = await createCustomReport(ctx, ctx.viewer, { ...input, jobId: String(input.jobId) }, signal);
      return ctx.db.customReport.findUniqueOrThrow({ ...query, where: { id: report.id } });
    },
  }),
  recordReportDeal: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "ReportDeal",
    description: "Owners record what came of a report (won, lost or still open; value and date); recording again replaces it.",
    errors: { result: { name: "RecordReportDealSuccess" } },
    args: { input: t.arg({ type: RecordReportDealInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const deal = await recordReportDeal(ctx, ctx.viewer, {
        ...input,
        runId: input.runId && String(input.runId),
        customReportId: input.customReportId && String(input.customReportId),
      });
      return ctx.db.reportDeal.findUniqueOrThrow({ ...query, where: { id: deal.id } });
    },
  }),
  revokeShareLink: t.withAuth({ role: ROLES_THAT.contribute }).prismaField({
    type: "ShareLink",
    errors: { result: { name: "RevokeShareLinkSuccess" } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const link = await revokeShareLink(ctx, ctx.viewer, String(id));
      return ctx.db.shareLink.findUniqueOrThrow({ ...query, where: { id: link.id } });
    },
  }),
}));
