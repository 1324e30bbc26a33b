import { resolveArrayConnection } from "@pothos/plugin-relay";
import { builder } from "../builder.js";
import { ROLES_THAT, hasRole } from "../auth/permissions.js";
import { JobStatusEnum } from "../jobs/schema.js";
import { PresetEnum, PricingTierEnum } from "../jobs/inputs.js";
import { billableSecondsAt, currentCostUsd, remainingCostUsd } from "../costs/live.js";
import { enforceBudgets } from "./enforce.js";
import { approvalPending, approveJobCost, overrideJobBudget } from "./guard.js";
import {
  budgetSummary,
  createProject,
  updateBudget,
  updateProjectBudget,
  updateProjectRevenue,
  type BudgetSummary,
  type Totals,
} from "./service.js";
import { profitability, type Margin, type Profitability } from "./profitability.js";
import { AppError } from "../errors.js";
import { monthRange, parseMonth } from "./month.js";
import { audit } from "../audit/service.js";

const BudgetJobLine = builder.objectRef<BudgetSummary["jobs"][number]>("BudgetJobLine").implement({
  fields: (t) => ({
    jobId: t.exposeID("id"),
    name: t.exposeString("name"),
    status: t.field({ type: JobStatusEnum, resolve: (j) => j.status }),
    preset: t.field({ type: PresetEnum, resolve: (j) => j.preset }),
    gpuType: t.exposeString("gpuType"),
    pricingTier: t.field({ type: PricingTierEnum, resolve: (j) => j.pricingTier }),
    clientName: t.string({ nullable: true, resolve: (j) => j.clientName ?? j.project?.clientName ?? null }),
    projectId: t.exposeID("projectId", { nullable: true }),
    projectName: t.string({ nullable: true, resolve: (j) => j.project?.name ?? null }),
    estimatedCostUsd: t.exposeFloat("estimatedCostUsd"),
    costUsd: t.float({ description: "Cost so far (the final cost once the job has ended).", resolve: (j) => currentCostUsd(j) }),
    remainingCostUsd: t.float({ resolve: remainingCostUsd }),
    billableSeconds: t.float({ resolve: (j) => billableSecondsAt(j, new Date()) }),
    queuedAt: t.expose("queuedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
  }),
});

const SpendTotals = builder.interfaceRef<Totals>("SpendTotals").implement({
  fields: (t) => ({
    spentUsd: t.exposeFloat("spentUsd"),
    committedUsd: t.exposeFloat("committedUsd", { description: "What running and queued jobs are still expected to cost." }),
    forecastUsd: t.exposeFloat("forecastUsd", { description: "Spent plus committed." }),
    activeJobs: t.exposeInt("activeJobs", { description: "Running or queued jobs." }),
  }),
});

const ProjectBudgetLine = builder.objectRef<BudgetSummary["projects"][number]>("ProjectBudgetLine").implement({
  interfaces: [SpendTotals],
  fields: (t) => ({
    projectId: t.exposeID("projectId"),
    name: t.exposeString("name"),
    clientName: t.exposeString("clientName", { nullable: true }),
    budgetUsd: t.exposeFloat("budgetUsd", {
      nullable: true,
      description: "Spend may pass it only with an owner's override, and never 110% of it.",
    }),
    percentUsed: t.exposeFloat("percentUsed", { nullable: true }),
    jobs: t.exposeInt("jobs"),
  }),
});

const ClientSpendLine = builder.objectRef<BudgetSummary["clients"][number]>("ClientSpendLine").implement({
  interfaces: [SpendTotals],
  fields: (t) => ({ clientName: t.exposeString("clientName", { nullable: true, description: "Null: jobs for no client." }) }),
});

const Budget = builder.objectRef<BudgetSummary>("Budget").implement({
  description: "A month's spend against the organization's budget, with its forecast and breakdowns.",
  interfaces: [SpendTotals],
  fields: (t) => ({
    month: t.exposeString("month", { description: "YYYY-MM (UTC). A job's cost belongs to the month it started." }),
    budgetUsd: t.exposeFloat("budgetUsd"),
    remainingUsd: t.exposeFloat("remainingUsd", { description: "Budget minus spent; negative when over." }),
    percentUsed: t.exposeFloat("percentUsed"),
    forecastPercent: t.exposeFloat("forecastPercent"),
    hardStopAtBudget: t.exposeBoolean("hardStopAtBudget", { description: "Cancel running jobs when the budget is spent." }),
    jobApprovalUsd: t.exposeFloat("jobApprovalUsd", { description: "Jobs estimated above this need an owner's approval to start." }),
    jobs: t.field({
      type: [BudgetJobLine],
      description: "The month's jobs, costliest first.",
      deprecationReason: "Use jobPage: a busy month has thousands of jobs.",
      resolve: (b) => b.jobs,
    }),
    jobPage: t.connection(
      {
        type: BudgetJobLine,
        description: "The month's jobs, costliest first, a page at a time (`first`, `after`).",
        resolve: (b, args) => resolveArrayConnection({ args, defaultSize: 25, maxSize: 200 }, b.jobs),
      },
      {
        name: "BudgetJobConnection",
        fields: (c) => ({ totalCount: c.int({ description: "All the month's jobs.", resolve: (connection) => connection.totalCount }) }),
      },
    ),
    projects: t.field({ type: [ProjectBudgetLine], resolve: (b) => b.projects }),
    clients: t.field({ type: [ClientSpendLine], resolve: (b) => b.clients }),
    reportUrl: t.string({
      description: "The month's financial CSV (send the same Bearer token).",
      resolve: (b) => `/api/budgets/${b.month}/report.csv`,
    }),
  }),
});

builder.prismaObject("BudgetOverride", {
  description: "An owner let a job take the month over its budget.",
  fields: (t) => ({
    id: t.exposeID("id"),
    month: t.exposeString("month"),
    reason: t.exposeString("reason"),
    budgetUsd: t.exposeFloat("budgetUsd"),
    forecastUsd: t.exposeFloat("forecastUsd", { description: "The month's forecast with the job." }),
    jobEstimateUsd: t.exposeFloat("jobEstimateUsd"),
    job: t.relation("job", { nullable: true }),
    user: t.relation("user"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("CostApproval", {
  fields: (t) => ({
    approvedBy: t.relation("approvedBy"),
    estimateUsd: t.exposeFloat("estimateUsd"),
    thresholdUsd: t.exposeFloat("thresholdUsd"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.prismaObjectFields("TrainingJob", (t) => ({
  project: t.relation("project", { nullable: true }),
  costApproval: t.relation("costApproval", { nullable: true }),
  approvalRequired: t.boolean({
    description:
      "The estimate is above the organization's approval threshold and no owner has approved it: starting is refused (APPROVAL_REQUIRED).",
    select: { id: true, orgId: true, estimatedCostUsd: true, status: true },
    resolve: async (job, _args, ctx) => job.status === "PENDING" && (await approvalPending(ctx, job)),
  }),
}));

builder.prismaObject("Project", {
  description: "A client project: jobs are attributed to it, and it may have a monthly budget.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    clientName: t.exposeString("clientName", { nullable: true }),
    monthlyBudgetUsd: t.exposeFloat("monthlyBudgetUsd", {
      nullable: true,
      description: "Spend may pass it only with an owner's override, and never 110% of it.",
    }),
    contractValueUsd: t.exposeFloat("contractValueUsd", {
      nullable: true,
      description: "What the client pays for the project: its revenue.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const MarginFields = builder.interfaceRef<Margin>("ProjectMargin").implement({
  description: "Revenue against training cost (all time).",
  fields: (t) => ({
    revenueUsd: t.exposeFloat("revenueUsd", { nullable: true, description: "Contract value; null when none is recorded." }),
    trainingCostUsd: t.exposeFloat("trainingCostUsd"),
    jobs: t.exposeInt("jobs"),
    marginUsd: t.exposeFloat("marginUsd", { nullable: true }),
    marginPct: t.exposeFloat("marginPct", { nullable: true }),
    trainingSharePct: t.exposeFloat("trainingSharePct", { nullable: true, description: "Training cost as a percentage of revenue." }),
    meetsTarget: t.exposeBoolean("meetsTarget", { nullable: true, description: "Training under the target share of revenue (5%)." }),
  }),
});

const ProjectProfit = builder.objectRef<Profitability["projects"][number]>("ProjectProfit").implement({
  interfaces: [MarginFields],
  fields: (t) => ({
    projectId: t.exposeID("projectId"),
    name: t.exposeString("name"),
    clientName: t.exposeString("clientName", { nullable: true }),
  }),
});

const ClientProfit = builder.objectRef<Profitability["clients"][number]>("ClientProfit").implement({
  interfaces: [MarginFields],
  fields: (t) => ({ clientName: t.exposeString("clientName") }),
});

const ProfitabilityRef = builder.objectRef<Profitability>("Profitability").implement({
  description: "Revenue, training cost and margin per project and per client, over their whole life.",
  fields: (t) => ({
    targetPct: t.exposeFloat("targetPct", { description: "Training cost should stay under this share of the sale price." }),
    projects: t.field({ type: [ProjectProfit], resolve: (p) => p.projects }),
    clients: t.field({ type: [ClientProfit], resolve: (p) => p.clients }),
    csvUrl: t.string({
      description: "The same lines as CSV (send the same Bearer token).",
      resolve: () => "/api/budgets/profitability.csv",
    }),
  }),
});

const UpdateBudgetInput = builder.inputType("UpdateBudgetInput", {
  fields: (t) => ({
    monthlyBudgetUsd: t.float(),
    hardStopAtBudget: t.boolean(),
    jobApprovalUsd: t.float(),
  }),
});

builder.queryFields((t) => ({
  budget: t.withAuth({ user: true }).field({
    type: Budget,
    args: { month: t.arg.string({ description: "YYYY-MM; the current month by default." }) },
    resolve: (_root, { month }, ctx) => budgetSummary(ctx.db, ctx.viewer.orgId, parseMonth(month)),
  }),
  profitability: t.withAuth({ user: true }).field({
    type: ProfitabilityRef,
    resolve: (_root, _args, ctx) => profitability(ctx.db, ctx.viewer.orgId),
  }),
  projects: t.withAuth({ user: true }).prismaField({
    type: ["Project"],
    resolve: (query, _root, _args, ctx) =>
      ctx.db.project.findMany({ ...query, where: { orgId: ctx.viewer.orgId }, orderBy: { name: "asc" } }),
  }),
  budgetOverrides: t.withAuth({ user: true }).prismaField({
    type: ["BudgetOverride"],
    args: { month: t.arg.string({ description: "YYYY-MM; the current month by default." }) },
    resolve: (query, _root, { month }, ctx) => {
      const { start, end } = monthRange(parseMonth(month));
      return ctx.db.budgetOverride.findMany({
        ...query,
        where: { orgId: ctx.viewer.orgId, createdAt: { gte: start, lt: end } },
        orderBy: { createdAt: "desc" },
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  updateBudget: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: Budget,
    description: "Owners set the monthly budget, the hard stop and the approval threshold.",
    errors: { result: { name: "UpdateBudgetSuccess" } },
    args: { input: t.arg({ type: UpdateBudgetInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const orgId = ctx.viewer.orgId;
      const before = await ctx.db.organization.findUniqueOrThrow({
        where: { id: orgId },
        select: { monthlyBudgetUsd: true, hardStopAtBudget: true, jobApprovalUsd: true },
      });
      await updateBudget(ctx, orgId, input);
      await audit(ctx, "budget.changed", { target: { type: "Organization", id: orgId }, before, after: input });
      // A lower budget may cross a threshold (or the hard stop) at once.
      await enforceBudgets(ctx, orgId);
      return budgetSummary(ctx.db, orgId, parseMonth(null));
    },
  }),
  createProject: t.withAuth({ role: ROLES_THAT.train }).prismaField({
    type: "Project",
    errors: { result: { name: "CreateProjectSuccess" } },
    args: {
      name: t.arg.string({ required: true }),
      clientName: t.arg.string(),
      monthlyBudgetUsd: t.arg.float({ description: "Owners only." }),
      contractValueUsd: t.arg.float({ description: "Owners only: what the client pays." }),
    },
    resolve: async (query, _root, args, ctx) => {
      if (args.monthlyBudgetUsd != null && !hasRole(ctx.viewer, ROLES_THAT.manage)) {
        throw new AppError("FORBIDDEN", "Only an owner can set a budget", "monthlyBudgetUsd");
      }
      if (args.contractValueUsd != null && !hasRole(ctx.viewer, ROLES_THAT.manage)) {
        throw new AppError("FORBIDDEN", "Only an owner can set a contract value", "contractValueUsd");
      }
      const project = await createProject(ctx, ctx.viewer.orgId, args);
      return ctx.db.project.findUniqueOrThrow({ ...query, where: { id: project.id } });
    },
  }),
  updateProjectBudget: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: Budget,
    description: "Owners set (or, with null, remove) a project's monthly budget.",
    errors: { result: { name: "UpdateProjectBudgetSuccess" } },
    args: { projectId: t.arg.id({ required: true }), monthlyBudgetUsd: t.arg.float() },
    resolve: async (_root, { projectId, monthlyBudgetUsd }, ctx) => {
      const orgId = ctx.viewer.orgId;
      await updateProjectBudget(ctx, orgId, String(projectId), monthlyBudgetUsd ?? null);
      await audit(ctx, "budget.changed", {
        target: { type: "Project", id: String(projectId) },
        after: { monthlyBudgetUsd: monthlyBudgetUsd ?? null },
      });
      await enforceBudgets(ctx, orgId);
      return budgetSummary(ctx.db, orgId, parseMonth(null));
    },
  }),
  updateProjectRevenue: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "Project",
    description: "Owners set (or, with null, remove) what the client pays for a project.",
    errors: { result: { name: "UpdateProjectRevenueSuccess" } },
    args: { projectId: t.arg.id({ required: true }), contractValueUsd: t.arg.float() },
    resolve: async (query, _root, { projectId, contractValueUsd }, ctx) => {
      const project = await updateProjectRevenue(ctx, ctx.viewer.orgId, String(projectId), contractValueUsd ?? null);
      await audit(ctx, "budget.changed", {
        target: { type: "Project", id: project.id },
        after: { contractValueUsd: contractValueUsd ?? null },
      });
      return ctx.db.project.findUniqueOrThrow({ ...query, where: { id: project.id } });
    },
  }),
  overrideJobBudget: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "TrainingJob",
    description: "Owners let a job that has not started go over the monthly budget, with a reason (recorded).",
    errors: { result: { name: "OverrideJobBudgetSuccess" } },
    args: { jobId: t.arg.id({ required: true }), reason: t.arg.string({ required: true }) },
    resolve: async (query, _root, { jobId, reason }, ctx) => {
      const job = await overrideJobBudget(ctx, ctx.viewer, String(jobId), reason);
      await audit(ctx, "budget.overridden", { target: { type: "TrainingJob", id: job.id }, after: { reason } }); // the override itself: the job's budgetOverrides
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
  approveTrainingJobCost: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "TrainingJob",
    description: "Owners confirm the cost of a job estimated above the approval threshold; it can then start.",
    errors: { result: { name: "ApproveTrainingJobCostSuccess" } },
    args: { jobId: t.arg.id({ required: true }) },
    resolve: async (query, _root, { jobId }, ctx) => {
      const job = await approveJobCost(ctx, ctx.viewer, String(jobId));
      await audit(ctx, "job.cost_approved", {
        target: { type: "TrainingJob", id: job.id },
        after: { estimatedCostUsd: job.estimatedCostUsd },
      });
      return ctx.db.trainingJob.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
}));
