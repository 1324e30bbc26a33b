// The base models a job can start from: the built-in demo models (the
// TypeScript engine builds them), the Hugging Face models the python worker
// (transformers + peft, on a GPU) is known to train — their shapes from each
// model's public config.json, so the server can size them without downloading
// anything — and any other hub model, sized from a parameter count
// (hubModels.ts). A model decides the job's backend and the defaults that were
// sized for the 1M demo model (sequence length, target modules, micro-batch),
// and whether the chosen GPU can hold it.
import { MODEL_SIZES } from "../../../shared/demoModels.js";
import { bytesNeeded, formatBytes, gpuLoraProfile, parametersOf, type ModelShape, type WeightFormat } from "../../../shared/memoryModel.js";
import { AppError } from "../errors.js";
import type { GpuType } from "../costs/catalog.js";
import { checkHubId, llamaShapeOf, parametersInName } from "./hubModels.js";

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
/** Where a model's parameter count comes from: its config.json (known models), its name ("-7B"), or the job's baseModelParameters. */
export type ParametersSource = "CONFIG" | "MODEL_NAME" | "GIVEN";
export type BaseModel = {
  id: string;
  title: string;
  source: "BUILT_IN" | "HUGGING_FACE";
  /** The trainers that can train it; the first is the default. */
  backends: Backend[];
  shape: ModelShape;
  parameters: number;
  parametersSource: ParametersSource;
  contextLength: number;
  defaults: BaseModelDefaults;
};

const BUILT_IN_DEFAULTS: BaseModelDefaults = {
  maxSeqLength: 128,
  targetModules: ["q_proj", "v_proj"],
  batchSize: 4,
  gradientAccumulationSteps: 1,
};
// QLoRA's recipe for real models: every projection, longer sequences, an effective batch of 16 —
// from 30B parameters one micro-batch at a time, so that 70B at 4-bit fits one 80 GB H100.
const hubDefaults = (parameters: number): BaseModelDefaults => ({
  maxSeqLength: 2048,
  targetModules: [...TARGET_MODULES],
  ...(parameters >= 30e9 ? { batchSize: 1, gradientAccumulationSteps: 16 } : { batchSize: 4, gradientAccumulationSteps: 4 }),
});

const llama = (hidden: number, intermediate: number, layers: number, heads: number, kvHeads: number, vocab: number): ModelShape => ({
  hidden_size: hidden,
  intermediate_size: intermediate,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: kvHeads,
  vocab_size: vocab,
});
const hub = (id: string, title: string, shape: ModelShape, contextLength: number): BaseModel => {
  const parameters = parametersOf(shape);
  return {
    id,
    title,
    source: "HUGGING_FACE",
    backends: ["python"],
    shape,
    parameters,
    parametersSource: "CONFIG",
    contextLength,
    defaults: hubDefaults(parameters),
  };
};

export const BASE_MODELS: BaseModel[] = [
  ...Object.values(MODEL_SIZES).map(
    (recipe): BaseModel => ({
      id: recipe.name,
      title: `${recipe.name} (built-in demo model)`,
      source: "BUILT_IN",
      // The python worker trains them too (from the engine's files), which is how the GPU path is checked against the engine.
      backends: ["typescript", "python"],
      shape: recipe.config,
      parameters: parametersOf(recipe.config),
      parametersSource: "CONFIG",
      contextLength: recipe.config.max_position_embeddings,
      defaults: BUILT_IN_DEFAULTS,
    }),
  ),
  hub("meta-llama/Llama-3.2-1B-Instruct", "Llama 3.2 1B Instruct", llama(2048, 8192, 16, 32, 8, 128256), 131072),
  hub("meta-llama/Llama-3.2-3B-Instruct", "Llama 3.2 3B Instruct", llama(3072, 8192, 28, 24, 8, 128256), 131072),
  hub("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B Instruct", llama(4096, 14336, 32, 32, 8, 128256), 131072),
  hub("meta-llama/Llama-3.1-70B-Instruct", "Llama 3.1 70B Instruct", llama(8192, 28672, 80, 64, 8, 128256), 131072),
  hub("mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B Instruct v0.3", llama(4096, 14336, 32, 32, 8, 32768), 32768),
  hub("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5 7B Instruct", llama(3584, 18944, 28, 28, 4, 152064), 32768),
];

const byId = new Map(BASE_MODELS.map((m) => [m.id, m]));

// An unknown model's context is not known either: the longest sequence a job may ask for.
const UNKNOWN_CONTEXT_LENGTH = 4096;

/**
 * The model a job names — a known one, or any Hugging Face hub id with its size
 * in billions of parameters (`parametersBillions`, else read from the name) — or a
 * typed error before anything runs.
 */
export function baseModelOf(id: string, parametersBillions?: number | null): BaseModel {
  const known = byId.get(id);
  if (known) {
    if (parametersBillions != null) {
      throw new AppError(
        "VALIDATION",
        `${id} is a known model of ${(known.parameters / 1e9).toPrecision(3)}B parameters: leave baseModelParameters out`,
        "config.baseModelParameters",
      );
    }
    return known;
  }
  checkHubId(id);
  if (parametersBillions != null && !(parametersBillions >= 0.001 && parametersBillions <= 2000)) {
    throw new AppError(
      "VALIDATION",
      "baseModelParameters is the model's size in billions of parameters: between 0.001 and 2000",
      "config.baseModelParameters",
    );
  }
  const given = parametersBillions == null ? null : parametersBillions * 1e9;
  const parameters = given ?? parametersInName(id);
  if (parameters === null) {
    throw new AppError(
      "VALIDATION",
      `The size of ${id} cannot be read from its name: give baseModelParameters (billions of parameters, e.g. 7 or 1.5)`,
      "config.baseModelParameters",
    );
  }
  return {
    id,
    title: id,
    source: "HUGGING_FACE",
    backends: ["python"],
    shape: llamaShapeOf(parameters),
    parameters,
    parametersSource: given === null ? "MODEL_NAME" : "GIVEN",
    contextLength: UNKNOWN_CONTEXT_LENGTH,
    defaults: hubDefaults(parameters),
  };
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
