import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyChatTemplate } from "./chat";
import { evaluateExamples, evaluatePerplexity, scoreMultipleChoice } from "./evaluate";
import { generateReply, sampleToken } from "./generate";
import type { LoraAdapter } from "./lora";
import { LlamaModel } from "./model";
import { Prng } from "./prng";
import { SYNTHETIC_TOPICS, syntheticChats, tinyBaseModel } from "./testing";
import { BpeTokenizer } from "./tokenizer";
import { trainLora } from "./train";

let model: LlamaModel;
let tok: BpeTokenizer;
let adapter: LoraAdapter;
const chats = syntheticChats(40, 3);

beforeAll(async () => {
  const dir = await tinyBaseModel();
  tok = await BpeTokenizer.load(dir);
  model = await LlamaModel.load(dir);
  const r = await trainLora({
    baseModelDir: dir,
    chats,
    hyperparameters: {
      rank: 8,
      alpha: 16,
      learningRate: 1e-2,
      epochs: 8,
      batchSize: 8,
      maxSeqLength: 48,
      targetModules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"],
      seed: 1,
    },
  });
  if (r.status !== "completed") throw new Error(r.status);
  adapter = r.adapter;
}, 60_000);
afterAll(() => {
  adapter?.dispose();
  model?.dispose();
});

describe("evaluate", () => {
  it("perplexity does not depend on batch size or padding", () => {
    const examples = chats.slice(0, 6).map((c) => applyChatTemplate(tok, c));
    const one = evaluateExamples(model, adapter, examples, { batchSize: 1 });
    const all = evaluateExamples(model, adapter, examples, { batchSize: 6 });
    expect(all.tokens).toBe(one.tokens);
    expect(all.loss).toBeCloseTo(one.loss, 5);
    expect(all.perplexity).toBeCloseTo(Math.exp(all.loss), 5);
  });

  it("the trained adapter lowers perplexity on held-out chats of the same task", () => {
    const heldOut = syntheticChats(12, 99);
    const before = evaluatePerplexity(model, tok, heldOut);
    const after = evaluatePerplexity(model, tok, heldOut, { adapter });
    expect(after.perplexity).toBeLessThan(before.perplexity * 0.8);
  });

  it("multiple choice picks the option with the highest mean log-probability", () => {
    const plain = scoreMultipleChoice(model, tok, "Tell me about the nation.", ["the United States of America", "xq zzv qqkj vvw"]);
    expect(plain.best).toBe(0);
    expect(plain.scores[0]).toBeGreaterThan(plain.scores[1]);
    const answers = SYNTHETIC_TOPICS.map(([, a]) => a);
    const tuned = scoreMultipleChoice(model, tok, "What about budget?", answers, { adapter });
    expect(tuned.scores).toHaveLength(4);
    expect(tuned.scores.every((s) => s < 0)).toBe(true);
  });
});

describe("generate", () => {
  const chat = { messages: [{ role: "user" as const, content: "Tell me about jobs?" }] };

  it("greedy decoding is deterministic and honours maxNewTokens", () => {
    const a = generateReply(model, tok, chat, { adapter, maxNewTokens: 12 });
    expect(generateReply(model, tok, chat, { adapter, maxNewTokens: 12 })).toEqual(a);
    expect(a.ids.length).toBeLessThanOrEqual(12);
    expect(a.finishReason === "stop" || a.ids.length === 12).toBe(true);
    expect(a.text).toBe(tok.decode(a.ids, { skipSpecial: true }));
    const short = generateReply(model, tok, chat, { maxNewTokens: 3, stopTokens: [] });
    expect(short).toMatchObject({ finishReason: "length" });
    expect(short.ids).toHaveLength(3);
  });

  it("sampling is reproducible for a seed and varies across seeds", () => {
    const opts = { temperature: 1.2, maxNewTokens: 10, stopTokens: [] };
    const a = generateReply(model, tok, chat, { ...opts, seed: 1 });
    expect(generateReply(model, tok, chat, { ...opts, seed: 1 }).ids).toEqual(a.ids);
    const others = [2, 3, 4].map((seed) => generateReply(model, tok, chat, { ...opts, seed }).ids.join());
    expect(others.some((o) => o !== a.ids.join())).toBe(true);
  });

  it("sampleToken follows the softmax and top-k", () => {
    const logits = Float32Array.from([0, Math.log(3), -Infinity, -50]);
    expect(sampleToken(logits, 0, 0, new Prng(1))).toBe(1);
    expect(sampleToken(logits, 1, 1, new Prng(1))).toBe(1);
    const rng = new Prng(5);
    let ones = 0;
    for (let i = 0; i < 4000; i++) ones += sampleToken(logits, 1, 0, rng) === 1 ? 1 : 0;
    expect(ones / 4000).toBeGreaterThan(0.72);
    expect(ones / 4000).toBeLessThan(0.78);
  });
});
