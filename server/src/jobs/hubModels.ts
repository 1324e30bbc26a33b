// A Hugging Face model the server does not know: it may not download the
// model's config.json (the API server never fetches models), so all it has is
// the hub id and a parameter count, given or read from the name ("-7B").
// From the count it sizes a Llama-style shape for the GPU memory model.
import type { ModelShape } from "../../../shared/memoryModel.js";
import { AppError } from "../errors.js";

/** Hugging Face's rules for each part of `owner/name`: letters, digits, "-", "_", "."; no "--" or ".."; no "-" or "." at either end. */
const HUB_ID_PART = /^(?!.*(--|\.\.))[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
export const HUB_ID_PART_MAX = 96;

export function isHubId(id: string): boolean {
  const parts = id.split("/");
  return parts.length === 2 && parts.every((part) => part.length <= HUB_ID_PART_MAX && HUB_ID_PART.test(part));
}

export function checkHubId(id: string) {
  if (!isHubId(id)) {
    throw new AppError(
      "VALIDATION",
      `"${id}" is not a built-in model or a Hugging Face model id: use owner/name, each part at most ${HUB_ID_PART_MAX} letters, digits, "-", "_" or "." (e.g. mistralai/Mistral-7B-v0.1)`,
      "config.baseModel",
    );
  }
}

/** A size in the model's name, as "-7B", "_8b", "-1.5B" or "-135M" (a separate word of the name); null when there is none. */
export function parametersInName(id: string): number | null {
  const match = /(?:^|[-_.])(\d+(?:\.\d+)?)([bBmM])(?=$|[-_.])/.exec(id.split("/")[1] ?? id);
  if (!match) return null;
  return Number(match[1]) * (match[2].toLowerCase() === "b" ? 1e9 : 1e6);
}

// Proportions of the Llama family: MLP 3.5× the hidden size, a key/value head per four query
// heads, about 128 hidden units per layer, Llama 3's vocabulary (large, so the logits are not under-counted).
const VOCAB = 128256;
const PER_LAYER = 13; // × hidden²: attention 2h² + 2h·(h/4), MLP 3h·3.5h
const HIDDEN_PER_LAYER = 128;
const HEAD_SIZE = 64;

/** A Llama-style shape of about `parameters` weights (Llama 3.1 8B's own shape for 8.03e9). */
export function llamaShapeOf(parameters: number): ModelShape {
  const total = (hidden: number) => 2 * VOCAB * hidden + (PER_LAYER * hidden ** 3) / HIDDEN_PER_LAYER;
  let hidden = 4 * HEAD_SIZE;
  while (total(hidden + HIDDEN_PER_LAYER) <= parameters) hidden += HIDDEN_PER_LAYER;
  const layers = Math.max(1, Math.round((parameters - 2 * VOCAB * hidden) / (PER_LAYER * hidden ** 2)));
  const heads = hidden / HEAD_SIZE;
  return {
    hidden_size: hidden,
    intermediate_size: hidden * 3.5,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: heads / 4,
    vocab_size: VOCAB,
  };
}
