import type { Role } from "../generated/sqlite/enums.js";

// What the organization is told about. Each alert is recorded once (history)
// and sent to the channels and users that want its type.
export const ALERT_TYPES = [
  "JOB_COMPLETED",
  "JOB_FAILED",
  "JOB_STALLED",
  "COST_OVERRUN",
  "APPROVAL_REQUESTED",
  "BUDGET_80",
  "BUDGET_95",
  "BUDGET_100",
  "PROJECT_BUDGET_EXCEEDED",
  "MODEL_SERVING_DOWN",
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const ALERT_LABELS: Record<AlertType, string> = {
  JOB_COMPLETED: "Job completed",
  JOB_FAILED: "Job failed",
  JOB_STALLED: "Job stalled",
  COST_OVERRUN: "Job over its cost estimate",
  APPROVAL_REQUESTED: "Job cost needs approval",
  BUDGET_80: "80% of the monthly budget spent",
  BUDGET_95: "95% of the monthly budget spent",
  BUDGET_100: "Monthly budget spent",
  PROJECT_BUDGET_EXCEEDED: "Project budget exceeded",
  MODEL_SERVING_DOWN: "A deployed model's inference backend is unreachable",
};

/** Alerts about one job: by default they reach the job's creator, and owners. */
export const JOB_ALERTS: AlertType[] = ["JOB_COMPLETED", "JOB_FAILED", "JOB_STALLED", "COST_OVERRUN", "APPROVAL_REQUESTED"];

/** What a user hears about by email before choosing for themselves. */
export function defaultAlertTypes(role: Role): AlertType[] {
  if (role === "OWNER" || role === "ADMIN")
    return ["COST_OVERRUN", "APPROVAL_REQUESTED", "BUDGET_80", "BUDGET_95", "BUDGET_100", "PROJECT_BUDGET_EXCEEDED", "MODEL_SERVING_DOWN"];
  if (role === "ENGINEER") return ["JOB_COMPLETED", "JOB_FAILED", "JOB_STALLED", "COST_OVERRUN"];
  return [];
}
