// Public API of the training engine: pure computation (model, LoRA, optimizer,
// tokenizer, safetensors I/O, evaluation). No network, no database.
export { initBackend, tf } from "./backend";
export { makeBatch, maskedCrossEntropy, type Batch, type Example } from "./batch";
export { applyChatTemplate, type Chat, type ChatMessage, type ChatRole, type TemplatedChat } from "./chat";
export { loadCheckpoint, saveCheckpoint, type TrainingCheckpoint } from "./checkpoint";
export { countParameters, parseLlamaConfig, type LlamaConfig } from "./config";
export { parseChatJsonl, validateChat } from "./dataset";
export { DatasetFormatError, OutOfMemoryError, TrainingConfigError } from "./errors";
export { evaluateExamples, evaluatePerplexity, scoreMultipleChoice, type LossResult, type MultipleChoiceResult } from "./evaluate";
export { generateIds, generateReply, sampleToken, streamIds, type GenerateOptions, type GenerateResult } from "./generate";
export { DEFAULT_TARGET_MODULES, LoraAdapter, peftAdapterConfig, type LoraConfig } from "./lora";
export { checkMemory, estimateTrainingMemory, memoryProfile, type MemoryEstimate, type MemoryEstimateInput } from "./memory";
export type { MetricName, MetricPoint, MetricsSummary } from "./metrics";
export { LlamaModel, PROJECTIONS, type Projection } from "./model";
export { AdamW, clipGradients, learningRateAt, type AdamWState } from "./optimizer";
export {
  defaultBaseModelDir,
  ensureBaseModel,
  isBaseModelBuilt,
  MODEL_SIZES,
  pretrainBaseModel,
  recipeHash,
  type ModelSize,
  type PretrainProgress,
  type PretrainRecipe,
} from "./pretrain";
export { Prng } from "./prng";
export { accumulatedStep, trainStep, type MicroBatch, type StepResult } from "./step";
export { readSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors, type NamedTensor, type TensorMap } from "./safetensors";
export { BpeTokenizer, SPECIAL_TOKENS, type SpecialToken } from "./tokenizer";
export {
  DEFAULT_HYPERPARAMETERS,
  splitIndices,
  trainLora,
  writeMetricsJson,
  type LoraHyperparameters,
  type StopSignal,
  type TrainingStage,
  type TrainLoraOptions,
  type TrainLoraResult,
} from "./train";
