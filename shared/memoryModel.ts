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
