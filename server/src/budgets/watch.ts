import type { AppServices } from "../context.js";
import { RUNNING_STATUSES } from "../jobs/stateMachine.js";
import { raiseAlert, type NewAlert } from "../notifications/alerts.js";
import { alertJobChanges } from "../notifications/jobAlerts.js";
import { enforceBudgets } from "./enforce.js";

// Checks an organization's money when one of its jobs changes (the
// "jobs:changed" topic) and, every second, while any of its jobs is billing.
// Checks are coalesced per organization and run at most once a second each:
// a burst of reports or claims costs one check, not one per change.

const SWEEP_MS = 1000;
const MIN_CHECK_INTERVAL_MS = 1000;

export function startSpendingWatch(services: AppServices): () => Promise<void> {
  const waiting = new Map<string, Set<string>>();
  const running = new Map<string, Promise<void>>();
  const pauses = new Set<() => void>();
  let stopped = false;

  // Alerts already raised need no second look in the database.
  const raised = new Set<string>();
  const raise = async (alert: NewAlert) => {
    if (raised.has(alert.dedupeKey)) return;
    await raiseAlert(services, alert);
    raised.add(alert.dedupeKey);
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pauses.add(done);
    });

  const drain = async (orgId: string) => {
    for (let changed = waiting.get(orgId); changed && !stopped; changed = waiting.get(orgId)) {
      waiting.delete(orgId);
      try {
        const now = new Date();
        await alertJobChanges(services, [...changed], now, raise);
        await enforceBudgets(services, orgId, { now, changed, raise });
      } catch (error) {
        console.error("spending watch failed", error);
      }
      await pause(MIN_CHECK_INTERVAL_MS);
    }
    running.delete(orgId);
  };
  const check = (orgId: string, jobIds: string[]) => {
    if (stopped) return;
    const set = waiting.get(orgId) ?? new Set<string>();
    jobIds.forEach((id) => set.add(id));
    waiting.set(orgId, set);
    if (!running.has(orgId)) running.set(orgId, drain(orgId));
  };

  const changes = services.pubsub.subscribe("jobs:changed");
  void (async () => {
    for await (const { orgId, jobId, change } of changes) if (change !== "deleted") check(orgId, [jobId]);
  })();

  const sweep = async () => {
    const billing = await services.db.trainingJob.findMany({
      where: { status: { in: [...RUNNING_STATUSES, "RECOVERING"] } },
      distinct: ["orgId"],
      select: { orgId: true },
    });
    for (const { orgId } of billing) check(orgId, []);
  };
  let sweeping: Promise<void> | null = null;
  const timer = setInterval(() => {
    sweeping ??= sweep()
      .catch((error) => console.error("spending sweep failed", error))
      .finally(() => (sweeping = null));
  }, SWEEP_MS);

  return async () => {
    stopped = true;
    clearInterval(timer);
    await changes.return?.();
    pauses.forEach((resume) => resume());
    await sweeping;
    await Promise.all(running.values());
  };
}
