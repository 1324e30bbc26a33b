// One optimizer step, shared by LoRA fine-tuning and base-model pretraining.
import { tf } from './backend';
import { AdamW, clipGradients } from './optimizer';

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** Differentiate `lossFn` w.r.t. `vars`, clip, and apply AdamW at learning rate `lr`. */
export function trainStep(
  lossFn: () => tf.Scalar, vars: Array<[string, tf.Variable]>, optimizer: AdamW, lr: number, clip: number | null,
): StepResult {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(lossFn, vars.map(([, v]) => v));
    const list = vars.map(([name, v]) => {
      const g = grads[v.name];
      if (!g) throw new Error(`no gradient reached ${name}`);
      return g;
    });
    const { grads: clipped, norm } = clipGradients(list, clip);
    optimizer.apply(clipped, lr);
    return { loss: value.dataSync()[0], gradNorm: norm };
  });
}

/** Bytes the process and the tensor heap use right now (the wasm heap only grows, so RSS tracks its peak). */
export function memoryUsage(): { rssBytes: number; tensorBytes: number } {
  return { rssBytes: process.memoryUsage().rss, tensorBytes: tf.memory().numBytes };
}
