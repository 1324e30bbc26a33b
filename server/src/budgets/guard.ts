import type { AppServices, UserViewer } from "../context.js";
import type { Tx } from "../events/service.js";
import { appendEvent, inTransaction } from "../events/service.js";
import { AppError, notFound } from "../errors.js";
import { formatUsd } from "../costs/money.js";
import { queueJobChange } from "../jobs/service.js";
import { raiseAlert } from "../notifications/alerts.js";
import { moneyOfMonth, PROJECT_CAP, totalsOf } from "./service.js";
import { monthOf } from "./month.js";
import { hasRole, ROLES_THAT } from "../auth/permissions.js";

// What stands between a job and the GPUs: the monthly budgets (organization,
// project) and, above the organization's threshold, an owner's approval.

const isOwner = (viewer: UserViewer) => hasRole(viewer, ROLES_THAT.manage);

function checkReason(viewer: UserViewer, reason: string | null | undefined): string | null {
  if (reason == null) return null;
  const clean = reason.trim();
  if (!clean) throw new AppError("VALIDATION", "Give a reason for going over the budget", "budgetOverrideReason");
  if (clean.length > 1000) throw new AppError("VALIDATION", "The reason must be at most 1000 characters", "budgetOverrideReason");
  if (!isOwner(viewer)) throw new AppError("FORBIDDEN", "Only an owner can override the budget", "budgetOverrideReason");
  return clean;
}

export type Funding = {
  /** Stores the owner's override, if one was needed, with the job it let through (and logs it on the job: published after the commit of an inTransaction). */
  record(tx: Tx, jobId: string): Promise<void>;
};

/**
 * Takes the organization's budget lock until the transaction ends (a PostgreSQL
 * row lock; SQLite's write lock), so that two jobs admitted at the same moment
 * are checked one after the other, the second against a forecast that counts
 * the first.
 */
async function lockBudget(tx: Tx, orgId: string) {
  await tx.$executeRaw`UPDATE "Organization" SET "monthlyBudgetUsd" = "monthlyBudgetUsd" WHERE "id" = ${orgId}`;
}

/**
 * Refuses a job whose estimate would take this month's forecast over the
 * organization's budget (BUDGET_EXCEEDED with the numbers) unless an owner
 * gives a reason, or the job already has an override. A project's forecast may
 * pass its budget only with an override, and never its 110% cap.
 * Runs inside the transaction that queues the job (see lockBudget).
 */
export async function checkJobFunding(
  tx: Tx,
  viewer: UserViewer,
  input: { jobId?: string; projectId?: string | null; estimateUsd: number; overrideReason?: string | null },
): Promise<Funding> {
  const reason = checkReason(viewer, input.overrideReason);
  const month = monthOf(new Date());
  await lockBudget(tx, viewer.orgId);
  const org = await tx.organization.findUniqueOrThrow({ where: { id: viewer.orgId } });
  const jobs = await moneyOfMonth(tx, viewer.orgId, month);
  const others = jobs.filter((j) => j.id !== input.jobId);
  const totals = totalsOf(others);
  const forecastWith = totals.forecastUsd + input.estimateUsd;
  const problems: string[] = [];
  if (forecastWith > org.monthlyBudgetUsd) {
    problems.push(
      `This job (estimated ${formatUsd(input.estimateUsd)}) would bring ${month}'s forecast to ${formatUsd(forecastWith)}, over the ${formatUsd(org.monthlyBudgetUsd)} budget: ` +
        `${formatUsd(totals.spentUsd)} spent and ${formatUsd(totals.committedUsd)} still to come from ${totals.activeJobs} running or queued job(s).`,
    );
  }
  const project = input.projectId ? await tx.project.findFirst({ where: { id: input.projectId, orgId: viewer.orgId } }) : null;
  if (project?.monthlyBudgetUsd != null) {
    const projectTotals = totalsOf(others.filter((j) => j.projectId === project.id));
    const projectForecast = projectTotals.forecastUsd + input.estimateUsd;
    const cap = project.monthlyBudgetUsd * PROJECT_CAP;
    if (projectForecast > cap) {
      throw new AppError(
        "BUDGET_EXCEEDED",
        `This job (estimated ${formatUsd(input.estimateUsd)}) would bring project "${project.name}" to ${formatUsd(projectForecast)} this month, past its hard cap of ${formatUsd(cap)} (110% of its ${formatUsd(project.monthlyBudgetUsd)} budget; ${formatUsd(projectTotals.spentUsd)} spent). No override can lift the cap: raise the project's budget or wait for next month.`,
        "projectId",
      );
    }
    if (projectForecast > project.monthlyBudgetUsd) {
      problems.push(
        `It would also bring project "${project.name}" to ${formatUsd(projectForecast)}, over its ${formatUsd(project.monthlyBudgetUsd)} budget.`,
      );
    }
  }
  const noRecord: Funding = { record: async () => {} };
  if (problems.length === 0) return noRecord;
  if (input.jobId && (await tx.budgetOverride.findFirst({ where: { jobId: input.jobId } }))) return noRecord;
  if (!reason)
    throw new AppError("BUDGET_EXCEEDED", `${problems.join(" ")} An owner can let it through with a reason.`, "budgetOverrideReason");
  return {
    record: async (recordTx, jobId) => {
      await recordTx.budgetOverride.create({
        data: {
          orgId: viewer.orgId,
          jobId,
          userId: viewer.userId,
          reason,
          month,
          budgetUsd: org.monthlyBudgetUsd,
          forecastUsd: forecastWith,
          jobEstimateUsd: input.estimateUsd,
        },
      });
      await appendEvent(recordTx, {
        jobId,
        type: "budget_overridden",
        message: `Allowed over the budget: ${reason}`,
        payload: { forecastUsd: forecastWith, budgetUsd: org.monthlyBudgetUsd },
        source: "user",
      });
    },
  };
}

/** An owner lets a job that has not started go over the budget, with a reason. */
export async function overrideJobBudget(services: AppServices, viewer: UserViewer, jobId: string, reason: string) {
  const job = await services.db.trainingJob.findFirst({ where: { id: jobId, orgId: viewer.orgId } });
  if (!job) throw notFound("Training job", "jobId");
  if (job.status !== "PENDING") throw new AppError("CONFLICT", "Only a job that has not started needs a budget override", "jobId");
  await inTransaction(services, async (tx) => {
    const funding = await checkJobFunding(tx, viewer, {
      jobId: job.id,
      projectId: job.projectId,
      estimateUsd: job.estimatedCostUsd,
      overrideReason: reason,
    });
    await funding.record(tx, job.id);
  });
  return job;
}

/** Whether an estimate is above the organization's per-job approval threshold. */
export async function aboveApprovalThreshold(services: AppServices, orgId: string, estimateUsd: number): Promise<boolean> {
  const org = await services.db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { jobApprovalUsd: true } });
  return estimateUsd > org.jobApprovalUsd;
}

/** Whether a job needs an owner's approval that it does not have yet. */
export async function approvalPending(
  services: AppServices,
  job: { id: string; orgId: string; estimatedCostUsd: number },
): Promise<boolean> {
  if (!(await aboveApprovalThreshold(services, job.orgId, job.estimatedCostUsd))) return false;
  return !(await services.db.costApproval.findUnique({ where: { jobId: job.id } }));
}

/** Tells the owners that a job waits for their approval (once per job). */
export async function requestApproval(services: AppServices, job: { id: string; orgId: string; name: string; estimatedCostUsd: number }) {
  const org = await services.db.organization.findUniqueOrThrow({ where: { id: job.orgId }, select: { jobApprovalUsd: true } });
  await raiseAlert(services, {
    orgId: job.orgId,
    type: "APPROVAL_REQUESTED",
    title: `Approve "${job.name}" (${formatUsd(job.estimatedCostUsd)})?`,
    message: `Job "${job.name}" is estimated at ${formatUsd(job.estimatedCostUsd)}, above the ${formatUsd(org.jobApprovalUsd)} approval threshold. It starts once an owner approves it.`,
    jobId: job.id,
    dedupeKey: `job:${job.id}:approval`,
    data: { estimateUsd: job.estimatedCostUsd, thresholdUsd: org.jobApprovalUsd },
  });
}

/** Refuses to start a job that still needs an owner's approval (and asks the owners for it). */
export async function assertApproved(services: AppServices, job: { id: string; orgId: string; name: string; estimatedCostUsd: number }) {
  if (await approvalPending(services, job)) {
    await requestApproval(services, job);
    throw new AppError(
      "APPROVAL_REQUIRED",
      `"${job.name}" is estimated at ${formatUsd(job.estimatedCostUsd)}, above your organization's approval threshold: an owner must approve its cost before it starts.`,
      "jobId",
    );
  }
}

/** An owner confirms the cost of a job above the approval threshold. */
export async function approveJobCost(services: AppServices, viewer: UserViewer, jobId: string) {
  const job = await services.db.trainingJob.findFirst({ where: { id: jobId, orgId: viewer.orgId } });
  if (!job) throw notFound("Training job", "jobId");
  const org = await services.db.organization.findUniqueOrThrow({ where: { id: viewer.orgId }, select: { jobApprovalUsd: true } });
  if (job.estimatedCostUsd <= org.jobApprovalUsd) {
    throw new AppError(
      "CONFLICT",
      `This job's estimate (${formatUsd(job.estimatedCostUsd)}) is within the ${formatUsd(org.jobApprovalUsd)} threshold: it needs no approval`,
      "jobId",
    );
  }
  if (job.status !== "PENDING") throw new AppError("CONFLICT", "Only a job that has not started can be approved", "jobId");
  await inTransaction(services, async (tx) => {
    await tx.costApproval.upsert({
      where: { jobId: job.id },
      create: { jobId: job.id, approvedById: viewer.userId, estimateUsd: job.estimatedCostUsd, thresholdUsd: org.jobApprovalUsd },
      update: {},
    });
    await appendEvent(tx, {
      jobId: job.id,
      type: "cost_approved",
      message: `Cost of ${formatUsd(job.estimatedCostUsd)} approved`,
      payload: { by: viewer.userId },
      source: "user",
    });
    queueJobChange(tx, job, "updated");
  });
  return job;
}
