// The model configuration, in Hugging Face `config.json` form so the same file
// loads in transformers (LlamaForCausalLM) and here.
import { z } from "zod";

export const llamaConfigSchema = z
  .object({
    architectures: z.array(z.string()).default(["LlamaForCausalLM"]),
    model_type: z.literal("llama").default("llama"),
    hidden_size: z.number().int().positive(),
    intermediate_size: z.number().int().positive(),
    num_hidden_layers: z.number().int().positive(),
    num_attention_heads: z.number().int().positive(),
    num_key_value_heads: z.number().int().positive().optional(),
    vocab_size: z.number().int().positive(),
    max_position_embeddings: z.number().int().positive(),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    tie_word_embeddings: z.literal(false).default(false),
    hidden_act: z.literal("silu").default("silu"),
    attention_bias: z.literal(false).default(false),
    mlp_bias: z.literal(false).default(false),
    bos_token_id: z.number().int().nullable().optional(),
    eos_token_id: z.number().int().nullable().optional(),
    pad_token_id: z.number().int().nullable().optional(),
    initializer_range: z.number().default(0.02),
    torch_dtype: z.string().default("float32"),
  })
  .passthrough();

export type LlamaConfig = z.infer<typeof llamaConfigSchema>;

/** Parse and fill defaults; throws a zod error naming the bad field. */
export function parseLlamaConfig(json: unknown): LlamaConfig {
  const cfg = llamaConfigSchema.parse(json);
  const kv = cfg.num_key_value_heads ?? cfg.num_attention_heads;
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) throw new Error("hidden_size must be divisible by num_attention_heads");
  if (cfg.num_attention_heads % kv !== 0) throw new Error("num_attention_heads must be divisible by num_key_value_heads");
  if ((cfg.hidden_size / cfg.num_attention_heads) % 2 !== 0) throw new Error("head dimension must be even for rotary embeddings");
  return { ...cfg, num_key_value_heads: kv };
}

export function headDim(cfg: LlamaConfig): number {
  return cfg.hidden_size / cfg.num_attention_heads;
}

export function kvHeads(cfg: LlamaConfig): number {
  return cfg.num_key_value_heads ?? cfg.num_attention_heads;
}

/** Parameter count (untied embeddings and lm_head, no biases). */
export function countParameters(cfg: LlamaConfig): number {
  const h = cfg.hidden_size;
  const kv = kvHeads(cfg) * headDim(cfg);
  const perLayer = 2 * h * h + 2 * h * kv + 3 * h * cfg.intermediate_size + 2 * h;
  return 2 * cfg.vocab_size * h + cfg.num_hidden_layers * perLayer + h;
}
