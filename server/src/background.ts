import type { AppServices } from "./context.js";
import { expireLeases } from "./workers/service.js";
import { flagStalledJobs } from "./ingest/stall.js";
import { startSpendingWatch } from "./budgets/watch.js";
import { startDeliveryWorker } from "./notifications/queue.js";
import { queueDueDigests } from "./notifications/digest.js";
import { queueAutomaticRuns } from "./validation/service.js";
import { startCompute } from "./compute/providers.js";
import { runDueAutoRetries } from "./failures/autoRetry.js";

// Periodic work of a server instance (lease expiry, stall detection…). Each
// task registers here; all stop with the app.
type Task = { name: string; everyMs: number; run: (services: AppServices) => Promise<void> };
export const backgroundTasks: Task[] = [
  { name: "expire worker leases", everyMs: 1000, run: async (services) => void (await expireLeases(services)) },
  { name: "flag stalled jobs", everyMs: 1000, run: async (services) => void (await flagStalledJobs(services)) },
  { name: "retry transient failures", everyMs: 1000, run: async (services) => void (await runDueAutoRetries(services)) },
  { name: "queue automatic validations", everyMs: 1000, run: queueAutomaticRuns },
  { name: "queue daily digests", everyMs: 60_000, run: async (services) => void (await queueDueDigests(services)) },
];

/**
 * Long-lived work with its own start and stop (a pub/sub listener, a delivery
 * queue): `start` returns a function that stops it and waits for work in flight,
 * so nothing touches the database after the app has stopped.
 */
type Worker = { name: string; start: (services: AppServices) => () => Promise<void> };
export const backgroundWorkers: Worker[] = [
  { name: "watch job spending", start: startSpendingWatch },
  { name: "deliver notifications", start: startDeliveryWorker },
  { name: "launch and watch machines", start: startCompute },
];

export function startBackgroundTasks(services: AppServices): () => Promise<void> {
  const timers = backgroundTasks.map((task) =>
    setInterval(() => {
      task.run(services).catch((error) => console.error(`background task ${task.name} failed`, error));
    }, task.everyMs),
  );
  const stops = backgroundWorkers.map((worker) => worker.start(services));
  return async () => {
    timers.forEach(clearInterval);
    await Promise.all(stops.map((stop) => stop()));
  };
}
