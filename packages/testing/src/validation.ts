// Test helpers over trainedJob.ts: a job trained by the real worker against a
// test server, and waiting for its validation.
import type { TestApp } from "./app.js";
import { runTestWorker, trainJob } from "./trainedJob.js";

export async function trainTinyJob(app: TestApp, options: { validationFollows?: boolean; name?: string; chatsJsonl?: string } = {}) {
  const { jobId, session } = await trainJob(app.url, options);
  // The worker's own held-out measurement, from its completion report.
  const completed = await app.services.db.jobEvent.findFirst({ where: { jobId, type: "completed" }, orderBy: { id: "desc" } });
  return { jobId, session, summary: (completed?.payload as { summary?: Record<string, number> })?.summary ?? {} };
}

/** Polls until the job's latest validation run has finished; a run still waiting for a worker gets one (the real worker, once). */
export async function waitForValidation(app: TestApp, jobId: string, timeoutMs = 120_000) {
  const started = Date.now();
  const pending = await app.services.db.validationRun.findFirst({ where: { jobId }, orderBy: { createdAt: "desc" } });
  if (pending?.status === "PENDING") await runTestWorker(app.url, { validationFollows: true });
  for (;;) {
    const run = await app.services.db.validationRun.findFirst({ where: { jobId }, orderBy: { createdAt: "desc" } });
    if (run && (run.status === "COMPLETED" || run.status === "FAILED")) return run;
    if (Date.now() - started > timeoutMs) throw new Error(`validation of ${jobId} did not finish: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
