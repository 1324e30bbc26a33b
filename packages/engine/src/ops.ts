// Differentiable building blocks tuned for the tfjs wasm backend. tfjs's own
// matMul gradient uses transposeA/transposeB, which run ~10x slower on wasm
// than plain 2-D matMul, so every matmul here is 2-D with explicit transposes
// and a custom gradient that computes only the gradients someone needs.
import { tf } from "./backend";

type T2 = tf.Tensor2D;

/** a @ b with gradients for both (trainable weights, LoRA factors). */
export const matmul = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [T2, T2, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as T2;
      const [sa, sb] = saved as T2[];
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as unknown as (a: tf.Tensor, b: tf.Tensor) => T2;

/**
 * x @ wT for a frozen weight: only dx = dy @ w is computed. Both layouts are
 * kept so neither pass transposes the weight.
 */
export function frozenMatmul(x: tf.Tensor, wT: T2, w: T2): T2 {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.matMul(args[0] as T2, wT),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.matMul(dy as T2, w),
  })) as unknown as (x: tf.Tensor) => T2;
  return f(x);
}

/** Llama RMSNorm: x / sqrt(mean(x^2) + eps) * weight, over the last axis. */
export function rmsNorm(x: T2, weight: tf.Tensor1D, eps: number): T2 {
  const variance = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), weight);
}

export interface RopeTables {
  /** [T, nHeads * headDim] cos, tiled over heads. */
  cos: T2;
  /** [T, nHeads * headDim] sin, tiled over heads. */
  sin: T2;
  /** Block-diagonal signed permutation (and its transpose): x @ rot = rotate_half(x) per head. */
  rot: T2;
  rotT: T2;
}

/** cos/sin for positions 0..T-1 using HF's rotate_half convention (halves, not interleaved). */
export function ropeAngles(seqLen: number, headDim: number, heads: number, theta: number): Pick<RopeTables, "cos" | "sin"> {
  const width = heads * headDim;
  const cos = new Float32Array(seqLen * width);
  const sin = new Float32Array(seqLen * width);
  const half = headDim / 2;
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      // Same float path as HF: inv_freq in float32, then position * inv_freq.
      const invFreq = Math.fround(1 / theta ** ((2 * i) / headDim));
      const angle = Math.fround(t * invFreq);
      for (let h = 0; h < heads; h++) {
        const base = t * width + h * headDim;
        cos[base + i] = cos[base + i + half] = Math.cos(angle);
        sin[base + i] = sin[base + i + half] = Math.sin(angle);
      }
    }
  }
  return { cos: tf.tensor2d(cos, [seqLen, width]), sin: tf.tensor2d(sin, [seqLen, width]) };
}

/**
 * rotate_half(x) = cat(-x2, x1) per head, as a matrix. One fast 2-D matmul;
 * the slice/reverse formulations cost 10-20x more on wasm.
 */
export function rotateHalfMatrix(headDim: number, heads: number): Pick<RopeTables, "rot" | "rotT"> {
  const width = heads * headDim;
  const half = headDim / 2;
  const rot = new Float32Array(width * width);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < half; j++) {
      const lo = h * headDim + j;
      const hi = lo + half;
      rot[hi * width + lo] = -1;
      rot[lo * width + hi] = 1;
    }
  }
  const r = tf.tensor2d(rot, [width, width]);
  return { rot: r, rotT: tf.transpose(r) };
}

export function ropeTables(seqLen: number, headDim: number, heads: number, theta: number): RopeTables {
  return { ...ropeAngles(seqLen, headDim, heads, theta), ...rotateHalfMatrix(headDim, heads) };
}

/** q*cos + rotate_half(q)*sin for x of shape [B*T, heads*headDim]; cos/sin broadcast over the batch. */
export function applyRope(x: T2, batch: number, seqLen: number, tables: RopeTables): T2 {
  const width = x.shape[1];
  const rotated = tf.reshape(frozenMatmul(x, tables.rot, tables.rotT), [batch, seqLen, width]);
  const out = tf.add(tf.mul(tf.reshape(x, [batch, seqLen, width]), tables.cos), tf.mul(rotated, tables.sin));
  return tf.reshape(out, [batch * seqLen, width]);
}

/** [T, T] additive causal mask: 0 on and below the diagonal, -1e9 above. */
export function causalMask(seqLen: number): T2 {
  const m = new Float32Array(seqLen * seqLen);
  for (let i = 0; i < seqLen; i++) for (let j = i + 1; j < seqLen; j++) m[i * seqLen + j] = -1e9;
  return tf.tensor2d(m, [seqLen, seqLen]);
}

/** [B*T, heads*d] -> [B*heads*T, d] (or with transposeLast: [B*heads*d, T]) so each (batch, head) block is contiguous. */
function headsFirst(x: T2, batch: number, seqLen: number, heads: number, d: number, transposeLast: boolean): T2 {
  const x4 = tf.reshape(x, [batch, seqLen, heads, d]);
  const perm = transposeLast ? [0, 2, 3, 1] : [0, 2, 1, 3];
  return tf.reshape(tf.transpose(x4, perm), [-1, transposeLast ? seqLen : d]);
}

/**
 * Causal multi-head attention (with grouped KV heads) from projected q, k, v.
 * Scores and weighted sums are per-(batch, head) 2-D matmuls — 3-D batched
 * matmul is the slow path on wasm — while softmax runs once over all heads.
 * With a KV cache the keys outnumber the queries (kvLen ≥ seqLen) and `mask`
 * is [seqLen, kvLen].
 */
export function attention(
  q: T2,
  k: T2,
  v: T2,
  batch: number,
  seqLen: number,
  heads: number,
  kvHeadCount: number,
  d: number,
  mask: T2 | null,
  kvLen = seqLen,
): T2 {
  const n = batch * heads;
  const group = heads / kvHeadCount;
  const qs = tf.split(headsFirst(q, batch, seqLen, heads, d, false), n, 0);
  const kTs = tf.split(headsFirst(k, batch, kvLen, kvHeadCount, d, true), batch * kvHeadCount, 0);
  const vs = tf.split(headsFirst(v, batch, kvLen, kvHeadCount, d, false), batch * kvHeadCount, 0);
  const kvIndex = (i: number) => Math.floor(i / heads) * kvHeadCount + Math.floor((i % heads) / group);
  const scores = qs.map((qi, i) => matmul(qi, kTs[kvIndex(i)]));
  const all = tf.reshape(tf.concat(scores, 0), [n, seqLen, kvLen]);
  const scaled = tf.mul(all, 1 / Math.sqrt(d));
  const probs = tf.softmax(mask ? tf.add(scaled, mask) : scaled);
  const ps = tf.split(tf.reshape(probs, [n * seqLen, kvLen]), n, 0);
  const outs = ps.map((p, i) => matmul(p, vs[kvIndex(i)]));
  const o4 = tf.reshape(tf.concat(outs, 0), [batch, heads, seqLen, d]);
  return tf.reshape(tf.transpose(o4, [0, 2, 1, 3]), [batch * seqLen, heads * d]);
}

/** SiLU (x * sigmoid(x)), the gate activation of Llama's MLP. */
export function silu(x: T2): T2 {
  return tf.mul(x, tf.sigmoid(x));
}
