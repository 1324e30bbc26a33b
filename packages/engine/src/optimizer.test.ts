import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "./backend";
import { AdamW, clipGradients, learningRateAt } from "./optimizer";

beforeAll(() => initBackend());

describe("learningRateAt", () => {
  const s = { peak: 1e-3, warmupSteps: 10, totalSteps: 110 };
  it("warms up linearly, then decays by cosine or linearly to zero", () => {
    expect(learningRateAt(0, s)).toBe(0);
    expect(learningRateAt(5, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(10, s)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, s)).toBeCloseTo(5e-4, 12); // cosine half-way
    expect(learningRateAt(110, s)).toBeCloseTo(0, 12);
    expect(learningRateAt(60, { ...s, kind: "linear" })).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(35, { ...s, kind: "linear" })).toBeCloseTo(7.5e-4, 12);
    expect(learningRateAt(100, { ...s, kind: "constant" })).toBe(1e-3);
  });
});

describe("clipGradients", () => {
  it("scales to the global norm like torch.nn.utils.clip_grad_norm_", () => {
    const grads = [tf.tensor([3, 0]), tf.tensor([[0, 4]])];
    const { grads: clipped, norm } = clipGradients(grads, 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(Array.from(clipped[0].dataSync())).toEqual([expect.closeTo(0.6, 5), 0]);
    expect(clipGradients(grads, 10).grads).toBe(grads);
    expect(clipGradients(grads, null).norm).toBeCloseTo(5, 6);
  });
});

describe("AdamW", () => {
  it("matches torch.optim.AdamW arithmetic (decoupled decay, bias correction)", () => {
    // Reference values computed by hand from torch's update rule for two steps.
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW([["p", p]], { weightDecay: 0.1 });
    const lr = 0.01;
    let ref = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= 2; t++) {
      const g = t === 1 ? [0.5, -1] : [0.25, 2];
      opt.apply([tf.tensor1d(g)], lr);
      ref = ref.map((x, i) => {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        const mh = m[i] / (1 - 0.9 ** t);
        const vh = v[i] / (1 - 0.999 ** t);
        return x * (1 - lr * 0.1) - (lr * mh) / (Math.sqrt(vh) + 1e-8);
      });
    }
    const got = Array.from(p.dataSync());
    got.forEach((x, i) => expect(x).toBeCloseTo(ref[i], 6));
  });

  it("serializes and restores its state exactly", () => {
    const p = tf.variable(tf.tensor1d([1, 2, 3]));
    const a = new AdamW([["p", p]]);
    a.apply([tf.tensor1d([0.1, -0.2, 0.3])], 0.1);
    const state = a.getState();
    expect(state.step).toBe(1);
    const q = tf.variable(p.clone());
    const b = new AdamW([["p", q]]);
    b.setState(structuredClone(state));
    a.apply([tf.tensor1d([1, 1, 1])], 0.1);
    b.apply([tf.tensor1d([1, 1, 1])], 0.1);
    expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
    expect(() => b.setState({ step: 1, m: {}, v: {} })).toThrow(/does not match/);
  });
});
