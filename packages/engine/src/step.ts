// One optimizer step, shared by LoRA fine-tuning and base-model pretraining.
import { tf } from "./backend";
import { type AdamW, clipGradients } from "./optimizer";

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** One micro-batch's loss and its share of the effective batch (weights sum to 1). */
export interface MicroBatch {
  loss: () => tf.Scalar;
  weight: number;
}

/** Differentiate `lossFn` w.r.t. `vars`, clip, and apply AdamW at learning rate `lr`. */
export function trainStep(
  lossFn: () => tf.Scalar,
  vars: Array<[string, tf.Variable]>,
  optimizer: AdamW,
  lr: number,
  clip: number | null,
): StepResult {
  return accumulatedStep([{ loss: lossFn, weight: 1 }], vars, optimizer, lr, clip);
}

/**
 * Gradient accumulation: the weighted sum of the micro-batches' gradients,
 * then one clip and one optimizer step. With each weight the micro-batch's
 * share of the loss tokens, this is the gradient of the whole batch's mean
 * loss, while only one micro-batch's activations are alive at a time.
 */
export function accumulatedStep(
  microBatches: MicroBatch[],
  vars: Array<[string, tf.Variable]>,
  optimizer: AdamW,
  lr: number,
  clip: number | null,
): StepResult {
  const variables = vars.map(([, v]) => v);
  let sum: tf.Tensor[] = [];
  let loss = 0;
  for (const micro of microBatches) {
    const next = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(micro.loss, variables);
      loss += micro.weight * value.dataSync()[0];
      return vars.map(([name, v], i) => {
        const g = grads[v.name];
        if (!g) throw new Error(`no gradient reached ${name}`);
        const weighted = micro.weight === 1 ? g : tf.mul(g, micro.weight);
        return sum.length ? tf.add(sum[i], weighted) : weighted;
      });
    });
    tf.dispose(sum);
    sum = next;
  }
  return tf.tidy(() => {
    const { grads: clipped, norm } = clipGradients(sum, clip);
    optimizer.apply(clipped, lr);
    tf.dispose(sum);
    return { loss, gradNorm: norm };
  });
}

/** Bytes the process and the tensor heap use right now (the wasm heap only grows, so RSS tracks its peak). */
export function memoryUsage(): { rssBytes: number; tensorBytes: number } {
  return { rssBytes: process.memoryUsage().rss, tensorBytes: tf.memory().numBytes };
}
