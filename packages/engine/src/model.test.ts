// The engine's Llama forward pass against an independent numpy port of
// transformers' LlamaForCausalLM (packages/engine/scripts/hf_llama_reference.py), with
// and without a PEFT-merged LoRA adapter.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "./backend";
import { parseLlamaConfig } from "./config";
import { LoraAdapter } from "./lora";
import { KvCache, LlamaModel } from "./model";
import { generateIds } from "./generate";
import { Prng } from "./prng";
import { f32, type TensorMap } from "./safetensors";

const SCRIPT = join(import.meta.dirname, "../scripts/hf_llama_reference.py");

function randomWeights(model: LlamaModel, seed: number): TensorMap {
  // Larger-than-init weights and non-unit norms so every term visibly matters.
  const rng = new Prng(seed);
  const out: TensorMap = {};
  for (const [name, t] of Object.entries(model.toTensors())) {
    const isNorm = name.endsWith("norm.weight");
    const data = new Float32Array(t.data.length).map(() => (isNorm ? 1 + 0.3 * rng.normal() : 0.2 * rng.normal()));
    out[name] = f32(t.shape, data);
  }
  return out;
}

async function referenceLogits(dir: string, ids: number[][], adapterDir?: string): Promise<Float32Array> {
  const out = join(dir, `ref-${adapterDir ? "lora" : "base"}.f32`);
  execFileSync("python3", [SCRIPT, dir, JSON.stringify(ids), out, ...(adapterDir ? [adapterDir] : [])]);
  const buf = await readFile(out);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("LlamaModel matches the Hugging Face reference", () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend();
    dir = await mkdtemp(join(tmpdir(), "tuneloop-model-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  for (const kv of [4, 2]) {
    it(`logits within 1e-4 (num_key_value_heads=${kv}, with and without LoRA)`, async () => {
      const config = parseLlamaConfig({
        hidden_size: 64,
        intermediate_size: 96,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: kv,
        vocab_size: 50,
        max_position_embeddings: 32,
        rms_norm_eps: 1e-5,
        rope_theta: 500,
      });
      const shape = LlamaModel.random(config, 1);
      const weights = randomWeights(shape, 7);
      shape.dispose();
      const modelDir = join(dir, `kv${kv}`);
      await LlamaModel.fromTensors(config, weights).save(modelDir);
      const model = await LlamaModel.load(modelDir);
      const ids = [
        [3, 14, 15, 9, 2, 6, 5, 35, 8, 9, 7, 9],
        [1, 1, 2, 3, 5, 8, 13, 21, 34, 0, 49, 4],
      ];
      const flat = Int32Array.from(ids.flat());
      const ours = tf.tidy(() => model.forward(flat, 2, 12).dataSync() as Float32Array);
      const ref = await referenceLogits(modelDir, ids);
      expect(maxAbsDiff(ours, ref)).toBeLessThan(1e-4);

      // A LoRA adapter with non-zero B, saved in PEFT format and merged by the reference.
      const lora = LoraAdapter.create(
        config,
        {
          r: 4,
          alpha: 8,
          dropout: 0.1,
          targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
          baseModelNameOrPath: modelDir,
        },
        3,
      );
      const rng = new Prng(11);
      for (const [, v] of lora.namedVariables())
        v.assign(
          tf.tensor(
            Float32Array.from({ length: v.size }, () => 0.3 * rng.normal()),
            v.shape,
          ),
        );
      const adapterDir = join(dir, `adapter${kv}`);
      await lora.save(adapterDir);
      const loaded = await LoraAdapter.load(adapterDir, config);
      const oursLora = tf.tidy(() => model.forward(flat, 2, 12, { hook: loaded }).dataSync() as Float32Array);
      const refLora = await referenceLogits(modelDir, ids, adapterDir);
      expect(maxAbsDiff(oursLora, ref)).toBeGreaterThan(1e-2);
      expect(maxAbsDiff(oursLora, refLora)).toBeLessThan(1e-4);
      model.dispose();
      lora.dispose();
      loaded.dispose();
    });
  }

  it("save/load round-trips every weight exactly", async () => {
    const model = LlamaModel.random(
      { hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 20, max_position_embeddings: 8 },
      5,
    );
    await model.save(join(dir, "rt"));
    const back = await LlamaModel.load(join(dir, "rt"));
    const a = model.toTensors();
    const b = back.toTensors();
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(Array.from(b[k].data)).toEqual(Array.from(a[k].data));
    expect(Object.keys(a)).toContain("model.layers.0.self_attn.q_proj.weight");
    model.dispose();
    back.dispose();
  });
});

describe("generation with a KV cache", () => {
  const config = parseLlamaConfig({
    hidden_size: 64,
    intermediate_size: 96,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 50,
    max_position_embeddings: 16,
    rms_norm_eps: 1e-5,
    rope_theta: 500,
  });
  let model: LlamaModel;
  let lora: LoraAdapter;
  beforeAll(async () => {
    await initBackend();
    const shape = LlamaModel.random(config, 1);
    model = LlamaModel.fromTensors(config, randomWeights(shape, 7));
    shape.dispose();
    lora = LoraAdapter.create(
      config,
      { r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "k_proj", "v_proj", "o_proj"], baseModelNameOrPath: "random" },
      3,
    );
    const rng = new Prng(11);
    for (const [, v] of lora.namedVariables())
      v.assign(
        tf.tensor(
          Float32Array.from({ length: v.size }, () => 0.3 * rng.normal()),
          v.shape,
        ),
      );
  });
  afterAll(() => {
    model.dispose();
    lora.dispose();
  });

  it("gives the full forward pass's logits, a few tokens at a time, with grouped KV heads and LoRA", () => {
    const ids = [3, 14, 15, 9, 2, 6, 5, 35, 8, 9, 7, 9];
    const parts = [
      [0, 5],
      [5, 6],
      [6, 7],
      [7, 10],
      [10, 11],
      [11, 12],
    ];
    let tensorsBefore = 0;
    for (const hook of [undefined, lora]) {
      const full = tf.tidy(() => model.forward(Int32Array.from(ids), 1, ids.length, { hook }).dataSync() as Float32Array);
      const cache = new KvCache();
      const cached = parts.flatMap(([from, to]) =>
        Array.from(tf.tidy(() => model.forwardCached(Int32Array.from(ids.slice(from, to)), cache, { hook }).dataSync())),
      );
      expect(cache.length).toBe(ids.length);
      expect(maxAbsDiff(Float32Array.from(cached), full)).toBeLessThan(1e-5);
      expect(() => tf.tidy(() => model.forwardCached(Int32Array.from(ids), cache))).toThrow(/exceed the model's 16-token window/);
      cache.dispose();
      // The first pass made the model's RoPE tables; the second leaves nothing behind.
      if (hook) expect(tf.memory().numTensors).toBe(tensorsBefore);
      tensorsBefore = tf.memory().numTensors;
    }
  });

  it("generates what re-running the whole context generates, also past the window", () => {
    // The definition: each next token from the full forward pass over the last `window` tokens.
    const reference = (prompt: number[], maxNew: number, adapter: LoraAdapter | null) => {
      const out: number[] = [];
      for (let i = 0; i < maxNew; i++) {
        const context = [...prompt, ...out].slice(-config.max_position_embeddings);
        const logits = tf.tidy(
          () => model.forward(Int32Array.from(context), 1, context.length, { hook: adapter ?? undefined }).dataSync() as Float32Array,
        );
        const last = logits.subarray((context.length - 1) * config.vocab_size);
        out.push(last.indexOf(Math.max(...last)));
      }
      return out;
    };
    const prompt = [1, 4, 9, 16, 25, 36, 49];
    for (const adapter of [null, lora]) {
      const generated = generateIds(model, prompt, [], { maxNewTokens: 20, adapter });
      expect(generated).toEqual({ ids: reference(prompt, 20, adapter), finishReason: "length" });
    }
  });
});
