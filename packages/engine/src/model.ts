// A Llama-architecture causal LM (Hugging Face LlamaForCausalLM semantics) on
// tfjs. Weights use HF names and [out, in] layout on disk; in memory each
// projection is kept as [in, out] so the forward matmul needs no transpose.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initBackend, tf } from "./backend";
import { headDim, kvHeads, parseLlamaConfig, type LlamaConfig } from "./config";
import {
  applyRope,
  attention,
  causalMask,
  frozenMatmul,
  matmul,
  rmsNorm,
  ropeAngles,
  rotateHalfMatrix,
  silu,
  type RopeTables,
} from "./ops";
import { Prng } from "./prng";
import { f32, readSafetensors, writeSafetensors, type TensorMap } from "./safetensors";

export const PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export type Projection = (typeof PROJECTIONS)[number];

/** HF module path of a projection inside a decoder layer. */
export function projectionPath(layer: number, p: Projection): string {
  const block = p === "gate_proj" || p === "up_proj" || p === "down_proj" ? "mlp" : "self_attn";
  return `model.layers.${layer}.${block}.${p}`;
}

/** A projection. `w` ([out,in]) is present only when frozen: it makes dx = dy @ w transpose-free. */
interface Linear {
  wT: tf.Tensor2D;
  w?: tf.Tensor2D;
}

interface Layer {
  inputNorm: tf.Tensor1D;
  postNorm: tf.Tensor1D;
  proj: Record<Projection, Linear>;
}

/** Adds a low-rank update to a projection's output; implemented by LoRA. */
export interface ProjectionHook {
  delta(layer: number, p: Projection, x: tf.Tensor2D, base: tf.Tensor2D): tf.Tensor2D | null;
}

export interface ForwardOptions {
  hook?: ProjectionHook;
}

/** Keys (after RoPE) and values of the tokens seen so far, per layer, for LlamaModel.forwardCached. */
export class KvCache {
  length = 0;
  private readonly keys: tf.Tensor2D[] = [];
  private readonly values: tf.Tensor2D[] = [];

  /** The layer's entries with `rows` appended; kept past the caller's tidy. */
  append(kind: "keys" | "values", layer: number, rows: tf.Tensor2D): tf.Tensor2D {
    const list = this[kind];
    const before = list[layer];
    list[layer] = tf.keep(before ? tf.concat([before, rows], 0) : rows);
    before?.dispose();
    return list[layer];
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values]);
    this.keys.length = this.values.length = this.length = 0;
  }
}

export class LlamaModel {
  /** Per sequence length: RoPE angles (query and KV head widths) and the causal mask. */
  private tables = new Map<number, { rope: RopeTables; kvRope: RopeTables; mask: tf.Tensor2D }>();
  private rotation: { q: Pick<RopeTables, "rot" | "rotT">; kv: Pick<RopeTables, "rot" | "rotT"> } | null = null;

  private constructor(
    readonly config: LlamaConfig,
    readonly embed: tf.Tensor2D,
    readonly layers: Layer[],
    readonly norm: tf.Tensor1D,
    readonly lmHead: Linear,
    /** Trainable models hold tf.Variables and no frozen copies. */
    readonly trainable: boolean,
  ) {}

  /** Build from HF-named tensors. `trainable` wraps every weight in a tf.Variable (pretraining). */
  static fromTensors(configJson: unknown, tensors: TensorMap, trainable = false): LlamaModel {
    const config = parseLlamaConfig(configJson);
    const get = (name: string, shape: number[]) => {
      const t = tensors[name];
      if (!t) throw new Error(`model.safetensors lacks ${name}`);
      if (t.shape.join() !== shape.join()) throw new Error(`${name} has shape [${t.shape}], expected [${shape}]`);
      return t.data as Float32Array;
    };
    const wrap = <R extends tf.Rank>(t: tf.Tensor<R>): tf.Tensor<R> => {
      if (!trainable) return t;
      const v = tf.variable(t);
      t.dispose();
      return v as unknown as tf.Tensor<R>;
    };
    const linear = (name: string, out: number, inp: number): Linear => {
      const w = tf.tensor2d(get(name, [out, inp]), [out, inp]);
      const wT = tf.transpose(w);
      if (trainable) {
        w.dispose();
        return { wT: wrap(wT) };
      }
      return { wT, w };
    };
    const h = config.hidden_size;
    const kv = kvHeads(config) * headDim(config);
    const layers: Layer[] = [];
    for (let i = 0; i < config.num_hidden_layers; i++) {
      const shapes: Record<Projection, [number, number]> = {
        q_proj: [h, h],
        k_proj: [kv, h],
        v_proj: [kv, h],
        o_proj: [h, h],
        gate_proj: [config.intermediate_size, h],
        up_proj: [config.intermediate_size, h],
        down_proj: [h, config.intermediate_size],
      };
      const proj = {} as Record<Projection, Linear>;
      for (const p of PROJECTIONS) proj[p] = linear(`${projectionPath(i, p)}.weight`, ...shapes[p]);
      layers.push({
        inputNorm: wrap(tf.tensor1d(get(`model.layers.${i}.input_layernorm.weight`, [h]))),
        postNorm: wrap(tf.tensor1d(get(`model.layers.${i}.post_attention_layernorm.weight`, [h]))),
        proj,
      });
    }
    const v = config.vocab_size;
    return new LlamaModel(
      config,
      wrap(tf.tensor2d(get("model.embed_tokens.weight", [v, h]), [v, h])),
      layers,
      wrap(tf.tensor1d(get("model.norm.weight", [h]))),
      linear("lm_head.weight", v, h),
      trainable,
    );
  }

  /** Random init like HF (normal(0, initializer_range), norms at 1), seeded. */
  static random(configJson: unknown, seed: number, trainable = false): LlamaModel {
    const config = parseLlamaConfig(configJson);
    const rng = new Prng(seed);
    const tensors: TensorMap = {};
    const normal = (shape: number[]) => {
      const data = new Float32Array(shape[0] * (shape[1] ?? 1));
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * config.initializer_range;
      return f32(shape, data);
    };
    const ones = (n: number) => f32([n], new Float32Array(n).fill(1));
    const h = config.hidden_size;
    const kv = kvHeads(config) * headDim(config);
    const im = config.intermediate_size;
    tensors["model.embed_tokens.weight"] = normal([config.vocab_size, h]);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      const shapes: Record<Projection, number[]> = {
        q_proj: [h, h],
        k_proj: [kv, h],
        v_proj: [kv, h],
        o_proj: [h, h],
        gate_proj: [im, h],
        up_proj: [im, h],
        down_proj: [h, im],
      };
      for (const p of PROJECTIONS) tensors[`${projectionPath(i, p)}.weight`] = normal(shapes[p]);
      tensors[`model.layers.${i}.input_layernorm.weight`] = ones(h);
      tensors[`model.layers.${i}.post_attention_layernorm.weight`] = ones(h);
    }
    tensors["model.norm.weight"] = ones(h);
    tensors["lm_head.weight"] = normal([config.vocab_size, h]);
    return LlamaModel.fromTensors(config, tensors, trainable);
  }

  /** Load config.json + model.safetensors (selects the wasm backend first). */
  static async load(dir: string, opts: { trainable?: boolean } = {}): Promise<LlamaModel> {
    await initBackend();
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    const { tensors } = await readSafetensors(join(dir, "model.safetensors"));
    return LlamaModel.fromTensors(config, tensors, opts.trainable ?? false);
  }

  /** Weights under HF names and layouts. */
  toTensors(): TensorMap {
    const out: TensorMap = {};
    const put = (name: string, t: tf.Tensor) => {
      out[name] = f32(t.shape, t.dataSync() as Float32Array);
    };
    const putLinear = (name: string, l: Linear) => {
      const w = tf.transpose(l.wT);
      put(name, w);
      w.dispose();
    };
    put("model.embed_tokens.weight", this.embed);
    this.layers.forEach((layer, i) => {
      for (const p of PROJECTIONS) putLinear(`${projectionPath(i, p)}.weight`, layer.proj[p]);
      put(`model.layers.${i}.input_layernorm.weight`, layer.inputNorm);
      put(`model.layers.${i}.post_attention_layernorm.weight`, layer.postNorm);
    });
    put("model.norm.weight", this.norm);
    putLinear("lm_head.weight", this.lmHead);
    return out;
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "config.json"), `${JSON.stringify(this.config, null, 2)}\n`);
    await writeSafetensors(join(dir, "model.safetensors"), this.toTensors(), { format: "pt" });
  }

  /** Named trainable variables (pretraining); the order is stable for optimizer state. */
  namedVariables(): Array<[string, tf.Variable]> {
    if (!this.trainable) return [];
    const out: Array<[string, tf.Variable]> = [["embed", this.embed as tf.Variable]];
    this.layers.forEach((l, i) => {
      out.push([`${i}.input_norm`, l.inputNorm as tf.Variable], [`${i}.post_norm`, l.postNorm as tf.Variable]);
      for (const p of PROJECTIONS) out.push([`${i}.${p}`, l.proj[p].wT as tf.Variable]);
    });
    out.push(["norm", this.norm as tf.Variable], ["lm_head", this.lmHead.wT as tf.Variable]);
    return out;
  }

  private tablesFor(seqLen: number) {
    let t = this.tables.get(seqLen);
    if (!t) {
      const c = this.config;
      // Kept out of the caller's tidy scope so they live across steps; K has its own under GQA.
      if (!this.rotation) {
        this.rotation = { q: rotateHalfMatrix(headDim(c), c.num_attention_heads), kv: rotateHalfMatrix(headDim(c), kvHeads(c)) };
        for (const x of [...Object.values(this.rotation.q), ...Object.values(this.rotation.kv)]) tf.keep(x);
      }
      const q = ropeAngles(seqLen, headDim(c), c.num_attention_heads, c.rope_theta);
      const kv = ropeAngles(seqLen, headDim(c), kvHeads(c), c.rope_theta);
      for (const x of [...Object.values(q), ...Object.values(kv)]) tf.keep(x);
      t = { rope: { ...q, ...this.rotation.q }, kvRope: { ...kv, ...this.rotation.kv }, mask: tf.keep(causalMask(seqLen)) };
      this.tables.set(seqLen, t);
    }
    return t;
  }

  private project(x: tf.Tensor2D, layer: number, p: Projection, hook?: ProjectionHook): tf.Tensor2D {
    const lin = this.layers[layer].proj[p];
    const base = lin.w ? frozenMatmul(x, lin.wT, lin.w) : matmul(x, lin.wT);
    const delta = hook?.delta(layer, p, x, base);
    return delta ? tf.add(base, delta) : base;
  }

  /**
   * Logits [batch*seqLen, vocab] for token ids laid out row-major [batch, seqLen].
   * Call inside tf.tidy (or a gradient function): intermediates are not disposed here.
   */
  forward(ids: Int32Array, batch: number, seqLen: number, opts: ForwardOptions = {}): tf.Tensor2D {
    const c = this.config;
    const { rope, kvRope, mask } = this.tablesFor(seqLen);
    return this.decoderStack(ids, opts.hook, (i, h) => {
      const q = applyRope(this.project(h, i, "q_proj", opts.hook), batch, seqLen, rope);
      const k = applyRope(this.project(h, i, "k_proj", opts.hook), batch, seqLen, kvRope);
      const v = this.project(h, i, "v_proj", opts.hook);
      return attention(q, k, v, batch, seqLen, c.num_attention_heads, kvHeads(c), headDim(c), mask);
    });
  }

  /**
   * Logits [ids.length, vocab] for `ids` following the tokens already in
   * `cache` (batch 1), which it then holds too: generation runs each new token
   * once instead of re-running the whole context. Call inside tf.tidy.
   */
  forwardCached(ids: Int32Array, cache: KvCache, opts: ForwardOptions = {}): tf.Tensor2D {
    const c = this.config;
    const start = cache.length;
    const n = ids.length;
    const total = start + n;
    if (total > c.max_position_embeddings) throw new Error(`${total} tokens exceed the model's ${c.max_position_embeddings}-token window`);
    const full = this.tablesFor(c.max_position_embeddings);
    const at = (t: RopeTables): RopeTables => ({
      ...t,
      cos: tf.slice(t.cos, [start, 0], [n, -1]),
      sin: tf.slice(t.sin, [start, 0], [n, -1]),
    });
    const [rope, kvRope] = [at(full.rope), at(full.kvRope)];
    // One new token may look at everything before it; several are causal among themselves.
    const mask = n > 1 ? tf.slice(full.mask, [start, 0], [n, total]) : null;
    const logits = this.decoderStack(ids, opts.hook, (i, h) => {
      const q = applyRope(this.project(h, i, "q_proj", opts.hook), 1, n, rope);
      const k = cache.append("keys", i, applyRope(this.project(h, i, "k_proj", opts.hook), 1, n, kvRope));
      const v = cache.append("values", i, this.project(h, i, "v_proj", opts.hook));
      return attention(q, k, v, 1, n, c.num_attention_heads, kvHeads(c), headDim(c), mask, total);
    });
    cache.length = total;
    return logits;
  }

  /** Embedding, decoder layers (attention from `attend`, then the MLP), final norm and LM head. */
  private decoderStack(
    ids: Int32Array,
    hook: ProjectionHook | undefined,
    attend: (layer: number, h: tf.Tensor2D) => tf.Tensor2D,
  ): tf.Tensor2D {
    const c = this.config;
    let x = tf.gather(this.embed, tf.tensor1d(ids, "int32")) as tf.Tensor2D;
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const layer = this.layers[i];
      const att = attend(i, rmsNorm(x, layer.inputNorm, c.rms_norm_eps));
      x = tf.add<tf.Tensor2D>(x, this.project(att, i, "o_proj", hook));
      const hPost = rmsNorm(x, layer.postNorm, c.rms_norm_eps);
      const gated = tf.mul<tf.Tensor2D>(silu(this.project(hPost, i, "gate_proj", hook)), this.project(hPost, i, "up_proj", hook));
      x = tf.add<tf.Tensor2D>(x, this.project(gated, i, "down_proj", hook));
    }
    const hFinal = rmsNorm(x, this.norm, c.rms_norm_eps);
    return this.lmHead.w ? frozenMatmul(hFinal, this.lmHead.wT, this.lmHead.w) : matmul(hFinal, this.lmHead.wT);
  }

  dispose(): void {
    const all: tf.Tensor[] = [this.embed, this.norm, this.lmHead.wT];
    if (this.lmHead.w) all.push(this.lmHead.w);
    for (const l of this.layers) {
      all.push(l.inputNorm, l.postNorm);
      for (const p of PROJECTIONS) all.push(l.proj[p].wT, ...(l.proj[p].w ? [l.proj[p].w!] : []));
    }
    for (const t of this.tables.values()) all.push(t.rope.cos, t.rope.sin, t.kvRope.cos, t.kvRope.sin, t.mask);
    if (this.rotation) all.push(...Object.values(this.rotation.q), ...Object.values(this.rotation.kv));
    this.tables.clear();
    this.rotation = null;
    tf.dispose(all);
  }
}
