import { z } from "zod";
import { AppError } from "../errors.js";
import { failureFactsSchema } from "../failures/facts.js";
import { ERROR_TYPES } from "../failures/guidance.js";

// What a trainer reports, the same over GraphQL and over the signed webhook.
// Both doors build one of these objects and hand it to ingestReport().

const STAGE_STATUSES = ["PROVISIONING", "PREPROCESSING", "MODEL_LOADING", "TRAINING", "FINALIZATION", "VALIDATION", "COMPLETED"] as const;
const MAX_POINTS_PER_REPORT = 10_000;
export const MAX_OUTPUT_LINES = 200;

const step = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const finite = z.number().finite();
const text = (max: number) => z.string().max(max, `at most ${max} characters`);

const metricPointSchema = z.object({
  // Any printable name: the CSV export guards against formula injection itself.
  name: z
    .string()
    .min(1, "a metric needs a name")
    .max(100, "at most 100 characters")
    .regex(/^[^\p{Cc}]+$/u, "no control characters"),
  step,
  value: finite,
  epoch: finite.min(0).nullish(),
  /** Unix seconds on the trainer's clock; the time of receipt when missing. */
  wallTime: finite.positive().nullish(),
});

const sequence = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1)
  .nullish();

export const reportSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("metrics"),
    sequence,
    points: z
      .array(metricPointSchema)
      .min(1, "send at least one point")
      .max(MAX_POINTS_PER_REPORT, `at most ${MAX_POINTS_PER_REPORT} points per report`),
  }),
  z.object({
    type: z.literal("status"),
    sequence,
    status: z.enum(STAGE_STATUSES),
    message: text(2000).nullish(),
    totalSteps: z.number().int().positive().nullish(),
    // Progress within a long stage (building the demo base model), reported again as it moves.
    stagePercent: finite.min(0).max(100).nullish(),
    stageSecondsLeft: finite.min(0).nullish(),
    // Time since the last report spent on work that is not the job's (the demo base model's build): not billed.
    unbilledSeconds: finite.min(0).max(86_400).nullish(),
  }),
  z.object({
    type: z.literal("checkpoint"),
    sequence,
    step,
    epoch: finite.min(0).nullish(),
    artifactId: z.string().min(1).nullish(),
    trainLoss: finite.nullish(),
    valLoss: finite.nullish(),
  }),
  z.object({ type: z.literal("interrupted"), sequence, step, reason: text(2000).nullish() }),
  z.object({ type: z.literal("resumed"), sequence, fromStep: step }),
  z.object({
    type: z.literal("error"),
    sequence,
    errorType: z.enum(ERROR_TYPES),
    message: z.string().min(1).max(10_000),
    details: z.unknown().optional(),
    facts: failureFactsSchema.nullish(),
    /** The trainer knows the failure will pass (a lost connection): the job is retried by itself after a delay. NetworkError always is. */
    transient: z.boolean().nullish(),
    /** The trainer's last lines of output, for the error log a support ticket gets. */
    outputLines: z.array(text(2000)).max(MAX_OUTPUT_LINES, `at most ${MAX_OUTPUT_LINES} lines`).nullish(),
  }),
  z.object({ type: z.literal("warning"), sequence, message: z.string().min(1).max(2000), details: z.unknown().optional() }),
  z.object({ type: z.literal("completed"), sequence, summary: z.unknown().optional(), validationFollows: z.boolean().nullish() }),
]);

export type Report = z.infer<typeof reportSchema>;

/** Parses a report from either door; a bad one is a VALIDATION error naming the field. */
export function parseReport(input: unknown): Report {
  const parsed = reportSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.join(".") || "type";
  throw new AppError("VALIDATION", `${field}: ${issue.message}`, field);
}

/** What the event log keeps of a report: all of it, except a metrics report's points (they are in the metric history). */
export function reportPayload(report: Report, storedPoints: number): Record<string, unknown> {
  if (report.type !== "metrics") return { ...report };
  const steps = report.points.map((p) => p.step);
  return {
    type: "metrics",
    sequence: report.sequence ?? null,
    points: report.points.length,
    storedPoints,
    names: [...new Set(report.points.map((p) => p.name))].sort(),
    fromStep: Math.min(...steps),
    toStep: Math.max(...steps),
  };
}
