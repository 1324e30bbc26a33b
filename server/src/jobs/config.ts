import { z } from "zod";
import { AppError } from "../errors.js";
import { baseModelOf, checkBackend, TARGET_MODULES } from "./baseModels.js";
import { SETTING_RANGES, type SettingRange } from "../../../shared/jobSettings.js";

export type PresetName = "CONSERVATIVE" | "BALANCED" | "AGGRESSIVE";

export const PRESETS: Record<PresetName, { rank: number; learningRate: number; epochs: number; title: string; explanation: string }> = {
  CONSERVATIVE: {
    rank: 8,
    learningRate: 1e-4,
    epochs: 2,
    title: "Conservative",
    explanation:
      "Small, gentle updates. Use it for a small dataset (under a few hundred conversations), when the base model must keep what it knows, or after a run that overfit or ran out of memory. Cheapest and safest.",
  },
  BALANCED: {
    rank: 16,
    learningRate: 2e-4,
    epochs: 3,
    title: "Balanced",
    explanation:
      "The default. Learns a voice or a domain from a few hundred to a few thousand conversations without forgetting much. Start here unless you have a reason not to.",
  },
  AGGRESSIVE: {
    rank: 32,
    learningRate: 3e-4,
    epochs: 4,
    title: "Aggressive",
    explanation:
      "More capacity and a higher learning rate for large, clean datasets or a big change of behaviour. Watch validation loss: it overfits small datasets and costs the most.",
  },
};

export const MAX_DURATION_SECONDS = 7 * 86400;

/** A number in one of the ranges the trainers check too; the message names the setting. */
const inRange = (label: string, { min, max }: SettingRange) =>
  z.number().min(min, `${label} must be between ${min} and ${max}`).max(max, `${label} must be between ${min} and ${max}`);

// Advanced overrides and the ranges they must stay in; each message names the field.
export const overridesSchema = z
  .object({
    rank: z.number().int().min(1, "LoRA rank must be at least 1").max(256, "LoRA rank must be at most 256"),
    alpha: z.number().positive("alpha must be positive").max(1024, "alpha must be at most 1024"),
    learningRate: z.number().min(1e-6, "learning rate must be at least 1e-6").max(1e-2, "learning rate must be at most 1e-2"),
    epochs: z.number().int().min(1, "at least 1 epoch").max(20, "at most 20 epochs"),
    batchSize: z.number().int().min(1, "batch size must be at least 1").max(64, "batch size must be at most 64"),
    // Micro-batches per optimizer step: the effective batch is batchSize × this, at the memory of one micro-batch.
    gradientAccumulationSteps: z
      .number()
      .int()
      .min(1, "gradient accumulation must be at least 1 step")
      .max(64, "gradient accumulation must be at most 64 steps"),
    maxSeqLength: z.number().int().min(32, "sequence length must be at least 32").max(4096, "sequence length must be at most 4096"),
    dropout: inRange("dropout", SETTING_RANGES.dropout),
    warmupRatio: inRange("warm-up ratio", SETTING_RANGES.warmupRatio),
    weightDecay: inRange("weight decay", SETTING_RANGES.weightDecay),
    gradientClip: z.number().positive("gradient clip must be positive").max(100, "gradient clip must be at most 100"),
    targetModules: z.array(z.enum(TARGET_MODULES)).min(1, "choose at least one target module"),
    checkpointEvery: z.number().int().min(1, "checkpoint interval must be at least 1 step").max(100000),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    baseModel: z.string().min(1),
    // The size of a Hugging Face model the server does not know, in billions of parameters (its range: baseModels.ts).
    baseModelParameters: z.number(),
    // Which trainer runs the job: the TypeScript engine, or transformers + peft on a GPU (trainer/python).
    backend: z.enum(["typescript", "python"]),
    // How the python trainer loads the base model on a GPU: 4-bit NF4 (QLoRA, its default) or not quantized.
    quantization: z.enum(["4bit", "none"]),
    maxDurationSeconds: z
      .number()
      .int()
      .min(60, "the time limit must be at least 60 seconds")
      .max(MAX_DURATION_SECONDS, "the time limit must be at most 7 days"),
  })
  .partial()
  .strict();

export type JobOverrides = z.infer<typeof overridesSchema>;
export type JobConfig = Required<Omit<JobOverrides, "baseModel" | "baseModelParameters" | "quantization">> &
  Pick<JobOverrides, "baseModelParameters" | "quantization"> & { baseModel: string };

/** Examples per optimizer step. */
export const MAX_EFFECTIVE_BATCH = 512;
export const effectiveBatch = (config: { batchSize: number; gradientAccumulationSteps?: number }) =>
  config.batchSize * (config.gradientAccumulationSteps ?? 1);

export const DEFAULT_BASE_MODEL = "tuneloop-llama-1m";

/** The fields of a GraphQL input that are set: a field left out may arrive as null. */
export const setFieldsOf = (input: unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input ?? {}).filter(([, value]) => value != null));

/** The full hyperparameters of a job: the preset, then the overrides on top. */
export function resolveJobConfig(preset: PresetName | "CUSTOM", overrides: unknown = {}): JobConfig {
  const parsed = overridesSchema.safeParse(setFieldsOf(overrides));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length ? `config.${issue.path.join(".")}` : "config";
    throw new AppError(
      "VALIDATION",
      issue.code === "unrecognized_keys" ? `Unknown setting: ${issue.message}` : `${field}: ${issue.message}`,
      field,
    );
  }
  const base = PRESETS[preset === "CUSTOM" ? "BALANCED" : preset];
  const rank = parsed.data.rank ?? base.rank;
  // The base model decides the backend and the settings that were sized for the 1M demo model.
  const model = baseModelOf(parsed.data.baseModel ?? DEFAULT_BASE_MODEL, parsed.data.baseModelParameters);
  const config: JobConfig = {
    rank,
    alpha: rank * 2,
    learningRate: base.learningRate,
    epochs: base.epochs,
    batchSize: model.defaults.batchSize,
    gradientAccumulationSteps: model.defaults.gradientAccumulationSteps,
    maxSeqLength: model.defaults.maxSeqLength,
    dropout: 0.05,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    gradientClip: 1,
    targetModules: model.defaults.targetModules as JobConfig["targetModules"],
    checkpointEvery: 100,
    seed: 42,
    baseModel: DEFAULT_BASE_MODEL,
    backend: model.backends[0],
    maxDurationSeconds: 24 * 3600,
    ...parsed.data,
  };
  checkBackend(model, config.backend);
  if (effectiveBatch(config) > MAX_EFFECTIVE_BATCH) {
    throw new AppError(
      "VALIDATION",
      `config.gradientAccumulationSteps: the effective batch (batch size × accumulation steps) must be at most ${MAX_EFFECTIVE_BATCH}`,
      "config.gradientAccumulationSteps",
    );
  }
  return config;
}
