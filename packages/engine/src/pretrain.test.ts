import { readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { evaluateExamples } from "./evaluate";
import { LlamaModel } from "./model";
import { ensureBaseModel, MODEL_SIZES, pretrainBaseModel, type PretrainProgress, type PretrainRecipe } from "./pretrain";
import { parameterCount } from "../../../shared/demoModels";
import { readSafetensors } from "./safetensors";
import { tinyBaseModel } from "./testing";
import { BpeTokenizer } from "./tokenizer";

const micro: PretrainRecipe = {
  ...MODEL_SIZES.tiny,
  name: "micro",
  corpusBytes: 6_000,
  steps: 4,
  batchSize: 2,
  config: { ...MODEL_SIZES.tiny.config, vocab_size: 300, hidden_size: 32, intermediate_size: 64, max_position_embeddings: 32 },
};
const dirs = [1, 2, 3].map((i) => join(tmpdir(), `tuneloop-pretrain-${process.pid}-${i}`));
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("pretraining", () => {
  it("is reproducible: the same recipe gives byte-identical weights and tokenizer", async () => {
    const progress: PretrainProgress[] = [];
    await pretrainBaseModel(micro, dirs[0], (p) => progress.push(p));
    await pretrainBaseModel(micro, dirs[1]);
    // Announced before the first step; the time left once the pace is known, down to none.
    expect(progress.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    expect(progress[0]).toMatchObject({ loss: null, secondsLeft: null });
    expect(progress.slice(1, 3).every((p) => p.secondsLeft === null && p.loss !== null)).toBe(true);
    expect(progress.at(-1)!.secondsLeft).toBe(0);
    for (const f of ["model.safetensors", "tokenizer.json", "config.json"]) {
      expect((await readFile(join(dirs[0], f))).equals(await readFile(join(dirs[1], f)))).toBe(true);
    }
  });

  it("ensureBaseModel caches by recipe hash and rebuilds when the recipe changes", async () => {
    const dir = dirs[2];
    await ensureBaseModel(dir, { recipe: micro });
    const first = (await stat(join(dir, "model.safetensors"))).mtimeMs;
    await ensureBaseModel(dir, { recipe: micro });
    expect((await stat(join(dir, "model.safetensors"))).mtimeMs).toBe(first);
    await ensureBaseModel(dir, { recipe: { ...micro, steps: 5 } });
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    expect(cfg.tuneloop_pretraining.steps).toBe(5);
  });

  it("the tiny base model is a loadable HF-style Llama that beats a uniform guess", async () => {
    const dir = await tinyBaseModel();
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    expect(cfg).toMatchObject({
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      hidden_size: 64,
      num_hidden_layers: 2,
      tie_word_embeddings: false,
    });
    const tok = await BpeTokenizer.load(dir);
    expect(tok.vocabSize).toBe(cfg.vocab_size);
    expect(cfg.eos_token_id).toBe(tok.special("<|eos|>"));
    // The count the server quotes for a demo model is the weights' own.
    const { tensors } = await readSafetensors(join(dir, "model.safetensors"));
    expect(Object.values(tensors).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(parameterCount(MODEL_SIZES.tiny));
    const model = await LlamaModel.load(dir);
    const ids = [
      tok.special("<|bos|>"),
      ...tok.encode("The state of our Union is strong, and the budget of the Government must be balanced."),
    ];
    const { loss } = evaluateExamples(model, null, [{ ids, mask: ids.map((_, i) => (i === 0 ? 0 : 1)) }]);
    expect(loss).toBeLessThan(Math.log(cfg.vocab_size) - 1);
    model.dispose();
  });
});
