import type { AppServices } from "../context.js";
import { formatUsd } from "../costs/money.js";
import { currentCostUsd } from "../costs/live.js";
import { ACTIVE_STATUSES } from "../jobs/stateMachine.js";
import { failureGuidance } from "../failures/guidance.js";
import { automaticRetryOf } from "../failures/autoRetry.js";
import { raiseAlert, type Raise } from "./alerts.js";

/** Alerts for what just happened to jobs: completed, failed (with the guidance; not while the system retries it by itself), stalled. */
export async function alertJobChanges(
  services: AppServices,
  jobIds: string[],
  now = new Date(),
  raise: Raise = (alert) => raiseAlert(services, alert),
) {
  if (jobIds.length === 0) return;
  const jobs = await services.db.trainingJob.findMany({
    where: {
      id: { in: jobIds },
      OR: [{ status: { in: ["COMPLETED", "FAILED"] } }, { stalledAt: { not: null }, status: { in: ACTIVE_STATUSES } }],
    },
  });
  for (const job of jobs) {
    const costUsd = currentCostUsd(job, now);
    const base = { orgId: job.orgId, jobId: job.id, projectId: job.projectId };
    if (job.status === "COMPLETED") {
      await raise({
        ...base,
        type: "JOB_COMPLETED",
        title: `"${job.name}" completed`,
        message: `Job "${job.name}" completed for ${formatUsd(costUsd)} (estimated ${formatUsd(job.estimatedCostUsd)}). Its adapter is ready to download.`,
        dedupeKey: `job:${job.id}:completed`,
        data: { costUsd, estimatedCostUsd: job.estimatedCostUsd },
      });
    } else if (job.status === "FAILED") {
      // A transient failure the system retries by itself pages nobody (failures/autoRetry.ts).
      if (job.autoRetryAt || (await automaticRetryOf(services, job.id))) continue;
      const guidance = await failureGuidance(services, job);
      const fix = guidance.suggestedChanges.map((c) => `${c.field} ${String(c.from)} → ${String(c.to)}`).join(", ");
      const retries = job.autoRetryAttempt > 0 ? ` It was automatic retry ${job.autoRetryAttempt}: the system retries it no more.` : "";
      await raise({
        ...base,
        type: "JOB_FAILED",
        title: `"${job.name}" failed: ${guidance.errorType}`,
        message: `Job "${job.name}" failed.${retries} ${guidance.explanation}${fix ? ` Suggested retry: ${fix}.` : ""}`,
        dedupeKey: `job:${job.id}:failed`,
        data: {
          errorType: guidance.errorType,
          suggestedChanges: guidance.suggestedChanges,
          costUsd,
          autoRetryAttempt: job.autoRetryAttempt,
        },
      });
    } else if (job.stalledAt) {
      await raise({
        ...base,
        type: "JOB_STALLED",
        title: `"${job.name}" has stalled`,
        message: `Job "${job.name}" has sent no report since ${(job.lastReportAt ?? job.stalledAt).toISOString()} while ${job.status.toLowerCase()}. It is still billed: check its worker, or cancel it.`,
        dedupeKey: `job:${job.id}:stalled:${job.stalledAt.getTime()}`,
      });
    }
  }
}
