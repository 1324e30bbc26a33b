// The job's resolved hyperparameters (server/src/jobs/config.ts) as the engine takes them.
import { z } from "zod";
import { SETTING_RANGES } from "../../../shared/jobSettings";
import { checkMemory, MODEL_SIZES, parseLlamaConfig, PROJECTIONS, type LoraHyperparameters, type ModelSize } from "@tuneloop/engine";

const jobConfigSchema = z.object({
  rank: z.number().int().positive(),
  alpha: z.number().positive(),
  learningRate: z.number().positive(),
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  gradientAccumulationSteps: z.number().int().positive().default(1),
  maxSeqLength: z.number().int().positive(),
  dropout: z.number().min(SETTING_RANGES.dropout.min).max(SETTING_RANGES.dropout.max),
  warmupRatio: z.number().min(SETTING_RANGES.warmupRatio.min).max(SETTING_RANGES.warmupRatio.max),
  weightDecay: z.number().min(SETTING_RANGES.weightDecay.min).max(SETTING_RANGES.weightDecay.max),
  gradientClip: z.number().positive(),
  targetModules: z.array(z.enum(PROJECTIONS)).min(1),
  checkpointEvery: z.number().int().positive(),
  seed: z.number().int().min(0),
  baseModel: z.string(),
  backend: z.enum(["typescript", "python"]).default("typescript"),
  maxDurationSeconds: z.number().positive().optional(),
});

export type JobConfig = z.infer<typeof jobConfigSchema>;

export function parseJobConfig(config: unknown): JobConfig {
  const parsed = jobConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`The job's configuration is not one this worker understands: config.${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

export function hyperparametersOf(config: JobConfig): Partial<LoraHyperparameters> {
  const {
    rank,
    alpha,
    learningRate,
    epochs,
    batchSize,
    gradientAccumulationSteps,
    maxSeqLength,
    dropout,
    warmupRatio,
    weightDecay,
    gradientClip,
    targetModules,
    checkpointEvery,
    seed,
  } = config;
  return {
    rank,
    alpha,
    learningRate,
    epochs,
    batchSize,
    gradientAccumulationSteps,
    maxSeqLength,
    dropout,
    warmupRatio,
    weightDecay,
    gradientClip,
    targetModules,
    checkpointEvery,
    seed,
  };
}

/** The engine's base models this worker can build, by the name a job asks for. */
export function modelSizeOf(baseModel: string): ModelSize {
  const size = (Object.keys(MODEL_SIZES) as ModelSize[]).find((s) => MODEL_SIZES[s].name === baseModel);
  if (!size) {
    const known = Object.values(MODEL_SIZES)
      .map((r) => r.name)
      .join(", ");
    throw new Error(`Unknown base model "${baseModel}"; this worker trains ${known}`);
  }
  return size;
}

/** The engine's memory check, made before the training thread loads anything: an OutOfMemoryError when the job cannot fit. */
export function checkJobMemory(config: JobConfig, limitBytes: number) {
  const model = parseLlamaConfig(MODEL_SIZES[modelSizeOf(config.baseModel)].config);
  const { batchSize, gradientAccumulationSteps, rank, targetModules } = config;
  checkMemory({
    config: model,
    batchSize,
    gradientAccumulationSteps,
    rank,
    targetModules,
    seqLength: Math.min(config.maxSeqLength, model.max_position_embeddings),
    limitBytes,
  });
}
