import type { AppServices } from "../context.js";
import { appendEvent, inTransaction } from "../events/service.js";
import { queueJobChange } from "../jobs/service.js";
import { RUNNING_STATUSES } from "../jobs/stateMachine.js";

/**
 * Flags running jobs that have sent no report for `stallSeconds` (nor changed
 * status: a job just resumed by a new worker is not stalled). Each stall is
 * flagged once — the conditional update lets one server instance of several
 * win — and cleared by the next report (see ingestReport).
 */
export async function flagStalledJobs(services: AppServices, now = new Date()): Promise<string[]> {
  const cutoff = new Date(now.getTime() - services.config.stallSeconds * 1000);
  const quiet = {
    status: { in: RUNNING_STATUSES },
    stalledAt: null,
    OR: [{ lastReportAt: { lt: cutoff } }, { lastReportAt: null, startedAt: { lt: cutoff } }],
  };
  const candidates = await services.db.trainingJob.findMany({ where: quiet, select: { id: true, orgId: true, lastReportAt: true } });
  const flagged: string[] = [];
  for (const { id, orgId, lastReportAt } of candidates) {
    const recentChange = await services.db.jobEvent.findFirst({
      where: { jobId: id, type: "status_changed", receivedAt: { gte: cutoff } },
      select: { id: true },
    });
    if (recentChange) continue;
    const seconds = Math.round(services.config.stallSeconds);
    const stalled = await inTransaction(services, async (tx) => {
      const { count } = await tx.trainingJob.updateMany({ where: { id, ...quiet }, data: { stalledAt: now } });
      if (count === 0) return false;
      await appendEvent(tx, {
        jobId: id,
        type: "stalled",
        message: lastReportAt
          ? `No report for over ${seconds} s (last at ${lastReportAt.toISOString()})`
          : `No report for over ${seconds} s since the job started`,
        payload: { lastReportAt: lastReportAt?.toISOString() ?? null, stallSeconds: services.config.stallSeconds },
        source: "system",
      });
      queueJobChange(tx, { id, orgId }, "updated");
      return true;
    });
    if (stalled) flagged.push(id);
  }
  return flagged;
}
