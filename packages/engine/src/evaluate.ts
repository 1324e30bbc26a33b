// Measuring a model (optionally with a LoRA adapter) on chats: mean NLL and
// perplexity over assistant tokens, and multiple-choice scoring by the
// log-likelihood of each option.
import { tf } from "./backend";
import { makeBatch, tokenNll, type Example } from "./batch";
import { applyChatTemplate, type Chat } from "./chat";
import type { LoraAdapter } from "./lora";
import type { LlamaModel } from "./model";
import type { BpeTokenizer } from "./tokenizer";

export interface LossResult {
  /** Mean negative log-likelihood per loss token (nats). */
  loss: number;
  perplexity: number;
  /** Number of tokens that carried loss. */
  tokens: number;
}

/**
 * Token-weighted mean NLL over all masked tokens (not a mean of batch means),
 * so the result does not depend on batch size. Dropout is off.
 */
export function evaluateExamples(
  model: LlamaModel,
  adapter: LoraAdapter | null,
  examples: Example[],
  opts: { batchSize?: number; maxSeqLength?: number } = {},
): LossResult {
  const batchSize = opts.batchSize ?? 8;
  const maxSeq = opts.maxSeqLength ?? model.config.max_position_embeddings;
  const pad = model.config.pad_token_id ?? 0;
  const savedSeed = adapter?.dropoutSeed ?? null;
  if (adapter) adapter.dropoutSeed = null;
  let total = 0;
  let tokens = 0;
  try {
    for (let i = 0; i < examples.length; i += batchSize) {
      const b = makeBatch(examples.slice(i, i + batchSize), maxSeq, pad);
      if (b.lossTokens === 0) continue;
      total += tf.tidy(() => {
        const nll = tokenNll(model.forward(b.inputIds, b.batch, b.seqLen, { hook: adapter ?? undefined }), b.targets);
        return tf.sum(tf.mul(nll, tf.tensor1d(b.lossMask))).dataSync()[0];
      });
      tokens += b.lossTokens;
    }
  } finally {
    if (adapter) adapter.dropoutSeed = savedSeed;
  }
  const loss = tokens > 0 ? total / tokens : NaN;
  return { loss, perplexity: Math.exp(loss), tokens };
}

/** Perplexity on the assistant tokens of chats. */
export function evaluatePerplexity(
  model: LlamaModel,
  tok: BpeTokenizer,
  chats: Chat[],
  opts: { adapter?: LoraAdapter | null; batchSize?: number; maxSeqLength?: number } = {},
): LossResult {
  const examples = chats.map((c) => applyChatTemplate(tok, c));
  return evaluateExamples(model, opts.adapter ?? null, examples, opts);
}

export interface MultipleChoiceResult {
  /** Index of the option with the highest mean log-probability. */
  best: number;
  /** Mean log-probability per token of each option. */
  scores: number[];
}

/**
 * Score each option as the assistant's reply to `question` (chat template,
 * option tokens plus <|end|>) and pick the highest mean log-probability,
 * which does not favour short options the way a summed log-prob would.
 */
export function scoreMultipleChoice(
  model: LlamaModel,
  tok: BpeTokenizer,
  question: string | Chat,
  options: string[],
  opts: { adapter?: LoraAdapter | null; system?: string } = {},
): MultipleChoiceResult {
  const prefix: Chat =
    typeof question === "string"
      ? { messages: [...(opts.system ? [{ role: "system" as const, content: opts.system }] : []), { role: "user", content: question }] }
      : question;
  const scores = options.map((option) => {
    const ex = applyChatTemplate(tok, { messages: [...prefix.messages, { role: "assistant", content: option }] });
    const { loss } = evaluateExamples(model, opts.adapter ?? null, [ex], { batchSize: 1, maxSeqLength: ex.ids.length });
    return -loss;
  });
  let best = 0;
  scores.forEach((s, i) => {
    if (s > scores[best]) best = i;
  });
  return { best, scores };
}
