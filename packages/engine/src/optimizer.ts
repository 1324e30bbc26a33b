// AdamW (Loshchilov & Hutter: weight decay decoupled from the gradient, as in
// torch.optim.AdamW), a warm-up + decay learning-rate schedule matching
// transformers' get_{cosine,linear}_schedule_with_warmup, and global-norm
// gradient clipping. State is plain arrays so checkpoints can store it.
import { tf } from "./backend";
import type { TensorMap } from "./safetensors";

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** Names excluded from weight decay (e.g. norm weights). */
  noDecay?: (name: string) => boolean;
}

export interface ScheduleOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  kind?: "cosine" | "linear" | "constant";
}

/** Learning rate for the update made at `step` (0-based), like transformers' LambdaLR schedules. */
export function learningRateAt(step: number, s: ScheduleOptions): number {
  if (step < s.warmupSteps) return (s.peak * step) / Math.max(1, s.warmupSteps);
  if (s.kind === "constant") return s.peak;
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  if (s.kind === "linear") return s.peak * Math.max(0, 1 - progress);
  return s.peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/**
 * Scale gradients so their global L2 norm is at most maxNorm (torch's
 * clip_grad_norm_: factor maxNorm / (norm + 1e-6)). Returns the pre-clip norm.
 */
export function clipGradients(grads: tf.Tensor[], maxNorm: number | null): { grads: tf.Tensor[]; norm: number } {
  const norm = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  if (maxNorm === null || !(maxNorm > 0) || norm <= maxNorm) return { grads, norm };
  const factor = maxNorm / (norm + 1e-6);
  return { grads: grads.map((g) => tf.mul(g, factor)), norm };
}

export interface AdamWState {
  step: number;
  m: TensorMap;
  v: TensorMap;
}

export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly o: Required<Omit<AdamWOptions, "noDecay">> & Pick<AdamWOptions, "noDecay">;
  /** Number of updates applied (bias correction uses step + 1). */
  step = 0;

  constructor(
    private readonly params: Array<[string, tf.Variable]>,
    opts: AdamWOptions = {},
  ) {
    this.o = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, ...opts };
    for (const [name, p] of params) {
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
    }
  }

  /** One update with learning rate lr; grads are in the same order as params. */
  apply(grads: tf.Tensor[], lr: number): void {
    const { beta1, beta2, epsilon, weightDecay, noDecay } = this.o;
    this.step++;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      this.params.forEach(([name, p], i) => {
        const g = grads[i];
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const decayed = weightDecay > 0 && !noDecay?.(name) ? tf.mul(p, 1 - lr * weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), epsilon);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
      });
    });
  }

  getState(): AdamWState {
    const dump = (src: Map<string, tf.Variable>) => {
      const out: TensorMap = {};
      for (const [name, t] of src) out[name] = { dtype: "F32", shape: t.shape, data: t.dataSync() as Float32Array };
      return out;
    };
    return { step: this.step, m: dump(this.m), v: dump(this.v) };
  }

  setState(state: AdamWState): void {
    this.step = state.step;
    for (const [name, p] of this.params) {
      const m = state.m[name];
      const v = state.v[name];
      if (!m || !v || m.shape.join() !== p.shape.join()) throw new Error(`optimizer state does not match parameter ${name}`);
      tf.tidy(() => {
        this.m.get(name)!.assign(tf.tensor(m.data, m.shape));
        this.v.get(name)!.assign(tf.tensor(v.data, v.shape));
      });
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
