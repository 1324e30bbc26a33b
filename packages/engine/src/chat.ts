// The chat template: how conversations become token ids, and which of those
// ids the model is trained on (assistant content and its end marker only).
import type { BpeTokenizer, SpecialToken } from "./tokenizer";

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Chat {
  messages: ChatMessage[];
}

export interface TemplatedChat {
  ids: number[];
  /** 1 on tokens the loss is computed on (assistant content + <|end|>), else 0. */
  mask: number[];
}

const ROLE_TOKEN: Record<ChatRole, SpecialToken> = { system: "<|system|>", user: "<|user|>", assistant: "<|assistant|>" };

/**
 * <|bos|> then, per message, <|role|> content <|end|>. With addGenerationPrompt
 * a trailing <|assistant|> asks the model for the next reply. Content is
 * encoded with special strings disabled, so user text cannot forge turns.
 */
export function applyChatTemplate(tok: BpeTokenizer, chat: Chat, opts: { addGenerationPrompt?: boolean } = {}): TemplatedChat {
  const ids = [tok.special("<|bos|>")];
  const mask = [0];
  for (const m of chat.messages) {
    const role = ROLE_TOKEN[m.role];
    if (!role) throw new Error(`unknown chat role "${m.role}"`);
    const body = [...tok.encode(m.content, { allowSpecial: false }), tok.special("<|end|>")];
    const trained = m.role === "assistant" ? 1 : 0;
    ids.push(tok.special(role), ...body);
    mask.push(0, ...body.map(() => trained));
  }
  if (opts.addGenerationPrompt) {
    ids.push(tok.special("<|assistant|>"));
    mask.push(0);
  }
  return { ids, mask };
}
