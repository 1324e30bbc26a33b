import { z } from "zod";
import type { JobStatus } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { ERROR_TYPES } from "../failures/guidance.js";

// The product overview's webhook contract (a container posting
// `{ event: "metrics_update", training_loss, … }`), mapped onto our own reports
// so that such a trainer reports through the signed webhook door unchanged and
// its events take the one ingest path. Shapes from the overview's "Data Flow"
// section: started, metrics_update, interrupted { last_checkpoint_step },
// resumed { resumed_from_step }, completed { final_metrics, … }, error, warning,
// and status_change from its event-type list.

const finite = z.number().finite();
const step = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** metrics_update's fields and the series names our charts know them by; others keep the overview's name. */
const SERIES: Record<string, string> = {
  training_loss: "train_loss",
  validation_loss: "val_loss",
  learning_rate: "learning_rate",
  perplexity: "perplexity",
  gradient_norm: "grad_norm",
  tokens_per_second: "tokens_per_sec",
  samples_per_second: "samples_per_sec",
  estimated_time_remaining_seconds: "eta_seconds",
  gpu_memory_used_mb: "gpu_memory_used_mb",
  gpu_memory_total_mb: "gpu_memory_total_mb",
  gpu_utilization_pct: "gpu_utilization_pct",
  epoch_time_seconds: "epoch_time_seconds",
};

/** The overview's lower-case statuses, as our job statuses. */
const STATUS = z
  .enum(["provisioning", "preprocessing", "model_loading", "training", "finalization", "completed"])
  .transform((s) => s.toUpperCase() as "PROVISIONING" | "PREPROCESSING" | "MODEL_LOADING" | "TRAINING" | "FINALIZATION" | "COMPLETED");

const eventSchema = z.discriminatedUnion("event", [
  z.object({ event: z.literal("started"), message: z.string().max(2000).nullish() }),
  z.object({
    event: z.literal("status_change"),
    status: STATUS,
    message: z.string().max(2000).nullish(),
    total_steps: z.number().int().positive().nullish(),
  }),
  z
    .object({
      event: z.literal("metrics_update"),
      step,
      epoch: finite.min(0).nullish(),
      global_step: step.nullish(),
      total_steps: z.number().int().positive().nullish(),
      ...Object.fromEntries(Object.keys(SERIES).map((field) => [field, finite.nullish()])),
    })
    .passthrough(),
  z.object({ event: z.literal("interrupted"), last_checkpoint_step: step, reason: z.string().max(2000).nullish() }),
  z.object({ event: z.literal("resumed"), resumed_from_step: step }),
  z
    .object({ event: z.literal("completed"), final_metrics: z.unknown().optional(), validation_results: z.unknown().optional() })
    .passthrough(),
  z.object({
    event: z.literal("error"),
    error_type: z.string().max(100).nullish(),
    error_message: z.string().min(1).max(10_000).nullish(),
    message: z.string().min(1).max(10_000).nullish(),
    details: z.unknown().optional(),
    transient: z.boolean().nullish(),
  }),
  z.object({ event: z.literal("warning"), message: z.string().min(1).max(2000), details: z.unknown().optional() }),
]);

export type ContractEvent = z.infer<typeof eventSchema>;

/** A body written against the overview's contract names its `event`; ours name their `type`. */
export function isContractEvent(body: unknown): body is { event: string } {
  return typeof body === "object" && body !== null && "event" in body && !("type" in body);
}

export function parseContractEvent(body: unknown): ContractEvent {
  const parsed = eventSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.join(".") || "event";
  throw new AppError("VALIDATION", `${field}: ${issue.message}`, field);
}

/** Stages a contract trainer passes through without naming them (it says `started`, then sends metrics). */
const STAGES: JobStatus[] = ["PROVISIONING", "PREPROCESSING", "MODEL_LOADING", "TRAINING"];

function stagesUpTo(current: JobStatus, target: JobStatus, message: string): Record<string, unknown>[] {
  const from = STAGES.indexOf(current);
  const to = STAGES.indexOf(target);
  if (from < 0 || to <= from) return [];
  return STAGES.slice(from + 1, to + 1).map((status) => ({ type: "status", status, message }));
}

/**
 * Our reports for one contract event, in order, given the job's status now.
 * `started` is "preprocessing" in the overview; the first metrics move the job
 * through the stages it skipped into TRAINING, as our own trainers report them.
 */
export function reportsForContractEvent(event: ContractEvent, status: JobStatus): Record<string, unknown>[] {
  switch (event.event) {
    case "started": {
      const stages = stagesUpTo(status, "PREPROCESSING", event.message ?? "Container started");
      // Started again (a restarted container): logged as the stage it is in, which changes nothing.
      return stages.length || !STAGES.includes(status)
        ? stages
        : [{ type: "status", status, message: event.message ?? "Container started again" }];
    }
    case "status_change": {
      const message = event.message ?? `Reported ${event.status.toLowerCase().replace("_", " ")}`;
      const stages = STAGES.includes(event.status) ? stagesUpTo(status, event.status, message) : [];
      // Nothing skipped: the stage itself (the same one again is logged and changes nothing; an earlier one is refused).
      const reports = stages.length ? stages : [{ type: "status", status: event.status, message } as Record<string, unknown>];
      if (event.total_steps) reports[reports.length - 1].totalSteps = event.total_steps;
      return reports;
    }
    case "metrics_update": {
      const values = event as Record<string, unknown>;
      const points = Object.entries(SERIES)
        .filter(([field]) => typeof values[field] === "number")
        .map(([field, name]) => ({ name, step: event.step, value: values[field] as number, epoch: event.epoch ?? null }));
      if (event.epoch != null) points.push({ name: "epoch", step: event.step, value: event.epoch, epoch: event.epoch });
      const stages = stagesUpTo(status, "TRAINING", "Training (first metrics received)");
      if (event.total_steps && stages.length) stages[stages.length - 1].totalSteps = event.total_steps;
      else if (event.total_steps && status === "TRAINING") stages.push({ type: "status", status, totalSteps: event.total_steps });
      if (points.length === 0)
        throw new AppError("VALIDATION", "metrics_update: no metric value (training_loss, validation_loss, …)", "training_loss");
      return [...stages, { type: "metrics", points }];
    }
    case "interrupted":
      return [{ type: "interrupted", step: event.last_checkpoint_step, reason: event.reason ?? null }];
    case "resumed":
      return [{ type: "resumed", fromStep: event.resumed_from_step }];
    case "completed":
      return [
        {
          type: "completed",
          summary: { finalMetrics: event.final_metrics ?? null, validationResults: event.validation_results ?? null },
          validationFollows: false,
        },
      ];
    case "error": {
      const message = event.error_message ?? event.message;
      if (!message) throw new AppError("VALIDATION", "error: error_message is required", "error_message");
      const errorType =
        event.error_type && (ERROR_TYPES as readonly string[]).includes(event.error_type) ? event.error_type : "UnknownError";
      return [
        {
          type: "error",
          errorType,
          message,
          details: {
            ...(event.error_type && { errorType: event.error_type }),
            ...(event.details !== undefined && { details: event.details }),
          },
          transient: event.transient ?? null,
        },
      ];
    }
    case "warning":
      return [{ type: "warning", message: event.message, details: event.details ?? null }];
  }
}
