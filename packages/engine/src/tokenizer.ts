// Byte-level BPE (GPT-2 style): ids 0-255 are raw bytes, then one id per
// learned merge, then special tokens. Written as a Hugging Face tokenizer.json
// (ByteLevel pre-tokenizer/decoder, BPE model) that transformers and
// @huggingface/tokenizers load with the same ids.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const SPECIAL_TOKENS = ["<|bos|>", "<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

/** GPT-2's split pattern, identical to the ByteLevel pre-tokenizer's (use_regex: true). */
const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte -> printable unicode map used by ByteLevel in tokenizer.json. */
const BYTE_TO_CHAR: string[] = (() => {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(keep.includes(b) ? b : 256 + extra++);
  return out;
})();

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export interface TrainTokenizerOptions {
  /** Total vocabulary including the 256 bytes and the special tokens. */
  vocabSize: number;
}

export class BpeTokenizer {
  /** For each merge id (256 + i): the pair it merges. */
  private readonly ranks = new Map<number, number>();
  private readonly bytesOf: Uint8Array[] = [];
  private readonly specialIds = new Map<string, number>();
  private readonly specialPattern: RegExp;
  private readonly cache = new Map<string, number[]>();

  constructor(readonly merges: ReadonlyArray<readonly [number, number]>) {
    for (let b = 0; b < 256; b++) this.bytesOf.push(Uint8Array.of(b));
    merges.forEach(([a, b], i) => {
      this.ranks.set(a * 65536 + b, i);
      const joined = new Uint8Array(this.bytesOf[a].length + this.bytesOf[b].length);
      joined.set(this.bytesOf[a]);
      joined.set(this.bytesOf[b], this.bytesOf[a].length);
      this.bytesOf.push(joined);
    });
    SPECIAL_TOKENS.forEach((s, i) => this.specialIds.set(s, 256 + merges.length + i));
    this.specialPattern = new RegExp(`(${SPECIAL_TOKENS.map((s) => s.replace(/[|]/g, "\\|")).join("|")})`);
  }

  get vocabSize(): number {
    return 256 + this.merges.length + SPECIAL_TOKENS.length;
  }

  special(token: SpecialToken): number {
    return this.specialIds.get(token)!;
  }

  /**
   * Learn merges from text: count pre-tokenized words, then repeatedly merge
   * the most frequent adjacent pair (ties: smallest pair ids, so it is deterministic).
   * Only words containing the merged pair are revisited each round.
   */
  static train(texts: string | string[], opts: TrainTokenizerOptions): BpeTokenizer {
    const target = opts.vocabSize - 256 - SPECIAL_TOKENS.length;
    if (target < 0) throw new Error(`vocabSize must be at least ${256 + SPECIAL_TOKENS.length}`);
    const counts = new Map<string, number>();
    for (const text of Array.isArray(texts) ? texts : [texts]) {
      for (const m of text.match(PRETOKENIZE) ?? []) counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    const words = [...counts.entries()].map(([w, count]) => ({ syms: Array.from(encoder.encode(w)), count }));
    const pairCount = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    const addPairs = (wi: number, sign: 1 | -1) => {
      const { syms, count } = words[wi];
      for (let i = 0; i + 1 < syms.length; i++) {
        const key = syms[i] * 65536 + syms[i + 1];
        const next = (pairCount.get(key) ?? 0) + sign * count;
        // Drop exhausted pairs so the max-scan stays proportional to live pairs.
        if (next === 0) pairCount.delete(key);
        else pairCount.set(key, next);
        if (sign > 0) {
          let s = where.get(key);
          if (!s) where.set(key, (s = new Set()));
          s.add(wi);
        }
      }
    };
    words.forEach((_, wi) => addPairs(wi, 1));
    const merges: Array<[number, number]> = [];
    while (merges.length < target) {
      let best = -1;
      let bestCount = 0;
      for (const [key, c] of pairCount) {
        if (c > bestCount || (c === bestCount && c > 0 && key < best)) {
          best = key;
          bestCount = c;
        }
      }
      if (bestCount < 1) break; // corpus exhausted: a smaller vocabulary
      const a = Math.floor(best / 65536);
      const b = best % 65536;
      const id = 256 + merges.length;
      merges.push([a, b]);
      for (const wi of where.get(best) ?? []) {
        addPairs(wi, -1);
        const syms = words[wi].syms;
        const out: number[] = [];
        for (let i = 0; i < syms.length; i++) {
          if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
            out.push(id);
            i++;
          } else out.push(syms[i]);
        }
        words[wi].syms = out;
        addPairs(wi, 1);
      }
      where.delete(best);
      pairCount.delete(best);
    }
    return new BpeTokenizer(merges);
  }

  /** BPE on one pre-token: repeatedly merge the lowest-rank adjacent pair. */
  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    let syms = Array.from(encoder.encode(word));
    for (;;) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.ranks.get(syms[i] * 65536 + syms[i + 1]);
        if (r !== undefined && r < bestRank) bestRank = r;
      }
      if (bestRank === Infinity) break;
      const [a, b] = this.merges[bestRank];
      const out: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(256 + bestRank);
          i++;
        } else out.push(syms[i]);
      }
      syms = out;
    }
    if (this.cache.size < 50_000) this.cache.set(word, syms);
    return syms;
  }

  /** Encode text; special-token strings in it become their ids unless allowSpecial is false. */
  encode(text: string, opts: { allowSpecial?: boolean } = {}): number[] {
    const parts = opts.allowSpecial === false ? [text] : text.split(this.specialPattern);
    const ids: number[] = [];
    for (const part of parts) {
      const sid = opts.allowSpecial === false ? undefined : this.specialIds.get(part);
      if (sid !== undefined) ids.push(sid);
      else for (const m of part.match(PRETOKENIZE) ?? []) ids.push(...this.encodeWord(m));
    }
    return ids;
  }

  decode(ids: number[], opts: { skipSpecial?: boolean } = {}): string {
    let out = "";
    let pending: number[] = [];
    const flush = () => {
      out += decoder.decode(Uint8Array.from(pending));
      pending = [];
    };
    for (const id of ids) {
      if (id < this.bytesOf.length) pending.push(...this.bytesOf[id]);
      else {
        flush();
        if (!opts.skipSpecial && id < this.vocabSize) out += SPECIAL_TOKENS[id - this.bytesOf.length];
      }
    }
    flush();
    return out;
  }

  private tokenString(id: number): string {
    return Array.from(this.bytesOf[id], (b) => BYTE_TO_CHAR[b]).join("");
  }

  /** The Hugging Face tokenizer.json document. */
  toJSON(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    for (let id = 0; id < this.bytesOf.length; id++) vocab[this.tokenString(id)] = id;
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: SPECIAL_TOKENS.map((content) => ({
        id: this.special(content),
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        // "a b" strings: readable by every tokenizers release (pair arrays need >= 0.20).
        // Byte-level tokens never contain a space (it is mapped to "Ġ").
        merges: this.merges.map(([a, b]) => `${this.tokenString(a)} ${this.tokenString(b)}`),
      },
    };
  }

  /** Load from a tokenizer.json written by toJSON (merge ids are recovered from the vocab). */
  static fromJSON(json: unknown): BpeTokenizer {
    const model = (json as { model?: { type?: string; vocab?: Record<string, number>; merges?: unknown[] } }).model;
    if (model?.type !== "BPE" || !model.vocab || !model.merges) throw new Error("tokenizer.json: expected a BPE model");
    const vocab = model.vocab;
    const merges = model.merges.map((m, i) => {
      const [a, b] = Array.isArray(m) ? (m as string[]) : String(m).split(" ");
      const ia = vocab[a];
      const ib = vocab[b];
      if (ia === undefined || ib === undefined || vocab[a + b] !== 256 + i) {
        throw new Error(`tokenizer.json: merge ${i} is not a byte-level merge this engine wrote`);
      }
      return [ia, ib] as const;
    });
    return new BpeTokenizer(merges);
  }

  /** Chat template in transformers' Jinja dialect, equivalent to applyChatTemplate. */
  static readonly CHAT_TEMPLATE =
    "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "tokenizer.json"), `${JSON.stringify(this.toJSON())}\n`);
    const config = {
      tokenizer_class: "PreTrainedTokenizerFast",
      bos_token: "<|bos|>",
      eos_token: "<|eos|>",
      pad_token: "<|pad|>",
      unk_token: null,
      additional_special_tokens: ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"],
      model_max_length: 1_000_000,
      clean_up_tokenization_spaces: false,
      add_bos_token: false,
      chat_template: BpeTokenizer.CHAT_TEMPLATE,
    };
    await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(config, null, 2)}\n`);
  }

  static async load(dir: string): Promise<BpeTokenizer> {
    return BpeTokenizer.fromJSON(JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8")));
  }
}
