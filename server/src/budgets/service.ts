import type { AppServices } from "../context.js";
import type { Db } from "../db/client.js";
import type { Tx } from "../events/service.js";
import { AppError, notFound } from "../errors.js";
import { ACTIVE_STATUSES } from "../jobs/stateMachine.js";
import { currentCostUsd, JOB_MONEY_SELECT, remainingCostUsd } from "../costs/live.js";
import { monthRange } from "./month.js";

// A month's money: what was spent, what running and queued jobs are still
// expected to cost, and how that compares with the organization's and each
// project's budget. A job's cost belongs to the month it was started (queued).

/** A project's spend may never pass this multiple of its budget. */
export const PROJECT_CAP = 1.1;

/** What the checks need of a job: its money, status and project. */
const moneySelect = { ...JOB_MONEY_SELECT, id: true, orgId: true, name: true, projectId: true } as const;

/** What the page and the report show besides. */
const reportSelect = {
  ...moneySelect,
  preset: true,
  gpuType: true,
  pricingTier: true,
  clientName: true,
  queuedAt: true,
  createdBy: { select: { name: true } },
  project: { select: { name: true, clientName: true } },
} as const;

const monthWhere = (orgId: string, month: string) => {
  const { start, end } = monthRange(month);
  return { orgId, queuedAt: { gte: start, lt: end } };
};

/** The month's jobs with just their money, for the budget checks (they run often). */
export function moneyOfMonth(db: Tx, orgId: string, month: string) {
  return db.trainingJob.findMany({ where: monthWhere(orgId, month), select: moneySelect });
}
export type MonthJob = Awaited<ReturnType<typeof moneyOfMonth>>[number];

/** The month's jobs with what the budget page and the report show, costliest first. */
export function jobsOfMonth(db: Db, orgId: string, month: string) {
  return db.trainingJob.findMany({
    where: monthWhere(orgId, month),
    select: reportSelect,
    orderBy: [{ actualCostUsd: "desc" }, { id: "asc" }],
  });
}
export type ReportJob = Awaited<ReturnType<typeof jobsOfMonth>>[number];

export type Totals = { spentUsd: number; committedUsd: number; forecastUsd: number; activeJobs: number };

/** Spend counts running jobs up to `now` (the billing rule), not only up to their last report. */
export function totalsOf(jobs: MonthJob[], now = new Date()): Totals {
  const active = jobs.filter((j) => ACTIVE_STATUSES.includes(j.status));
  const spentUsd = jobs.reduce((sum, j) => sum + currentCostUsd(j, now), 0);
  const committedUsd = active.reduce((sum, j) => sum + remainingCostUsd(j), 0);
  return { spentUsd, committedUsd, forecastUsd: spentUsd + committedUsd, activeJobs: active.length };
}

const percent = (amount: number, budget: number | null) => (budget ? (100 * amount) / budget : null);

export async function budgetSummary(db: Db, orgId: string, month: string) {
  const [org, jobs, projects] = await Promise.all([
    db.organization.findUniqueOrThrow({ where: { id: orgId } }),
    jobsOfMonth(db, orgId, month),
    db.project.findMany({ where: { orgId }, orderBy: { name: "asc" } }),
  ]);
  const totals = totalsOf(jobs);
  const projectLines = projects
    .map((project) => {
      const t = totalsOf(jobs.filter((j) => j.projectId === project.id));
      return {
        ...t,
        projectId: project.id,
        name: project.name,
        clientName: project.clientName,
        budgetUsd: project.monthlyBudgetUsd,
        percentUsed: percent(t.spentUsd, project.monthlyBudgetUsd),
        jobs: jobs.filter((j) => j.projectId === project.id).length,
      };
    })
    .filter((line) => line.budgetUsd != null || line.jobs > 0);
  const clients = [...new Set(jobs.map((j) => j.clientName ?? j.project?.clientName ?? null))];
  const clientLines = clients
    .map((clientName) => ({ clientName, ...totalsOf(jobs.filter((j) => (j.clientName ?? j.project?.clientName ?? null) === clientName)) }))
    .sort((a, b) => b.spentUsd - a.spentUsd);
  return {
    month,
    budgetUsd: org.monthlyBudgetUsd,
    hardStopAtBudget: org.hardStopAtBudget,
    jobApprovalUsd: org.jobApprovalUsd,
    ...totals,
    remainingUsd: org.monthlyBudgetUsd - totals.spentUsd,
    percentUsed: percent(totals.spentUsd, org.monthlyBudgetUsd) ?? 0,
    forecastPercent: percent(totals.forecastUsd, org.monthlyBudgetUsd) ?? 0,
    jobs,
    projects: projectLines,
    clients: clientLines,
  };
}
export type BudgetSummary = Awaited<ReturnType<typeof budgetSummary>>;

export async function updateBudget(
  services: AppServices,
  orgId: string,
  input: { monthlyBudgetUsd?: number | null; hardStopAtBudget?: boolean | null; jobApprovalUsd?: number | null },
) {
  checkBudgetAmount(input.monthlyBudgetUsd, "monthlyBudgetUsd");
  checkBudgetAmount(input.jobApprovalUsd, "jobApprovalUsd");
  return services.db.organization.update({
    where: { id: orgId },
    data: {
      ...(input.monthlyBudgetUsd != null && { monthlyBudgetUsd: input.monthlyBudgetUsd }),
      ...(input.hardStopAtBudget != null && { hardStopAtBudget: input.hardStopAtBudget }),
      ...(input.jobApprovalUsd != null && { jobApprovalUsd: input.jobApprovalUsd }),
    },
  });
}

function checkBudgetAmount(amount: number | null | undefined, field: string) {
  if (amount != null && !(amount >= 0 && amount <= 10_000_000))
    throw new AppError("VALIDATION", "A budget must be between $0 and $10,000,000", field);
}

/** A client project: jobs can be attributed to it, and it may have a monthly budget of its own. */
export async function createProject(
  services: AppServices,
  orgId: string,
  input: { name: string; clientName?: string | null; monthlyBudgetUsd?: number | null; contractValueUsd?: number | null },
) {
  const name = input.name.trim();
  if (!name || name.length > 200) throw new AppError("VALIDATION", "Give the project a name of 1–200 characters", "name");
  if (input.clientName && input.clientName.length > 200)
    throw new AppError("VALIDATION", "clientName must be at most 200 characters", "clientName");
  checkBudgetAmount(input.monthlyBudgetUsd, "monthlyBudgetUsd");
  checkContractValue(input.contractValueUsd);
  try {
    return await services.db.project.create({
      data: {
        orgId,
        name,
        clientName: input.clientName?.trim() || null,
        monthlyBudgetUsd: input.monthlyBudgetUsd ?? null,
        contractValueUsd: input.contractValueUsd ?? null,
      },
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw new AppError("CONFLICT", `A project named "${name}" already exists`, "name");
    throw error;
  }
}

function checkContractValue(amount: number | null | undefined) {
  if (amount != null && !(amount >= 0 && amount <= 1e9))
    throw new AppError("VALIDATION", "A contract value must be between $0 and $1,000,000,000", "contractValueUsd");
}

/** Sets or (with null) removes what the client pays for a project: its revenue. */
export async function updateProjectRevenue(services: AppServices, orgId: string, projectId: string, contractValueUsd: number | null) {
  checkContractValue(contractValueUsd);
  const project = await services.db.project.findFirst({ where: { id: projectId, orgId } });
  if (!project) throw notFound("Project", "projectId");
  return services.db.project.update({ where: { id: project.id }, data: { contractValueUsd } });
}

/** Sets or (with null) removes a project's monthly budget. */
export async function updateProjectBudget(services: AppServices, orgId: string, projectId: string, monthlyBudgetUsd: number | null) {
  checkBudgetAmount(monthlyBudgetUsd, "monthlyBudgetUsd");
  const project = await services.db.project.findFirst({ where: { id: projectId, orgId } });
  if (!project) throw notFound("Project", "projectId");
  return services.db.project.update({ where: { id: project.id }, data: { monthlyBudgetUsd } });
}
