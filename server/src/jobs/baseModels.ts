// The base models a job can start from: the built-in demo models (the
// TypeScript engine builds them) and the Hugging Face models the python worker
// (transformers + peft, on a GPU) is known to train — their shapes from each
// model's public config.json, so the server can size them without downloading
// anything. A model decides the job's backend and the defaults that were sized
// for the 1M demo model (sequence length, target modules, micro-batch), and
// whether the chosen GPU can hold it.
import { MODEL_SIZES } from "../../../shared/demoModels.js";
import { bytesNeeded, formatBytes, gpuLoraProfile, parametersOf, type ModelShape, type WeightFormat } from "../../../shared/memoryModel.js";
import { AppError } from "../errors.js";
import type { GpuType } from "../costs/catalog.js";

export type Backend = "typescript" | "python";
/** The projections LoRA may adapt (the GraphQL enum TargetModule). */
export const TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export type TargetModule = (typeof TARGET_MODULES)[number];

export type BaseModelDefaults = {
  maxSeqLength: number;
  targetModules: TargetModule[];
  batchSize: number;
  gradientAccumulationSteps: number;
};
export type BaseModel = {
  id: string;
  title: string;
  source: "BUILT_IN" | "HUGGING_FACE";
  /** The trainers that can train it; the first is the default. */
  backends: Backend[];
  shape: ModelShape;
  contextLength: number;
  defaults: BaseModelDefaults;
};

const BUILT_IN_DEFAULTS: BaseModelDefaults = {
  maxSeqLength: 128,
  targetModules: ["q_proj", "v_proj"],
  batchSize: 4,
  gradientAccumulationSteps: 1,
};
// QLoRA's recipe for real models: every projection, longer sequences, an effective batch of 16.
const HF_DEFAULTS: BaseModelDefaults = {
  maxSeqLength: 2048,
  targetModules: [...TARGET_MODULES],
  batchSize: 4,
  gradientAccumulationSteps: 4,
};

const llama = (hidden: number, intermediate: number, layers: number, heads: number, kvHeads: number, vocab: number): ModelShape => ({
  hidden_size: hidden,
  intermediate_size: intermediate,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: kvHeads,
  vocab_size: vocab,
});
const hub = (
  id: string,
  title: string,
  shape: ModelShape,
  contextLength: number,
  defaults: Partial<BaseModelDefaults> = {},
): BaseModel => ({
  id,
  title,
  source: "HUGGING_FACE",
  backends: ["python"],
  shape,
  contextLength,
  defaults: { ...HF_DEFAULTS, ...defaults },
});

export const BASE_MODELS: BaseModel[] = [
  ...Object.values(MODEL_SIZES).map(
    (recipe): BaseModel => ({
      id: recipe.name,
      title: `${recipe.name} (built-in demo model)`,
      source: "BUILT_IN",
      // The python worker trains them too (from the engine's files), which is how the GPU path is checked against the engine.
      backends: ["typescript", "python"],
      shape: recipe.config,
      contextLength: recipe.config.max_position_embeddings,
      defaults: BUILT_IN_DEFAULTS,
    }),
  ),
  hub("meta-llama/Llama-3.2-1B-Instruct", "Llama 3.2 1B Instruct", llama(2048, 8192, 16, 32, 8, 128256), 131072),
  hub("meta-llama/Llama-3.2-3B-Instruct", "Llama 3.2 3B Instruct", llama(3072, 8192, 28, 24, 8, 128256), 131072),
  hub("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B Instruct", llama(4096, 14336, 32, 32, 8, 128256), 131072),
  // One micro-batch at a time (accumulated to 16): 70B at 4-bit fits one 80 GB H100.
  hub("meta-llama/Llama-3.1-70B-Instruct", "Llama 3.1 70B Instruct", llama(8192, 28672, 80, 64, 8, 128256), 131072, {
    batchSize: 1,
    gradientAccumulationSteps: 16,
  }),
  hub("mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B Instruct v0.3", llama(4096, 14336, 32, 32, 8, 32768), 32768),
  hub("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5 7B Instruct", llama(3584, 18944, 28, 28, 4, 152064), 32768),
];

const byId = new Map(BASE_MODELS.map((m) => [m.id, m]));

export const parametersOfModel = (model: BaseModel) => parametersOf(model.shape);

/** The model a job names, or a typed error before anything runs. */
export function requireBaseModel(id: string): BaseModel {
  const model = byId.get(id);
  if (!model) {
    const hint = /^[\w.-]+\/[\w.-]+$/.test(id)
      ? "this Hugging Face model is not one the python worker is known to train"
      : "not a built-in model or a Hugging Face model id";
    throw new AppError(
      "VALIDATION",
      `Unknown base model "${id}" (${hint}); choose one of: ${BASE_MODELS.map((m) => m.id).join(", ")}`,
      "config.baseModel",
    );
  }
  return model;
}

/** A backend the model cannot be trained with is refused (a hub model needs the python worker). */
export function checkBackend(model: BaseModel, backend: Backend) {
  if (!model.backends.includes(backend)) {
    throw new AppError(
      "VALIDATION",
      `${model.id} is trained by the ${model.backends.join(" or ")} worker, not the ${backend} one`,
      "config.backend",
    );
  }
}

/** How a job's base weights sit in GPU memory: the python trainer's quantization (4-bit by default); the TypeScript engine does not run on a GPU. */
export function weightFormatOf(config: { backend: Backend; quantization?: "4bit" | "none" }): WeightFormat | null {
  if (config.backend !== "python") return null;
  return (config.quantization ?? "4bit") === "4bit" ? "nf4" : "bf16";
}

/** Share of a GPU's memory a run may plan for (the python trainer's own margin). */
const USABLE_SHARE = 0.95;
export const usableBytes = (gpu: GpuType) => gpu.memoryGb * 2 ** 30 * USABLE_SHARE;

type RunShape = { batchSize: number; maxSeqLength: number; rank: number; targetModules: string[] };

/** Peak GPU memory of a LoRA run of the model with its weights in `format` (shared/memoryModel.ts). */
export function gpuBytesNeeded(model: BaseModel, format: WeightFormat, run: RunShape): number {
  const profile = gpuLoraProfile(model.shape, run.targetModules.length, format);
  return bytesNeeded(profile, { batchSize: run.batchSize, seqLength: Math.min(run.maxSeqLength, model.contextLength), rank: run.rank });
}

/** A run that cannot fit the chosen GPU is refused before it is queued, with what would fit instead. */
export function checkFitsGpu(model: BaseModel, config: RunShape & { backend: Backend; quantization?: "4bit" | "none" }, gpu: GpuType) {
  const format = weightFormatOf(config);
  if (!format) return;
  const need = gpuBytesNeeded(model, format, config);
  if (need <= usableBytes(gpu)) return;
  const fourBit = format === "bf16" && gpuBytesNeeded(model, "nf4", config) <= usableBytes(gpu);
  const advice = fourBit
    ? "load it in 4-bit (quantization 4bit)"
    : "choose a GPU with more memory, or lower the batch size or sequence length";
  throw new AppError(
    "VALIDATION",
    `${model.id} needs about ${formatBytes(need)} of GPU memory with these settings (${format === "nf4" ? "4-bit" : "16-bit"} weights), but the ${gpu.name} has ${gpu.memoryGb} GB: ${advice}`,
    "gpuType",
  );
}
