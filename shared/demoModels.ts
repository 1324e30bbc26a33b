// The recipes of the built-in demo base models (the trainer's pretrain.ts builds them): plain
// data shared by the trainer and the server, so that the server can name them without the engine.

export type ModelSize = "tiny" | "small";

export interface PretrainRecipe {
  name: string;
  config: {
    hidden_size: number;
    intermediate_size: number;
    num_hidden_layers: number;
    num_attention_heads: number;
    num_key_value_heads: number;
    vocab_size: number;
    max_position_embeddings: number;
    rms_norm_eps: number;
    rope_theta: number;
  };
  corpusBytes: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  seed: number;
}

export const MODEL_SIZES: Record<ModelSize, PretrainRecipe> = {
  // Builds in a few seconds: for tests.
  tiny: {
    name: "tuneloop-llama-tiny",
    config: {
      hidden_size: 64,
      intermediate_size: 172,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      vocab_size: 384,
      max_position_embeddings: 64,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
    },
    corpusBytes: 30_000,
    steps: 100,
    batchSize: 8,
    learningRate: 1e-2,
    warmupSteps: 10,
    weightDecay: 0.01,
    seed: 1,
  },
  // ~1.05M parameters; a few minutes on two cores.
  small: {
    name: "tuneloop-llama-1m",
    config: {
      hidden_size: 128,
      intermediate_size: 344,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      vocab_size: 1024,
      max_position_embeddings: 128,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
    },
    corpusBytes: 400_000,
    steps: 320,
    batchSize: 8,
    learningRate: 2e-3,
    warmupSteps: 20,
    weightDecay: 0.01,
    seed: 1,
  },
};

/** Weights of a recipe's model: embedding, untied output head, per layer attention, MLP and two norms, final norm. */
export function parameterCount({ config: c }: PretrainRecipe): number {
  const layer = 4 * c.hidden_size * c.hidden_size + 3 * c.hidden_size * c.intermediate_size + 2 * c.hidden_size;
  return 2 * c.vocab_size * c.hidden_size + c.num_hidden_layers * layer + c.hidden_size;
}
