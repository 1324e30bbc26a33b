// What a worker launched for one job (`--job-id`) tells the machine that runs
// it, by its exit code: the server's compute providers read these (the
// Kubernetes pod failure policy, SkyPilot's recover_on_exit_codes, the local
// provider), and server/src/compute/provider.ts keeps the same numbers.
import type { JobOutcome } from "./jobRun";

export const EXIT_CODES = {
  /** Nothing more to do here: the job completed, was cancelled, or is not this machine's to run. */
  done: 0,
  /** Interrupted (SIGTERM, lease lost): launch another machine to resume from the last checkpoint (EX_TEMPFAIL). */
  recover: 75,
  /** The job failed or the token was refused: another machine would fail the same way (EX_CONFIG). */
  doNotRetry: 78,
} as const;

export function exitCodeOf(outcome: JobOutcome): number {
  if (outcome === "completed" || outcome === "cancelled") return EXIT_CODES.done;
  if (outcome === "failed") return EXIT_CODES.doNotRetry;
  return EXIT_CODES.recover;
}
