// Up-front memory estimate for a LoRA run, so a worker can refuse a job that
// would not fit instead of dying mid-run. Coefficients were fitted with
// trainer/scripts/calibrate-memory.ts (tf.profile peak bytes and RSS of real
// steps); the estimate errs on the high side.
import { countParameters, type LlamaConfig } from './config';
import { OutOfMemoryError } from './errors';
import { projectionShape } from './lora';
import type { Projection } from './model';

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

export function estimateTrainingMemory(i: MemoryEstimateInput): MemoryEstimate {
  const c = i.config;
  const h = c.hidden_size;
  const params = countParameters(c);
  const embedAndNorms = c.vocab_size * h + (2 * c.num_hidden_layers + 1) * h;
  const weightBytes = F32 * (2 * (params - embedAndNorms) + embedAndNorms);
  let lora = 0;
  for (const p of i.targetModules) {
    const [out, inp] = projectionShape(c, p);
    lora += i.rank * (out + inp) * c.num_hidden_layers;
  }
  const trainableBytes = F32 * 4 * lora;
  const tokens = i.batchSize * i.seqLength;
  const attention = c.num_attention_heads * i.seqLength;
  // Grouped KV heads save a little; ignoring that keeps the estimate on the safe side.
  const perLayer = PER_TOKEN_HIDDEN * h + PER_TOKEN_INTERMEDIATE * c.intermediate_size + PER_TOKEN_ATTENTION * attention;
  const activationBytes = F32 * tokens * (c.num_hidden_layers * perLayer + PER_TOKEN_VOCAB * c.vocab_size) * HEAP_SLACK;
  const totalBytes = weightBytes + trainableBytes + activationBytes + RUNTIME_BYTES;
  return { weightBytes, trainableBytes, activationBytes, runtimeBytes: RUNTIME_BYTES, totalBytes };
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GB` : `${Math.round(n / 2 ** 20)} MB`;
}

/**
 * Throws OutOfMemoryError when the run's estimate exceeds limitBytes, naming
 * the largest batch size that fits (halving), e.g. "batch_size=4 needs 1.3 GB
 * but the worker allows 1.0 GB: reduce to 2 or use Conservative".
 */
export function checkMemory(i: MemoryEstimateInput & { limitBytes: number }): MemoryEstimate {
  const est = estimateTrainingMemory(i);
  if (est.totalBytes <= i.limitBytes) return est;
  let fit = i.batchSize;
  while (fit > 0 && estimateTrainingMemory({ ...i, batchSize: fit }).totalBytes > i.limitBytes) fit = Math.floor(fit / 2);
  const advice = fit > 0 ? `reduce to ${fit} or use Conservative` : `shorten max_seq_length (${i.seqLength}) or use a larger worker`;
  throw new OutOfMemoryError(
    `batch_size=${i.batchSize} needs ${formatBytes(est.totalBytes)} but the worker allows ${formatBytes(i.limitBytes)}: ${advice}`,
    est.totalBytes, i.limitBytes, fit,
  );
}
