// Why a job failed, as the server's error classes, with the fix in the message
// and the facts (memory, step time) the server sizes the retry from.
import { DatasetFormatError, OutOfMemoryError, TrainingConfigError } from "@tuneloop/engine";
import type { FailureFactsInput } from "./graphql/graphql";

/** How fast training went before the time limit stopped it. */
export type StepTiming = { overheadSeconds: number; secondsPerStep: number };

/** The job ran past its time limit (job config maxDurationSeconds, or the worker's --max-duration-seconds). */
export class JobTimeoutError extends Error {
  constructor(
    readonly limitSeconds: number,
    readonly step: number,
    readonly totalSteps: number | null,
    /** Null when no step finished in this run. */
    readonly timing: StepTiming | null = null,
  ) {
    super(
      `Training ran past its time limit of ${limitSeconds} s at step ${step}${totalSteps ? ` of ${totalSteps}` : ""}. ` +
        "Reduce epochs, raise the batch size, or allow more time.",
    );
    this.name = "JobTimeoutError";
  }
}

/** The server stayed unreachable longer than the worker's --offline-deadline-seconds. */
export class ServerUnreachableError extends Error {
  constructor(
    readonly seconds: number,
    readonly step: number,
  ) {
    super(
      `Lost contact with the server for ${Math.round(seconds)} s; stopped at step ${step} with a checkpoint saved on the worker. ` +
        "Nothing in the configuration caused this: retry as it is.",
    );
    this.name = "ServerUnreachableError";
  }
}

/** The facts without `where`, which the job's run adds (it knows the worker). */
export type MeasuredFacts = Omit<FailureFactsInput, "where">;
export type FailureReport = { errorType: string; message: string; details: Record<string, unknown>; facts?: MeasuredFacts };

export function describeFailure(error: unknown): FailureReport {
  if (error instanceof OutOfMemoryError) {
    return {
      errorType: "OutOfMemoryError",
      message: error.message,
      details: { requiredBytes: error.requiredBytes, limitBytes: error.limitBytes, suggestedBatchSize: error.suggestedBatchSize },
      facts: {
        memory: {
          requiredBytes: error.requiredBytes,
          availableBytes: error.limitBytes,
          limit: "WORKER_BUDGET",
          seqLength: error.seqLength,
          profile: error.profile,
        },
      },
    };
  }
  if (error instanceof DatasetFormatError) {
    return {
      errorType: "DatasetFormatError",
      message: `Dataset ${error.message}. Fix that conversation and upload the dataset again.`,
      details: { line: error.line, field: error.field },
    };
  }
  if (error instanceof JobTimeoutError) {
    const { limitSeconds, step, totalSteps, timing } = error;
    return {
      errorType: "TimeoutError",
      message: error.message,
      details: { limitSeconds, step, totalSteps },
      ...(timing && totalSteps && { facts: { time: { limitSeconds, stepsDone: step, totalSteps, ...timing } } }),
    };
  }
  if (error instanceof ServerUnreachableError) {
    return { errorType: "NetworkError", message: error.message, details: { offlineSeconds: Math.round(error.seconds), step: error.step } };
  }
  if (error instanceof TrainingConfigError) {
    return { errorType: "UnknownError", message: error.message, details: { field: error.field } };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: "UnknownError",
    message: e.message || e.name,
    details: { name: e.name, stack: e.stack?.split("\n").slice(0, 8).join("\n") ?? null },
  };
}
