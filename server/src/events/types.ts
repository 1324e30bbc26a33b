// Every kind of entry in a job's event log, with what it means: the one list.
// It is the GraphQL enum JobEventType (values as stored, lower case), the type
// of NewEvent.type (so code that logs a new kind of event must add it here
// first), and, through the generated types, the web's event log filter.

export const JOB_EVENT_TYPES = {
  created: "The job was created.",
  status_changed: "The job's status changed (the payload says from and to).",
  status: "A trainer's stage report.",
  metrics: "A trainer's metric points.",
  checkpoint: "A trainer saved a checkpoint.",
  interrupted: "A trainer stopped before the end (it resumes from its last checkpoint).",
  resumed: "A trainer resumed from a checkpoint.",
  warning: "A trainer's warning.",
  error: "A trainer's error: the job failed.",
  completed: "A trainer finished training.",
  stalled: "No report for longer than STALL_SECONDS.",
  stall_cleared: "Reports arrive again after a stall.",
  lease_expired: "The worker stopped sending heartbeats: the job was taken back.",
  machine_launched: "The compute provider launched a machine for the job.",
  compute_unavailable: "The compute provider could not launch a machine (it is tried again).",
  machine_released: "A machine the job no longer needs was released.",
  machine_ended: "The job's machine ended.",
  orphan_released: "A machine still running after its attempt ended was released.",
  validation_completed: "A validation run finished.",
  validation_failed: "A validation run failed.",
  retention_alert: "Validation found the adapter forgets too much of what the base model knew.",
  cost_approved: "An owner approved the job's estimated cost.",
  budget_overridden: "The job was allowed to start over the organization's budget.",
  auto_retry: "The failed job was retried automatically.",
  auto_retry_failed: "An automatic retry of the failed job was refused.",
  started: "A webhook's `started` event (logged only when refused).",
  status_change: "A webhook's `status_change` event (logged only when refused).",
  metrics_update: "A webhook's `metrics_update` event (logged only when refused).",
  unknown: "A refused report of a type none of these names.",
} as const;

export type JobEventType = keyof typeof JOB_EVENT_TYPES;

export const isJobEventType = (type: string): type is JobEventType => Object.hasOwn(JOB_EVENT_TYPES, type);

/** A refused report's type as logged: its own when it is one of ours, `unknown` otherwise (the report itself is in the payload). */
export const refusedEventType = (type: string): JobEventType => (isJobEventType(type) ? type : "unknown");
