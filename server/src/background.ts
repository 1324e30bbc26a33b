import type { AppServices } from "./context.js";

// Periodic work of a server instance (lease expiry, stall detection…). Each
// task registers here; all stop with the app.
type Task = { name: string; everyMs: number; run: (services: AppServices) => Promise<void> };
export const backgroundTasks: Task[] = [];

export function startBackgroundTasks(services: AppServices): () => void {
  const timers = backgroundTasks.map((task) =>
    setInterval(() => {
      task.run(services).catch((error) => console.error(`background task ${task.name} failed`, error));
    }, task.everyMs),
  );
  return () => timers.forEach(clearInterval);
}
