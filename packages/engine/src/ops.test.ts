// The wasm-tuned ops (custom-gradient matmuls, per-head attention, RoPE as a
// matmul, patched Slice/SplitV/UnsortedSegmentSum kernels) against plain tfjs
// formulations differentiated by tfjs itself.
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "./backend";
import { applyRope, attention, causalMask, frozenMatmul, matmul, ropeTables } from "./ops";
import { Prng } from "./prng";

beforeAll(() => initBackend());

const rng = new Prng(3);
const rand = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );

function expectClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-4) {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  expect(m).toBeLessThan(tol);
}

describe("ops", () => {
  it("matmul and frozenMatmul have the gradients of tf.matMul", () => {
    const a = rand([5, 7]) as tf.Tensor2D;
    const b = rand([7, 3]) as tf.Tensor2D;
    const w = rand([4, 3]) as tf.Tensor2D;
    const loss = (f: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D) => (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.sin(f(x as tf.Tensor2D, y as tf.Tensor2D)));
    const ours = tf.grads(loss((x, y) => matmul(x, y)))([a, b]);
    const ref = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
    ours.forEach((g, i) => expectClose(g, ref[i]));
    const [dxFrozen] = tf.grads((x: tf.Tensor) => tf.sum(tf.sin(frozenMatmul(x, tf.transpose(w), w))))([b]);
    const [dxRef] = tf.grads((x: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x as tf.Tensor2D, w, false, true))))([b]);
    expectClose(dxFrozen, dxRef);
  });

  it("RoPE equals q*cos + rotate_half(q)*sin with explicit halves", () => {
    const [B, T, H, d] = [2, 5, 3, 8];
    const x = rand([B * T, H * d]) as tf.Tensor2D;
    const tables = ropeTables(T, d, H, 10000);
    const ref = (q: tf.Tensor) => {
      const q4 = tf.reshape(q, [B, T, H, d]);
      const [x1, x2] = tf.split(q4, 2, 3);
      const rot = tf.concat([tf.neg(x2), x1], 3);
      const cos = tf.reshape(tables.cos, [1, T, H, d]);
      const sin = tf.reshape(tables.sin, [1, T, H, d]);
      return tf.reshape(tf.add(tf.mul(q4, cos), tf.mul(rot, sin)), [B * T, H * d]);
    };
    expectClose(applyRope(x, B, T, tables), ref(x), 1e-5);
    expectClose(
      tf.grad((q: tf.Tensor) => tf.sum(tf.square(applyRope(q as tf.Tensor2D, B, T, tables))))(x),
      tf.grad((q: tf.Tensor) => tf.sum(tf.square(ref(q))))(x),
    );
  });

  for (const kv of [4, 2]) {
    it(`per-head attention equals batched softmax attention (kv heads ${kv})`, () => {
      const [B, T, H, d] = [2, 6, 4, 8];
      const q = rand([B * T, H * d]);
      const k = rand([B * T, kv * d]);
      const v = rand([B * T, kv * d]);
      const mask = causalMask(T);
      const ref = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => {
        const heads = (x: tf.Tensor, n: number) => {
          const t = tf.transpose(tf.reshape(x, [B, T, n, d]), [0, 2, 1, 3]);
          // Like HF's repeat_kv: query head h reads kv head floor(h / (H / n)).
          return n === H
            ? t
            : tf.concat(
                tf.split(t, n, 1).flatMap((p) => Array<tf.Tensor>(H / n).fill(p)),
                1,
              );
        };
        const s = tf.add(
          tf.div(tf.matMul(tf.reshape(heads(qq, H), [B * H, T, d]), tf.reshape(heads(kk, kv), [B * H, T, d]), false, true), Math.sqrt(d)),
          mask,
        );
        const o = tf.matMul(tf.softmax(s), tf.reshape(heads(vv, kv), [B * H, T, d]));
        return tf.reshape(tf.transpose(tf.reshape(o, [B, H, T, d]), [0, 2, 1, 3]), [B * T, H * d]);
      };
      const ours = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) =>
        attention(qq as tf.Tensor2D, kk as tf.Tensor2D, vv as tf.Tensor2D, B, T, H, kv, d, mask);
      expectClose(ours(q, k, v), ref(q, k, v), 1e-5);
      const weight = rand([B * T, H * d]);
      const g1 = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(ours(a, b, c), weight)))([q, k, v]);
      const g2 = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(ref(a, b, c), weight)))([q, k, v]);
      g1.forEach((g, i) => expectClose(g, g2[i]));
    });
  }

  it("patched Slice/SplitV copy the right elements, and gather has a gradient on wasm", () => {
    const x = tf.range(0, 2 * 3 * 4 * 5).reshape([2, 3, 4, 5]);
    const s = tf.slice(x, [1, 0, 2, 1], [1, 3, 2, 3]);
    const expected: number[] = [];
    for (let j = 0; j < 3; j++) for (let k = 2; k < 4; k++) for (let l = 1; l < 4; l++) expected.push(60 + j * 20 + k * 5 + l);
    expect(Array.from(s.dataSync())).toEqual(expected);
    const parts = tf.split(x, [1, 2], 1);
    expect(parts[1].shape).toEqual([2, 2, 4, 5]);
    expect(parts[1].dataSync()[0]).toBe(20);
    expect(Array.from(tf.split(tf.range(0, 6).reshape([3, 2]), 3, 0)[2].dataSync())).toEqual([4, 5]);
    const table = tf.variable(tf.ones([4, 2]));
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([0, 2, 2], "int32"))))(table);
    expect(Array.from(g.dataSync())).toEqual([1, 1, 0, 0, 2, 2, 0, 0]);
  });
});
