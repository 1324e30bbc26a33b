// Turning tokenized examples into padded next-token-prediction batches, and
// the masked cross-entropy that trains only where the loss mask says so.
import { tf } from "./backend";

/** One tokenized example: ids and a per-token 0/1 loss mask of equal length. */
export interface Example {
  ids: number[];
  mask: number[];
}

export interface Batch {
  /** Row-major [batch, seqLen] inputs. */
  inputIds: Int32Array;
  /** Next-token targets aligned with inputIds. */
  targets: Int32Array;
  /** 1 where the target counts toward the loss. */
  lossMask: Float32Array;
  batch: number;
  seqLen: number;
  /** Non-padding input tokens (for tokens/s). */
  tokens: number;
  /** Tokens that carry loss. */
  lossTokens: number;
}

/**
 * Pack examples into one batch padded on the right to the longest example (at
 * most maxSeqLength inputs). Right padding keeps real tokens unaffected under
 * the causal mask; padded targets get mask 0.
 */
export function makeBatch(examples: Example[], maxSeqLength: number, padId: number): Batch {
  const lengths = examples.map((e) => Math.min(e.ids.length - 1, maxSeqLength));
  const seqLen = Math.max(1, ...lengths);
  const n = examples.length * seqLen;
  const inputIds = new Int32Array(n).fill(padId);
  const targets = new Int32Array(n).fill(padId);
  const lossMask = new Float32Array(n);
  let tokens = 0;
  let lossTokens = 0;
  examples.forEach((e, b) => {
    for (let t = 0; t < lengths[b]; t++) {
      const i = b * seqLen + t;
      inputIds[i] = e.ids[t];
      targets[i] = e.ids[t + 1];
      lossMask[i] = e.mask[t + 1];
      lossTokens += e.mask[t + 1];
    }
    tokens += Math.max(0, lengths[b]);
  });
  return { inputIds, targets, lossMask, batch: examples.length, seqLen, tokens, lossTokens };
}

/** Per-position negative log-likelihood [N] of the targets (no reduction). */
export function tokenNll(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor1D {
  const labels = tf.oneHot(tf.tensor1d(targets, "int32"), logits.shape[1]).toFloat();
  return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.NONE) as tf.Tensor1D;
}

/** Mean NLL over positions whose mask is 1 (a scalar; 0 when nothing is masked in). */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: Int32Array, lossMask: Float32Array): tf.Scalar {
  const count = lossMask.reduce((a, b) => a + b, 0);
  const nll = tokenNll(logits, targets);
  return tf.div(tf.sum(tf.mul(nll, tf.tensor1d(lossMask))), Math.max(count, 1)) as tf.Scalar;
}
