// Text generation for a chat prompt: greedy or seeded temperature / top-k
// sampling, stopping at <|end|> or <|eos|>. A KV cache runs each token through
// the model once, until the context outgrows the model's window.
import { tf } from "./backend";
import { applyChatTemplate, type Chat } from "./chat";
import type { LoraAdapter } from "./lora";
import { KvCache, type LlamaModel } from "./model";
import { Prng } from "./prng";
import type { BpeTokenizer } from "./tokenizer";

export interface GenerateOptions {
  maxNewTokens?: number;
  /** 0 (default) is greedy decoding. */
  temperature?: number;
  /** Sample only among the k most likely tokens (0 = all). */
  topK?: number;
  seed?: number;
  adapter?: LoraAdapter | null;
  /** Ids that end generation; defaults to <|end|> and <|eos|>. */
  stopTokens?: number[];
}

export interface GenerateResult {
  text: string;
  ids: number[];
  finishReason: "stop" | "length";
}

/** Pick the next token from last-position logits. */
export function sampleToken(logits: Float32Array, temperature: number, topK: number, rng: Prng): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (!(temperature > 0)) return best;
  let candidates = Array.from(logits.keys());
  if (topK > 0 && topK < logits.length) candidates = candidates.sort((a, b) => logits[b] - logits[a]).slice(0, topK);
  const weights = candidates.map((i) => Math.exp((logits[i] - logits[best]) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < candidates.length; i++) {
    u -= weights[i];
    if (u <= 0) return candidates[i];
  }
  return candidates[candidates.length - 1];
}

/**
 * Continue a token sequence one token at a time (a generator, so that a server
 * can stream tokens and interleave requests); returns why it stopped.
 * Contexts longer than the model's window keep their most recent tokens.
 */
export function* streamIds(
  model: LlamaModel,
  prompt: number[],
  eosIds: number[],
  opts: GenerateOptions = {},
): Generator<number, "stop" | "length"> {
  const maxNew = opts.maxNewTokens ?? 64;
  const window = model.config.max_position_embeddings;
  const rng = new Prng(opts.seed ?? 0);
  const adapter = opts.adapter ?? null;
  const savedSeed = adapter?.dropoutSeed ?? null;
  if (adapter) adapter.dropoutSeed = null;
  const out: number[] = [];
  const cache = new KvCache();
  try {
    // Tokens the cache has not seen yet: the prompt, then each new token.
    let pending = prompt.slice(-window);
    for (let i = 0; i < maxNew; i++) {
      if (cache.length + pending.length > window) {
        // Past the window the most recent tokens sit at new positions: start over from them.
        cache.dispose();
        pending = [...prompt, ...out].slice(-window);
      }
      const logits = tf.tidy(() => {
        const all = model.forwardCached(Int32Array.from(pending), cache, { hook: adapter ?? undefined });
        return tf.slice(all, [pending.length - 1, 0], [1, -1]).dataSync() as Float32Array;
      });
      const next = sampleToken(logits, opts.temperature ?? 0, opts.topK ?? 0, rng);
      if (eosIds.includes(next)) return "stop";
      out.push(next);
      yield next;
      pending = [next];
    }
    return "length";
  } finally {
    cache.dispose();
    if (adapter) adapter.dropoutSeed = savedSeed;
  }
}

/** Continue a token sequence to the end. */
export function generateIds(
  model: LlamaModel,
  prompt: number[],
  eosIds: number[],
  opts: GenerateOptions = {},
): { ids: number[]; finishReason: "stop" | "length" } {
  const ids: number[] = [];
  const tokens = streamIds(model, prompt, eosIds, opts);
  for (;;) {
    const next = tokens.next();
    if (next.done) return { ids, finishReason: next.value };
    ids.push(next.value);
  }
}

/** The assistant's reply to a chat (its last message should be from the user). */
export function generateReply(model: LlamaModel, tok: BpeTokenizer, chat: Chat, opts: GenerateOptions = {}): GenerateResult {
  const prompt = applyChatTemplate(tok, chat, { addGenerationPrompt: true }).ids;
  const stops = opts.stopTokens ?? [tok.special("<|end|>"), tok.special("<|eos|>")];
  const { ids, finishReason } = generateIds(model, prompt, stops, opts);
  return { text: tok.decode(ids, { skipSpecial: true }), ids, finishReason };
}
