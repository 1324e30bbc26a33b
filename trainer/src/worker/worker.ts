// The worker loop: deliver what an earlier run left, claim a job, run it,
// repeat. SIGTERM/SIGINT interrupt the job at its next step (checkpoint,
// report) and the worker exits after giving the queue a few seconds; a second
// signal exits at once.
import { NetworkError, RefusedError, ServerClient, unwrap } from "./api";
import { deliverTo } from "./delivery";
import { JobRun, type RunOptions } from "./jobRun";
import { ClaimTrainingJob, ClaimValidationRun } from "./operations";
import { runValidation } from "./validationRun";
import { ReportQueue } from "./reportQueue";
import { EXIT_CODES, exitCodeOf } from "./exitCodes";

/** This worker takes only jobs (and validation runs) for the TypeScript trainer (config.backend). */
const BACKENDS = ["typescript"];

export type WorkerOptions = Omit<RunOptions, "log"> & {
  serverUrl: string;
  apiKey: string;
  workerId: string;
  gpuTypes: string[] | null;
  /** Run at most one job, then exit (also when there is none). */
  once: boolean;
  /** Claim only this job, once, and exit with a code that says what should happen next (exitCodes.ts). */
  jobId?: string | null;
  shutdownGraceSeconds: number;
  log?: (message: string) => void;
};

export async function runWorker(options: WorkerOptions): Promise<number> {
  const log = options.log ?? ((message: string) => console.log(`${new Date().toISOString()} ${message}`));
  const client = new ServerClient(options.serverUrl);
  const queue = await ReportQueue.open(options.stateDir, deliverTo(client), (entry, error) =>
    log(`gave up a ${entry.report.type} report of job ${entry.jobId}: ${(error as Error).message}`),
  );
  let stopping = false;
  let current: JobRun | null = null;
  let wake: () => void = () => {};
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now; ${queue.pending()} report(s) stay queued on disk`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: ${current ? "checkpointing and stopping" : "stopping"}`);
    current?.requestInterrupt();
    wake();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => (clearTimeout(timer), resolve());
    });

  /** Claims and evaluates one validation run (of `jobId` when given); false when none was waiting. */
  const validateNext = async (jobId: string | null): Promise<boolean> => {
    let answer;
    try {
      answer = unwrap(
        (
          await client.request(
            ClaimValidationRun,
            { workerId: options.workerId, gpuTypes: options.gpuTypes, backends: BACKENDS, jobId },
            options.apiKey,
          )
        ).claimValidationRun,
      );
    } catch (error) {
      if (!(error instanceof NetworkError || error instanceof RefusedError)) throw error;
      log(`could not claim a validation run: ${error.message}`);
      return false;
    }
    if (!answer.claim) return false;
    log(`claimed validation ${answer.claim.run.id} of job ${answer.claim.job.id} (${answer.claim.tasks.length} task(s) to do)`);
    const outcome = await runValidation(client, options.apiKey, options.workerId, answer.claim, options.stateDir, log);
    log(`validation ${answer.claim.run.id}: ${outcome}`);
    return true;
  };

  try {
    if (queue.pending() > 0) log(`delivering ${queue.pending()} report(s) left by an earlier run`);
    let failures = 0;
    const once = options.once || Boolean(options.jobId);
    let exitCode: number = EXIT_CODES.done;
    while (!stopping) {
      // The server hears everything about earlier jobs first: a job taken up again resumes from its latest checkpoint.
      if (!(await queue.drain(1000))) continue;
      let claimed;
      try {
        claimed = unwrap(
          (
            await client.request(
              ClaimTrainingJob,
              { workerId: options.workerId, gpuTypes: options.gpuTypes, backends: BACKENDS, jobId: options.jobId ?? null },
              options.apiKey,
            )
          ).claimTrainingJob,
        );
        failures = 0;
      } catch (error) {
        if (error instanceof RefusedError) {
          log(`the server refused this worker: ${error.message}`);
          return options.jobId ? EXIT_CODES.doNotRetry : 2;
        }
        if (!(error instanceof NetworkError)) throw error;
        log(`${error.message}; trying again`);
        await pause(Math.min(30_000, 1000 * 2 ** failures++));
        continue;
      }
      if (!claimed.claim) {
        // No training waiting: a validation run of the same backend, if one waits (or a job's own, for a machine launched for it).
        if (options.validationFollows && (await validateNext(options.jobId ?? null))) {
          if (once) break;
          continue;
        }
        if (options.jobId) log(`job ${options.jobId} is not waiting for a machine; nothing to do`);
        if (once) break;
        await pause(claimed.pollAfterSeconds * 1000);
        continue;
      }
      const job = claimed.claim.job;
      log(`claimed job ${job.id} "${job.name}"${claimed.claim.resumeFrom ? ` (resuming from step ${claimed.claim.resumeFrom.step})` : ""}`);
      current = new JobRun(client, queue, claimed.claim, { ...options, log });
      if (stopping) current.requestInterrupt();
      const outcome = await current.run();
      current = null;
      log(`job ${job.id}: ${outcome}`);
      // The machine that trained the job has its base model built and cached: it validates the job too.
      if (outcome === "completed" && options.validationFollows && !stopping) await validateNext(job.id);
      if (options.jobId) exitCode = exitCodeOf(outcome);
      if (once) break;
    }
    // Give the last reports (a checkpoint, the interruption) a chance; what is left stays on disk for the next start.
    const delivered = await queue.drain(stopping ? options.shutdownGraceSeconds * 1000 : Infinity);
    if (!delivered) log(`${queue.pending()} report(s) stay queued in ${options.stateDir} until the next start`);
    return exitCode;
  } finally {
    await queue.close();
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
