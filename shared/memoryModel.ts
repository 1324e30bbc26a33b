// The one memory model of a LoRA run, shared by the trainers (which refuse a
// job that would not fit) and the server's failure guidance (which sizes the
// retry). Pure arithmetic, no imports: each trainer describes its own model in
// a MemoryProfile (coefficients of the same formula) and reports it with an
// out-of-memory failure, so the server never needs the trainer's internals.
// (The python trainer evaluates the same formula in hf_training.py.)

/** How a run's peak memory grows with the settings a retry can change. */
export type MemoryProfile = {
  /** Bytes that depend on none of them: frozen weights, the runtime. */
  fixedBytes: number;
  /** LoRA weights, gradients and optimizer moments per unit of rank. */
  bytesPerRank: number;
  /** Activations per token of one micro-batch. */
  bytesPerToken: number;
  /** Attention scores per token per position of the sequence (the part quadratic in sequence length). */
  bytesPerTokenPosition: number;
  /** Frozen-weight bytes that loading the base model in 4-bit would save; null where the trainer cannot (or already does). */
  fourBitSavingBytes: number | null;
};

export type MemorySettings = { batchSize: number; seqLength: number; rank: number; fourBit?: boolean };

export function bytesNeeded(p: MemoryProfile, s: MemorySettings): number {
  const tokens = s.batchSize * s.seqLength;
  const saved = s.fourBit && p.fourBitSavingBytes ? p.fourBitSavingBytes : 0;
  return p.fixedBytes - saved + p.bytesPerRank * s.rank + tokens * (p.bytesPerToken + p.bytesPerTokenPosition * s.seqLength);
}

/**
 * The largest micro-batch that fits `availableBytes` and divides the effective
 * batch, so that accumulating `effectiveBatch / batchSize` of them keeps the
 * learning dynamics; 0 when not even one example fits.
 */
export function largestBatchThatFits(p: MemoryProfile, s: MemorySettings, effectiveBatch: number, availableBytes: number): number {
  for (let b = Math.min(s.batchSize, effectiveBatch); b >= 1; b--) {
    if (effectiveBatch % b === 0 && bytesNeeded(p, { ...s, batchSize: b }) <= availableBytes) return b;
  }
  return 0;
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GB` : `${Math.round(n / 2 ** 20)} MB`;
}

/** The fields of a Hugging Face Llama-style config that size a model. */
export type ModelShape = {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  vocab_size: number;
};

/** How the python trainer loads the frozen base weights on a GPU; 8-bit is shown for comparison (it does not train in 8-bit). */
export type WeightFormat = "bf16" | "int8" | "nf4";
export const WEIGHT_BYTES: Record<WeightFormat, number> = { bf16: 2, int8: 1, nf4: 0.56 };
const CUDA_CONTEXT_BYTES = 1.5 * 2 ** 30;

/** Embeddings, untied head and per layer attention (grouped keys and values) and MLP. */
export function parametersOf(s: ModelShape): number {
  const kv = (s.hidden_size * s.num_key_value_heads) / s.num_attention_heads;
  return (
    2 * s.vocab_size * s.hidden_size +
    s.num_hidden_layers * (2 * s.hidden_size ** 2 + 2 * s.hidden_size * kv + 3 * s.hidden_size * s.intermediate_size)
  );
}

/**
 * The python trainer's profile of a LoRA run on a GPU (trainer/python/tuneloop_worker/memory.py,
 * the same terms): frozen weights in `format`, LoRA weights with gradients and two AdamW moments
 * in fp32, checkpointed layer inputs and the logits per token.
 */
export function gpuLoraProfile(s: ModelShape, targetModules: number, format: WeightFormat): MemoryProfile {
  const params = parametersOf(s);
  return {
    fixedBytes: params * WEIGHT_BYTES[format] + CUDA_CONTEXT_BYTES,
    bytesPerRank: s.num_hidden_layers * targetModules * 2 * Math.max(s.hidden_size, s.intermediate_size) * 4 * 4,
    bytesPerToken: s.num_hidden_layers * s.hidden_size * 2 * 6 + s.vocab_size * 4 * 3,
    bytesPerTokenPosition: 0,
    fourBitSavingBytes: format === "nf4" ? null : params * (WEIGHT_BYTES[format] - WEIGHT_BYTES.nf4),
  };
}
