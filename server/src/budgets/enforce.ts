import type { AppServices } from "../context.js";
import { AppError } from "../errors.js";
import { formatUsd } from "../costs/money.js";
import { currentCostUsd, isBilling, isCostOverrun, OVERRUN_FACTOR } from "../costs/live.js";
import { ACTIVE_STATUSES } from "../jobs/stateMachine.js";
import { transitionJob } from "../jobs/service.js";
import { raiseAlert, type Raise } from "../notifications/alerts.js";
import { moneyOfMonth, PROJECT_CAP, totalsOf, type MonthJob } from "./service.js";
import { monthOf } from "./month.js";

// The rules of a month's money, applied to what has been spent up to this
// second (the billing rule, between a trainer's reports too): overrun alerts,
// the 80/95/100% alerts (each once a month), the optional hard stop, and the
// projects' 110% cap. Alerts carry dedupe keys, so checking twice alerts once.

/**
 * Jobs are stopped this many seconds of billing before a hard limit, so that
 * the limit holds even when the next check comes a little late.
 */
export const STOP_AHEAD_SECONDS = 3;

const BUDGET_LEVELS = [
  { percent: 80, type: "BUDGET_80" },
  { percent: 95, type: "BUDGET_95" },
  { percent: 100, type: "BUDGET_100" },
] as const;

/** What the jobs still billing will add before the next checks. */
const spendAhead = (jobs: MonthJob[]) =>
  jobs.filter((j) => isBilling(j.status)).reduce((sum, j) => sum + (j.hourlyRateUsd * STOP_AHEAD_SECONDS) / 3600, 0);

/** Cancels jobs the budget cannot carry; a job that finished meanwhile is left alone. */
async function cancelJobs(services: AppServices, jobs: MonthJob[], reason: string) {
  for (const job of jobs) {
    try {
      await transitionJob(services, job.id, "CANCELLED", { message: `Cancelled: ${reason}`, payload: { reason: "budget" } });
    } catch (error) {
      if (!(error instanceof AppError && error.code === "INVALID_TRANSITION")) throw error;
    }
  }
}

async function alertOverruns(jobs: MonthJob[], now: Date, raise: Raise) {
  for (const job of jobs.filter((j) => isCostOverrun(j, now))) {
    const costUsd = currentCostUsd(job, now);
    const over = (100 * (costUsd - job.estimatedCostUsd)) / job.estimatedCostUsd;
    await raise({
      orgId: job.orgId,
      jobId: job.id,
      projectId: job.projectId,
      type: "COST_OVERRUN",
      title: `"${job.name}" is ${over.toFixed(0)}% over its estimate`,
      message: `Job "${job.name}" has cost ${formatUsd(costUsd)}, more than ${Math.round(OVERRUN_FACTOR * 100)}% of its ${formatUsd(job.estimatedCostUsd)} estimate, and is ${job.status.toLowerCase()}.`,
      dedupeKey: `job:${job.id}:overrun`,
      data: { costUsd, estimatedCostUsd: job.estimatedCostUsd },
    });
  }
}

async function enforceProjectCaps(services: AppServices, orgId: string, month: string, jobs: MonthJob[], now: Date, raise: Raise) {
  const projectIds = [...new Set(jobs.map((j) => j.projectId).filter((id): id is string => id !== null))];
  if (projectIds.length === 0) return;
  const projects = await services.db.project.findMany({ where: { id: { in: projectIds }, monthlyBudgetUsd: { not: null } } });
  for (const project of projects) {
    const budget = project.monthlyBudgetUsd!;
    const mine = jobs.filter((j) => j.projectId === project.id);
    const { spentUsd } = totalsOf(mine, now);
    const active = mine.filter((j) => ACTIVE_STATUSES.includes(j.status));
    const cap = budget * PROJECT_CAP;
    const atCap = active.length > 0 && spentUsd + spendAhead(active) >= cap;
    if (spentUsd >= budget || atCap) {
      await raise({
        orgId,
        projectId: project.id,
        type: "PROJECT_BUDGET_EXCEEDED",
        title: `Project "${project.name}" is over its budget`,
        message: `Project "${project.name}" has spent ${formatUsd(spentUsd)} in ${month}, over its ${formatUsd(budget)} budget. Its jobs are stopped before ${formatUsd(cap)} (110%).`,
        dedupeKey: `project:${project.id}:${month}:100`,
        data: { spentUsd, budgetUsd: budget, capUsd: cap },
      });
    }
    if (atCap) {
      await cancelJobs(services, active, `project "${project.name}" reached its cap of ${formatUsd(cap)} (110% of its budget)`);
      await raise({
        orgId,
        projectId: project.id,
        type: "PROJECT_BUDGET_EXCEEDED",
        title: `Project "${project.name}" reached its cap: ${active.length} job(s) cancelled`,
        message: `Project "${project.name}" has spent ${formatUsd(spentUsd)} of its ${formatUsd(budget)} budget; ${active.length} job(s) were cancelled so that it stays under ${formatUsd(cap)} (110%).`,
        dedupeKey: `project:${project.id}:${month}:cap:${active
          .map((j) => j.id)
          .sort()
          .join(",")}`,
        data: { spentUsd, budgetUsd: budget, capUsd: cap, cancelledJobIds: active.map((j) => j.id) },
      });
    }
  }
}

/**
 * Applies the month's rules to an organization. `changed` are jobs that just
 * changed: a job that has just finished is checked for an overrun one last time.
 */
export async function enforceBudgets(
  services: AppServices,
  orgId: string,
  options: { now?: Date; changed?: Set<string>; raise?: Raise } = {},
) {
  const now = options.now ?? new Date();
  const raise = options.raise ?? ((alert) => raiseAlert(services, alert));
  const month = monthOf(now);
  const [org, jobs] = await Promise.all([
    services.db.organization.findUniqueOrThrow({ where: { id: orgId } }),
    moneyOfMonth(services.db, orgId, month),
  ]);
  const active = jobs.filter((j) => ACTIVE_STATUSES.includes(j.status));
  await alertOverruns(
    jobs.filter((j) => ACTIVE_STATUSES.includes(j.status) || options.changed?.has(j.id)),
    now,
    raise,
  );

  const totals = totalsOf(jobs, now);
  const budget = org.monthlyBudgetUsd;
  const hardStop = org.hardStopAtBudget && active.length > 0 && totals.spentUsd + spendAhead(active) >= budget;
  for (const level of BUDGET_LEVELS) {
    const reached = (totals.spentUsd > 0 && totals.spentUsd >= (budget * level.percent) / 100) || (level.percent === 100 && hardStop);
    if (!reached) continue;
    const used = budget > 0 ? `${((100 * totals.spentUsd) / budget).toFixed(0)}%` : "a budget of $0";
    await raise({
      orgId,
      type: level.type,
      title: `${level.percent}% of the ${month} budget spent`,
      message:
        `${org.name} has spent ${formatUsd(totals.spentUsd)} of its ${formatUsd(budget)} budget for ${month} (${used}); ` +
        `${formatUsd(Math.max(0, budget - totals.spentUsd))} remains. ${totals.activeJobs} job(s) running or queued; forecast ${formatUsd(totals.forecastUsd)}.` +
        (level.percent === 100
          ? hardStop
            ? ` Hard stop: ${active.length} job(s) cancelled.`
            : " New jobs are refused unless an owner overrides."
          : ""),
      dedupeKey: `budget:${orgId}:${month}:${level.percent}`,
      data: { ...totals, budgetUsd: budget, remainingUsd: budget - totals.spentUsd, month },
    });
  }
  if (hardStop) await cancelJobs(services, active, `the ${month} budget of ${formatUsd(budget)} is spent (hard stop)`);
  await enforceProjectCaps(services, orgId, month, jobs, now, raise);
}
