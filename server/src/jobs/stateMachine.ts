import type { JobStatus } from "../generated/sqlite/enums.js";

// The life of a training job. Stages run in order; any running stage can
// fail, be cancelled, or be interrupted (spot) into RECOVERING, from which a
// worker resumes it at PROVISIONING.
const RUNNING: JobStatus[] = ["PROVISIONING", "PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION", "VALIDATION"];
const ENDINGS: JobStatus[] = ["FAILED", "CANCELLED", "RECOVERING"];

export const TRANSITIONS: Record<JobStatus, JobStatus[]> = {
  PENDING: ["QUEUED", "CANCELLED"],
  QUEUED: ["PROVISIONING", "CANCELLED", "FAILED"],
  PROVISIONING: ["PREPROCESSING", ...ENDINGS],
  PREPROCESSING: ["MODEL_LOADING", ...ENDINGS],
  MODEL_LOADING: ["TRAINING", ...ENDINGS],
  TRAINING: ["FINALIZATION", ...ENDINGS],
  FINALIZATION: ["VALIDATION", "COMPLETED", ...ENDINGS],
  VALIDATION: ["COMPLETED", ...ENDINGS],
  RECOVERING: ["PROVISIONING", "CANCELLED", "FAILED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export const ACTIVE_STATUSES: JobStatus[] = ["QUEUED", "RECOVERING", ...RUNNING];
export const RUNNING_STATUSES = RUNNING;
export const FINAL_STATUSES: JobStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

/** A status as a message says it: "model loading". */
export const statusInWords = (status: JobStatus) => status.toLowerCase().replace("_", " ");

/** Every status from which `to` may be reached. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return (Object.keys(TRANSITIONS) as JobStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}
