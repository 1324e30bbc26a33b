// LoRA (Hu et al. 2021) as PEFT implements it: y = W x + (alpha/r) * B A dropout(x),
// A [r, in] kaiming-uniform, B [out, r] zeros, base frozen. Saved in PEFT's
// layout so `PeftModel.from_pretrained` loads our adapters and we load theirs.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { initBackend, tf } from "./backend";
import { headDim, kvHeads, type LlamaConfig } from "./config";
import { PROJECTIONS, projectionPath, type Projection, type ProjectionHook } from "./model";
import { matmul } from "./ops";
import { deriveSeed, Prng } from "./prng";
import { f32, readSafetensors, writeSafetensors, type TensorMap } from "./safetensors";

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: Projection[];
  baseModelNameOrPath: string;
}

export const DEFAULT_TARGET_MODULES: Projection[] = ["q_proj", "v_proj"];

const adapterConfigSchema = z
  .object({
    peft_type: z.literal("LORA"),
    r: z.number().int().positive(),
    lora_alpha: z.number().positive(),
    lora_dropout: z.number().min(0).max(1).default(0),
    target_modules: z.array(z.enum(PROJECTIONS)),
    base_model_name_or_path: z.string().nullable().default(""),
    bias: z.literal("none").default("none"),
    fan_in_fan_out: z.literal(false).default(false),
    use_rslora: z.literal(false).default(false),
  })
  .passthrough();

/** [out, in] of a projection under a model config. */
export function projectionShape(cfg: LlamaConfig, p: Projection): [number, number] {
  const h = cfg.hidden_size;
  const kv = kvHeads(cfg) * headDim(cfg);
  const im = cfg.intermediate_size;
  const shapes: Record<Projection, [number, number]> = {
    q_proj: [h, h],
    k_proj: [kv, h],
    v_proj: [kv, h],
    o_proj: [h, h],
    gate_proj: [im, h],
    up_proj: [im, h],
    down_proj: [h, im],
  };
  return shapes[p];
}

interface Factors {
  /** A transposed: [in, r]. */
  aT: tf.Variable;
  /** B transposed: [r, out]. */
  bT: tf.Variable;
}

export class LoraAdapter implements ProjectionHook {
  /** Set per training step to draw fresh, reproducible dropout masks; null disables dropout (eval). */
  dropoutSeed: number | null = null;

  private constructor(
    readonly config: LoraConfig,
    readonly modelConfig: LlamaConfig,
    private readonly factors: Map<string, Factors>,
  ) {}

  get scaling(): number {
    return this.config.alpha / this.config.r;
  }

  /** Fresh adapter: A ~ U(-1/sqrt(in), 1/sqrt(in)) (PEFT's kaiming_uniform(a=sqrt(5))), B = 0. */
  static create(modelConfig: LlamaConfig, config: LoraConfig, seed: number): LoraAdapter {
    const rng = new Prng(deriveSeed(seed, 0x10a));
    const tensors: TensorMap = {};
    for (let layer = 0; layer < modelConfig.num_hidden_layers; layer++) {
      for (const p of config.targetModules) {
        const [out, inp] = projectionShape(modelConfig, p);
        const bound = 1 / Math.sqrt(inp);
        const a = new Float32Array(config.r * inp);
        for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * bound;
        tensors[peftKey(layer, p, "A")] = f32([config.r, inp], a);
        tensors[peftKey(layer, p, "B")] = f32([out, config.r], new Float32Array(out * config.r));
      }
    }
    return LoraAdapter.fromPeftTensors(modelConfig, config, tensors);
  }

  static fromPeftTensors(modelConfig: LlamaConfig, config: LoraConfig, tensors: TensorMap): LoraAdapter {
    const factors = new Map<string, Factors>();
    for (let layer = 0; layer < modelConfig.num_hidden_layers; layer++) {
      for (const p of config.targetModules) {
        const [out, inp] = projectionShape(modelConfig, p);
        const a = tensors[peftKey(layer, p, "A")];
        const b = tensors[peftKey(layer, p, "B")];
        if (!a || !b) throw new Error(`adapter lacks LoRA weights for layer ${layer} ${p}`);
        if (a.shape.join() !== [config.r, inp].join() || b.shape.join() !== [out, config.r].join()) {
          throw new Error(
            `adapter weights for layer ${layer} ${p} have shapes [${a.shape}] / [${b.shape}], expected [${config.r},${inp}] / [${out},${config.r}]`,
          );
        }
        factors.set(
          `${layer}.${p}`,
          tf.tidy(() => ({
            aT: tf.variable(tf.transpose(tf.tensor2d(a.data as Float32Array, [config.r, inp]))),
            bT: tf.variable(tf.transpose(tf.tensor2d(b.data as Float32Array, [out, config.r]))),
          })),
        );
      }
    }
    return new LoraAdapter(config, modelConfig, factors);
  }

  /** Named trainable variables in a stable order (optimizer state is keyed by these names). */
  namedVariables(): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [key, f] of this.factors) out.push([`${key}.lora_A`, f.aT], [`${key}.lora_B`, f.bT]);
    return out;
  }

  delta(layer: number, p: Projection, x: tf.Tensor2D): tf.Tensor2D | null {
    const f = this.factors.get(`${layer}.${p}`);
    if (!f) return null;
    let input: tf.Tensor2D = x;
    if (this.dropoutSeed !== null && this.config.dropout > 0) {
      input = tf.mul<tf.Tensor2D>(
        x,
        dropoutMask(x.shape, this.config.dropout, deriveSeed(this.dropoutSeed, layer, PROJECTIONS.indexOf(p))),
      );
    }
    return tf.mul<tf.Tensor2D>(matmul(matmul(input, f.aT), f.bT), this.scaling);
  }

  /** PEFT tensor names and layouts (A [r,in], B [out,r]). */
  toPeftTensors(): TensorMap {
    const out: TensorMap = {};
    for (const [key, f] of this.factors) {
      const [layer, p] = key.split(".") as [string, Projection];
      const a = tf.transpose(f.aT);
      const b = tf.transpose(f.bT);
      out[peftKey(Number(layer), p, "A")] = f32(a.shape, a.dataSync() as Float32Array);
      out[peftKey(Number(layer), p, "B")] = f32(b.shape, b.dataSync() as Float32Array);
      tf.dispose([a, b]);
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "adapter_config.json"), `${JSON.stringify(peftAdapterConfig(this.config), null, 2)}\n`);
    await writeSafetensors(join(dir, "adapter_model.safetensors"), this.toPeftTensors(), { format: "pt" });
  }

  static async load(dir: string, modelConfig: LlamaConfig): Promise<LoraAdapter> {
    await initBackend();
    const raw = adapterConfigSchema.parse(JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8")));
    const { tensors } = await readSafetensors(join(dir, "adapter_model.safetensors"));
    const config: LoraConfig = {
      r: raw.r,
      alpha: raw.lora_alpha,
      dropout: raw.lora_dropout,
      targetModules: raw.target_modules,
      baseModelNameOrPath: raw.base_model_name_or_path ?? "",
    };
    return LoraAdapter.fromPeftTensors(modelConfig, config, tensors);
  }

  dispose(): void {
    for (const f of this.factors.values()) tf.dispose([f.aT, f.bT]);
    this.factors.clear();
  }
}

/** adapter_config.json as PEFT writes it for a LoRA causal-LM adapter. */
export function peftAdapterConfig(config: LoraConfig): Record<string, unknown> {
  return {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    r: config.r,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    target_modules: config.targetModules,
    base_model_name_or_path: config.baseModelNameOrPath,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    use_rslora: false,
    use_dora: false,
  };
}

export function peftKey(layer: number, p: Projection, factor: "A" | "B"): string {
  return `base_model.model.${projectionPath(layer, p)}.lora_${factor}.weight`;
}

/** Inverted-dropout mask (0 or 1/(1-rate)) from our PRNG, so runs and resumes draw identical masks. */
function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor2D {
  const rng = new Prng(seed);
  const keep = 1 / (1 - rate);
  const m = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < rate ? 0 : keep;
  return tf.tensor2d(m, [shape[0], shape[1]]);
}
