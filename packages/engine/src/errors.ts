// Typed failures the worker maps to job errors (errorType/errorMessage) and
// the UI turns into advice, instead of parsing message strings.
import type { MemoryProfile } from "../../../shared/memoryModel";

/**
 * The run would not fit the worker's memory limit; `suggestedBatchSize` fits (0 if none does).
 * `profile` and `seqLength` let the server size a retry with the same memory model.
 */
export class OutOfMemoryError extends Error {
  readonly code = "OUT_OF_MEMORY";
  constructor(
    message: string,
    readonly requiredBytes: number,
    readonly limitBytes: number,
    readonly suggestedBatchSize: number,
    readonly profile: MemoryProfile,
    readonly seqLength: number,
  ) {
    super(message);
    this.name = "OutOfMemoryError";
  }
}

/** A dataset row that is not a valid chat. `line` is 1-based; `field` is a JSON path like messages[2].role. */
export class DatasetFormatError extends Error {
  readonly code = "DATASET_FORMAT";
  constructor(
    message: string,
    readonly line: number,
    readonly field: string | null = null,
  ) {
    super(`line ${line}${field ? ` (${field})` : ""}: ${message}`);
    this.name = "DatasetFormatError";
  }
}

/** The run was configured inconsistently (e.g. resuming a checkpoint with other hyperparameters). */
export class TrainingConfigError extends Error {
  readonly code = "TRAINING_CONFIG";
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = "TrainingConfigError";
  }
}
