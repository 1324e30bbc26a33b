import type { JobStatus } from "../generated/sqlite/enums.js";
import { FINAL_STATUSES, RUNNING_STATUSES } from "../jobs/stateMachine.js";
import { costForSeconds } from "./estimate.js";

// A job's money while it runs. The billing rule: a job is billed from its
// start until its worker lets go of the GPU (training done, or the job ended)
// or now, time spent recovering from a spot interruption included, at its
// hourly rate; the VALIDATION stage is not billed. A job the server launched
// machines for (server/src/compute) is billed instead for the time those machines
// were held, each at its launch's price: waiting for a machine is free, a machine
// kept after training is not. Time a trainer reports as not the job's own work (the
// demo base model's one-time build) is taken off. The ingest applies the rule on every report; budgets
// apply it between reports, so a cap holds even when a trainer goes quiet.

/** The columns the billing rule reads: select them wherever a job's money is computed. */
export const JOB_MONEY_SELECT = {
  status: true,
  progress: true,
  estimatedCostUsd: true,
  actualCostUsd: true,
  hourlyRateUsd: true,
  billableSeconds: true,
  startedAt: true,
  finishedAt: true,
  billingEndedAt: true,
  machineSeconds: true,
  machineSince: true,
  machineCostUsd: true,
  machineRateUsd: true,
  unbilledSeconds: true,
  unbilledCostUsd: true,
} as const;

/** A job whose cost passes this multiple of its estimate is an overrun (alerted once). */
export const OVERRUN_FACTOR = 1.2;

type Billed = {
  startedAt: Date | null;
  finishedAt: Date | null;
  billingEndedAt: Date | null;
  billableSeconds: number;
  hourlyRateUsd: number;
  machineSeconds: number;
  machineSince: Date | null;
  machineCostUsd: number;
  machineRateUsd: number | null;
  unbilledSeconds: number;
  unbilledCostUsd: number;
};
type JobMoney = Billed & { status: JobStatus; progress: number; estimatedCostUsd: number; actualCostUsd: number };

/** Billable seconds at `now` by the billing rule; never less than what was billed already. */
export function billableSecondsAt(job: Billed, now: Date): number {
  if (billedByMachine(job)) {
    const held = job.machineSince ? Math.max(0, now.getTime() - job.machineSince.getTime()) / 1000 : 0;
    return Math.max(job.billableSeconds, job.machineSeconds + held - job.unbilledSeconds);
  }
  if (!job.startedAt) return job.billableSeconds;
  const end = job.billingEndedAt ?? job.finishedAt ?? now;
  return Math.max(job.billableSeconds, (end.getTime() - job.startedAt.getTime()) / 1000 - job.unbilledSeconds);
}

/** Whether the job ran on machines the server launched (billed by their launch intervals). */
export function billedByMachine(job: Billed): boolean {
  return job.machineSince !== null || job.machineSeconds > 0;
}

/** Dollars billed at `now` by the billing rule: launch intervals at their prices, or billable seconds at the job's rate. */
export function billedCostUsd(job: Billed, now: Date): number {
  if (!billedByMachine(job)) return costForSeconds(billableSecondsAt(job, now), job.hourlyRateUsd);
  const held = job.machineSince ? Math.max(0, now.getTime() - job.machineSince.getTime()) / 1000 : 0;
  const cost = job.machineCostUsd + costForSeconds(held, job.machineRateUsd ?? job.hourlyRateUsd) - job.unbilledCostUsd;
  return Math.max(0, Math.round(cost * 10_000) / 10_000);
}

/** The cost so far at `now` (the final cost once the job has ended). */
export function currentCostUsd(job: JobMoney, now = new Date()): number {
  return Math.max(job.actualCostUsd, billedCostUsd(job, now));
}

/** What a job is still expected to cost: the part of its estimate its progress has not covered. */
export function remainingCostUsd(job: JobMoney): number {
  if (FINAL_STATUSES.includes(job.status)) return 0;
  return job.estimatedCostUsd * (1 - Math.min(100, Math.max(0, job.progress)) / 100);
}

/** Spent so far plus what is still to come; the final cost once the job has ended. */
export function projectedCostUsd(job: JobMoney, now = new Date()): number {
  return currentCostUsd(job, now) + remainingCostUsd(job);
}

/** Whether the job holds a GPU and is billed by the second (recovery included, validation not). */
export function isBilling(status: JobStatus): boolean {
  return (RUNNING_STATUSES.includes(status) && status !== "VALIDATION") || status === "RECOVERING";
}

/** Dollars per hour the job costs now: its rate while billing, 0 otherwise. */
export function spendRateUsdPerHour(job: JobMoney): number {
  if (billedByMachine(job)) return job.machineSince ? (job.machineRateUsd ?? job.hourlyRateUsd) : 0;
  return isBilling(job.status) ? job.hourlyRateUsd : 0;
}

export function isCostOverrun(job: JobMoney, now = new Date()): boolean {
  return currentCostUsd(job, now) > job.estimatedCostUsd * OVERRUN_FACTOR;
}
