import type { AlertType } from "../../graphql/graphql";
import { humanize } from "../../format";

// The alert types of the schema in words, grouped as people think of them.
// A Record over the generated type: a new alert type in the schema fails the
// typecheck until it has a label here.
const ALERTS: Record<AlertType, { label: string; group: string }> = {
  JOB_COMPLETED: { label: "Job completed", group: "Jobs" },
  JOB_FAILED: { label: "Job failed (with the fix to try)", group: "Jobs" },
  JOB_STALLED: { label: "Job stalled (no report for a while)", group: "Jobs" },
  COST_OVERRUN: { label: "Job over its cost estimate", group: "Costs" },
  APPROVAL_REQUESTED: { label: "Job cost needs approval", group: "Costs" },
  BUDGET_80: { label: "80% of the monthly budget spent", group: "Budget" },
  BUDGET_95: { label: "95% of the monthly budget spent", group: "Budget" },
  BUDGET_100: { label: "Monthly budget spent", group: "Budget" },
  PROJECT_BUDGET_EXCEEDED: { label: "Project budget exceeded", group: "Budget" },
  MODEL_SERVING_DOWN: { label: "A deployed model's inference backend is unreachable", group: "Models" },
};

export const ALERT_TYPES = Object.keys(ALERTS) as AlertType[];

export const ALERT_GROUPS = [...new Set(ALERT_TYPES.map((type) => ALERTS[type].group))].map((group) => ({
  group,
  options: ALERT_TYPES.filter((type) => ALERTS[type].group === group).map((type) => ({ value: type, label: ALERTS[type].label })),
}));

/** A delivery's event in words: an alert type, or DAILY_DIGEST / TEST. */
export const eventLabel = (event: string) => ALERTS[event as AlertType]?.label ?? humanize(event);
