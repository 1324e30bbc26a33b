import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "./backend";
import { makeBatch, maskedCrossEntropy, type Example } from "./batch";
import { parseLlamaConfig } from "./config";
import { LoraAdapter } from "./lora";
import { LlamaModel } from "./model";
import { AdamW } from "./optimizer";
import { MODEL_SIZES } from "./pretrain";
import { Prng } from "./prng";
import { accumulatedStep, trainStep } from "./step";

beforeAll(() => initBackend());

describe("gradient accumulation", () => {
  it("two micro-batches of 4 make the same optimizer steps as one batch of 8", () => {
    const cfg = parseLlamaConfig(MODEL_SIZES.tiny.config);
    const model = LlamaModel.random(cfg, 3);
    const rng = new Prng(5);
    // Examples of different lengths and loss masks, so the micro-batches carry unequal numbers of loss tokens.
    const examples: Example[] = Array.from({ length: 8 }, (_, e) => {
      const length = 6 + ((e * 5) % 17);
      const ids = Array.from({ length }, () => rng.int(cfg.vocab_size));
      return { ids, mask: ids.map((_, t) => (t > e % 4 ? 1 : 0)) };
    });
    const loraConfig = { r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj" as const, "v_proj" as const], baseModelNameOrPath: "" };
    const lossOf = (lora: LoraAdapter, b: ReturnType<typeof makeBatch>) => () =>
      maskedCrossEntropy(model.forward(b.inputIds, b.batch, b.seqLen, { hook: lora }), b.targets, b.lossMask);

    const whole = LoraAdapter.create(cfg, loraConfig, 1);
    const split = LoraAdapter.create(cfg, loraConfig, 1);
    const wholeOpt = new AdamW(whole.namedVariables());
    const splitOpt = new AdamW(split.namedVariables());
    const batch = makeBatch(examples, 32, 0);
    const micro = [makeBatch(examples.slice(0, 4), 32, 0), makeBatch(examples.slice(4), 32, 0)];
    expect(micro[0].lossTokens).not.toBe(micro[1].lossTokens);

    // Two steps: after the first, Adam's update depends on the gradients' size, not only their sign.
    for (let step = 0; step < 2; step++) {
      const a = trainStep(lossOf(whole, batch), whole.namedVariables(), wholeOpt, 1e-2, null);
      const b = accumulatedStep(
        micro.map((m) => ({ loss: lossOf(split, m), weight: m.lossTokens / batch.lossTokens })),
        split.namedVariables(),
        splitOpt,
        1e-2,
        null,
      );
      expect(b.loss).toBeCloseTo(a.loss, 5);
      expect(b.gradNorm).toBeCloseTo(a.gradNorm, 5);
    }
    const after = Object.fromEntries(split.namedVariables().map(([n, v]) => [n, v.dataSync()]));
    let maxDiff = 0;
    for (const [name, v] of whole.namedVariables()) {
      const x = v.dataSync();
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - after[name][i]));
    }
    expect(maxDiff).toBeLessThan(1e-5);
    // Equal weights instead of token shares would be a different gradient: the test can tell.
    const before = tf.memory().numTensors;
    const unweighted = accumulatedStep(
      micro.map((m) => ({ loss: lossOf(split, m), weight: 0.5 })),
      split.namedVariables(),
      splitOpt,
      0,
      null,
    );
    const weighted = accumulatedStep(
      micro.map((m) => ({ loss: lossOf(split, m), weight: m.lossTokens / batch.lossTokens })),
      split.namedVariables(),
      splitOpt,
      0,
      null,
    );
    expect(Math.abs(unweighted.gradNorm - weighted.gradNorm)).toBeGreaterThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
    for (const x of [whole, split]) x.dispose();
    for (const x of [wholeOpt, splitOpt, model]) x.dispose();
  });
});
