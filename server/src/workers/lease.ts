import type { JobStatus } from "../generated/sqlite/enums.js";

/**
 * Statuses in which a worker holds the job and must keep its lease alive.
 * VALIDATION is left out: once training is complete the worker lets go.
 */
export const LEASED_STATUSES: JobStatus[] = ["PROVISIONING", "PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION"];

/** Whether the job's worker holds it now: a leased status and a lease not yet run out. */
export function holdsLease(job: { status: JobStatus; leaseExpiresAt: Date | null }, now = new Date()): boolean {
  return LEASED_STATUSES.includes(job.status) && job.leaseExpiresAt !== null && job.leaseExpiresAt > now;
}
