// Up-front memory estimate for a LoRA run, so a worker can refuse a job that
// would not fit instead of dying mid-run. Coefficients were fitted with
// trainer/scripts/calibrate-memory.ts (tf.profile peak bytes and RSS of real
// steps); the estimate errs on the high side.
import { bytesNeeded, formatBytes, largestBatchThatFits, type MemoryProfile } from "../../../shared/memoryModel";
import { countParameters, type LlamaConfig } from "./config";
import { OutOfMemoryError } from "./errors";
import { projectionShape } from "./lora";
import type { Projection } from "./model";

export interface MemoryEstimateInput {
  config: LlamaConfig;
  batchSize: number;
  seqLength: number;
  rank: number;
  targetModules: Projection[];
}

export interface MemoryEstimate {
  /** Frozen weights (projections are held in both layouts). */
  weightBytes: number;
  /** LoRA parameters, gradients and the two AdamW moments. */
  trainableBytes: number;
  /** Peak activations and gradients of one step. */
  activationBytes: number;
  /** Node, tfjs and the wasm module before any tensor exists. */
  runtimeBytes: number;
  totalBytes: number;
  /** The coefficients behind these figures (shared/memoryModel.ts). */
  profile: MemoryProfile;
}

const F32 = 4;
const RUNTIME_BYTES = 190 * 2 ** 20;
// tfjs keeps every forward intermediate and every backward intermediate of a
// step alive until the step's tidy scope ends, hence the large multipliers.
// Floats per token per layer, in units of hidden size, intermediate size and
// attention row (heads x seq); measured ~149 x hidden per layer at I = 2.7 H.
const PER_TOKEN_HIDDEN = 64;
const PER_TOKEN_INTERMEDIATE = 34;
const PER_TOKEN_ATTENTION = 14.5;
// Logits, softmax, one-hot labels and their gradients, per token per vocab entry.
const PER_TOKEN_VOCAB = 9;
/** The wasm heap grows and never shrinks, and fragments a little. */
const HEAP_SLACK = 1.05;

/** This engine's coefficients of the shared memory model, for a base model and the projections LoRA adapts. */
export function memoryProfile(config: LlamaConfig, targetModules: Projection[]): MemoryProfile {
  const c = config;
  const h = c.hidden_size;
  const params = countParameters(c);
  const embedAndNorms = c.vocab_size * h + (2 * c.num_hidden_layers + 1) * h;
  let loraPerRank = 0;
  for (const p of targetModules) {
    const [out, inp] = projectionShape(c, p);
    loraPerRank += (out + inp) * c.num_hidden_layers;
  }
  // Grouped KV heads save a little; ignoring that keeps the estimate on the safe side.
  const perLayer = PER_TOKEN_HIDDEN * h + PER_TOKEN_INTERMEDIATE * c.intermediate_size;
  return {
    fixedBytes: F32 * (2 * (params - embedAndNorms) + embedAndNorms) + RUNTIME_BYTES,
    bytesPerRank: F32 * 4 * loraPerRank,
    bytesPerToken: F32 * (c.num_hidden_layers * perLayer + PER_TOKEN_VOCAB * c.vocab_size) * HEAP_SLACK,
    bytesPerTokenPosition: F32 * c.num_hidden_layers * PER_TOKEN_ATTENTION * c.num_attention_heads * HEAP_SLACK,
    // tfjs has no 4-bit kernels.
    fourBitSavingBytes: null,
  };
}

export function estimateTrainingMemory(i: MemoryEstimateInput): MemoryEstimate {
  const profile = memoryProfile(i.config, i.targetModules);
  const trainableBytes = profile.bytesPerRank * i.rank;
  const totalBytes = bytesNeeded(profile, i);
  const weightBytes = profile.fixedBytes - RUNTIME_BYTES;
  return {
    weightBytes,
    trainableBytes,
    activationBytes: totalBytes - profile.fixedBytes - trainableBytes,
    runtimeBytes: RUNTIME_BYTES,
    totalBytes,
    profile,
  };
}

/**
 * Throws OutOfMemoryError when the run's estimate exceeds limitBytes, naming
 * the largest micro-batch that fits with the accumulation that keeps the
 * effective batch, e.g. "batch_size=16 needs 1.1 GB but the worker allows
 * 300 MB: use batch size 2 with 8 accumulation steps (same effective batch of 16)".
 */
export function checkMemory(i: MemoryEstimateInput & { gradientAccumulationSteps?: number; limitBytes: number }): MemoryEstimate {
  const est = estimateTrainingMemory(i);
  if (est.totalBytes <= i.limitBytes) return est;
  const effective = i.batchSize * (i.gradientAccumulationSteps ?? 1);
  const fit = largestBatchThatFits(est.profile, i, effective, i.limitBytes);
  const advice =
    fit > 0
      ? `use batch size ${fit} with ${effective / fit} accumulation steps (same effective batch of ${effective})`
      : `shorten max_seq_length (${i.seqLength}), lower the rank or use a larger worker`;
  throw new OutOfMemoryError(
    `batch_size=${i.batchSize} needs ${formatBytes(est.totalBytes)} but the worker allows ${formatBytes(i.limitBytes)}: ${advice}`,
    est.totalBytes,
    i.limitBytes,
    fit,
    est.profile,
    i.seqLength,
  );
}
