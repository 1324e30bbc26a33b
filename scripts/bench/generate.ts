// Text generation in the engine (what validation and the model endpoint run):
// greedy decoding with the KV cache, beside the baseline measured in the same
// run, re-running the whole context for every token (the engine before the
// cache). Both must produce the same tokens. Median of 5 runs each.
// Usage: npx tsx scripts/bench/generate.ts
import { initBackend, tf, generateIds, LlamaModel, defaultBaseModelDir, ensureBaseModel } from "@tuneloop/engine";

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await initBackend();
for (const size of ["tiny", "small"] as const) {
  const model = await LlamaModel.load(await ensureBaseModel(defaultBaseModelDir(size), { size }));
  const window = model.config.max_position_embeddings;
  // Half the window of prompt, then fill the rest: the longest run the cache serves alone.
  const prompt = Array.from({ length: window / 2 }, (_, i) => ((i * 7) % 100) + 5);
  const maxNewTokens = window / 2;
  const fullContext = () => {
    const out: number[] = [];
    for (let i = 0; i < maxNewTokens; i++) {
      const context = [...prompt, ...out].slice(-window);
      const logits = tf.tidy(
        () =>
          tf.slice(model.forward(Int32Array.from(context), 1, context.length), [context.length - 1, 0], [1, -1]).dataSync() as Float32Array,
      );
      out.push(logits.indexOf(Math.max(...logits)));
    }
    return out;
  };
  const cached = () => generateIds(model, prompt, [], { maxNewTokens }).ids;
  if (cached().join() !== fullContext().join()) throw new Error("the KV cache changed the generated tokens");
  const time = (run: () => number[]) =>
    median(
      Array.from({ length: RUNS }, () => {
        const start = performance.now();
        run();
        return performance.now() - start;
      }),
    );
  const [ms, baseline] = [time(cached), time(fullContext)];
  console.log(
    `${size.padEnd(5)} ${maxNewTokens} tokens after a ${prompt.length}-token prompt: KV cache ${ms.toFixed(0)} ms (${((maxNewTokens / ms) * 1000).toFixed(0)} tokens/s), full-context baseline ${baseline.toFixed(0)} ms — ${(baseline / ms).toFixed(1)}× faster`,
  );
  model.dispose();
}
