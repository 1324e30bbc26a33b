// Messages between a job's run (main thread: heartbeats, signals, reports)
// and its training thread (the engine). Training never blocks the main
// thread, so a signal or a cancellation is seen within milliseconds.
import type { Chat, LoraHyperparameters, MetricPoint, MetricsSummary, ModelSize, TrainingStage } from "@tuneloop/engine";
import type { FailureReport } from "./failures";

export type TrainingRequest = {
  baseModel: { name: string; size: ModelSize };
  chats: Chat[];
  hyperparameters: Partial<LoraHyperparameters>;
  /** A checkpoint archive to resume from. */
  resumeArchive: string | null;
  memoryLimitBytes: number | null;
  /** Scratch space; the final adapter files land in workDir/output. */
  workDir: string;
  /** Where checkpoint archives are written (the report queue's file area). */
  filesDir: string;
  /** Int32 flag the main thread sets: see STOP. */
  stop: SharedArrayBuffer;
};

export const STOP = { none: 0, interrupt: 1, cancel: 2 } as const;

export type Evaluation = {
  baseValPerplexity: number | null;
  adaptedValPerplexity: number | null;
  validationConversations: number;
  validationTokens: number | null;
};

export type TrainingMessage =
  | { type: "log"; message: string }
  /** The base model is being built (first use of this size on this machine). */
  | { type: "baseModelBuild"; step: number; steps: number; secondsLeft: number | null }
  | { type: "stage"; stage: TrainingStage; detail: string; totalSteps: number | null; resumedFrom: number | null; priorSeconds: number }
  | { type: "metrics"; points: MetricPoint[] }
  | { type: "checkpoint"; step: number; epoch: number; trainLoss: number | null; valLoss: number | null; archive: string }
  | { type: "finished"; status: "completed"; step: number; summary: MetricsSummary; evaluation: Evaluation; outputDir: string }
  | { type: "finished"; status: "interrupted" | "cancelled"; step: number }
  | { type: "failed"; failure: FailureReport };
