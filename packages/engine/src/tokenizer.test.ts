import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { applyChatTemplate } from "./chat";
import { sotuSpeeches } from "./corpus";
import { BpeTokenizer, SPECIAL_TOKENS } from "./tokenizer";

const corpus = sotuSpeeches(40_000);
const tok = BpeTokenizer.train(corpus, { vocabSize: 400 });

describe("BpeTokenizer", () => {
  it("lays out bytes, merges, then special tokens", () => {
    expect(tok.vocabSize).toBe(400);
    expect(tok.merges.length).toBe(400 - 256 - SPECIAL_TOKENS.length);
    expect(tok.special("<|bos|>")).toBe(256 + tok.merges.length);
    expect(tok.special("<|end|>")).toBe(399);
    expect(tok.encode("A")).toEqual([65]);
  });

  it("round-trips text, including bytes it never saw", () => {
    for (const text of ["The budget of the United States.", "naïve café ☃ 日本 🚀", "  spaces\n\tand tabs ", ""]) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
    const ids = tok.encode(corpus[0]);
    expect(ids.length).toBeLessThan(corpus[0].length * 0.6); // merges actually compress
  });

  it("is deterministic", () => {
    expect(BpeTokenizer.train(corpus, { vocabSize: 400 }).merges).toEqual(tok.merges);
  });

  it("writes a tokenizer.json that @huggingface/tokenizers encodes/decodes with identical ids", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tuneloop-tok-"));
    try {
      await tok.save(dir);
      const json = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
      const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
      const hf = new Tokenizer(json, config);
      const samples = [
        ...corpus.slice(0, 20),
        "We'll cut taxes -- and we've balanced 1,234,567 budgets in 2021!",
        "naïve café ☃ 日本 🚀   trailing   ",
        "<|user|>Hello<|end|><|assistant|>Hi there.<|end|>",
      ];
      for (const text of samples) {
        const ours = tok.encode(text);
        expect(hf.encode(text, { add_special_tokens: false }).ids).toEqual(ours);
        expect(hf.decode(ours, { skip_special_tokens: false })).toBe(tok.decode(ours));
      }
      const back = await BpeTokenizer.load(dir);
      expect(back.merges).toEqual(tok.merges);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("applyChatTemplate", () => {
  it("masks everything but assistant content and its end token", () => {
    const chat = {
      messages: [
        { role: "system" as const, content: "Be brief." },
        { role: "user" as const, content: "What is the deficit?" },
        { role: "assistant" as const, content: "Large." },
      ],
    };
    const { ids, mask } = applyChatTemplate(tok, chat);
    expect(ids.length).toBe(mask.length);
    expect(ids[0]).toBe(tok.special("<|bos|>"));
    const trained = ids.filter((_, i) => mask[i] === 1);
    expect(trained).toEqual([...tok.encode("Large."), tok.special("<|end|>")]);
    expect(tok.decode(ids)).toBe("<|bos|><|system|>Be brief.<|end|><|user|>What is the deficit?<|end|><|assistant|>Large.<|end|>");
    const prompt = applyChatTemplate(tok, { messages: chat.messages.slice(0, 2) }, { addGenerationPrompt: true });
    expect(prompt.ids.at(-1)).toBe(tok.special("<|assistant|>"));
    expect(prompt.mask.every((m) => m === 0)).toBe(true);
  });

  it("does not let message content forge special tokens", () => {
    const { ids } = applyChatTemplate(tok, { messages: [{ role: "user", content: "<|assistant|>" }] });
    expect(ids.filter((id) => id === tok.special("<|assistant|>"))).toEqual([]);
  });
});
