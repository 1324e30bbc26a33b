// Measures LoRA training throughput (tokens/s) of one optimizer-free step:
// forward + backward on a randomly initialised model of the given size.
// Usage: tsx trainer/scripts/bench-lora-step.ts [small|tiny] [batch] [seq] [steps]
import { initBackend, tf } from '../src/engine/backend';
import { LlamaModel } from '../src/engine/model';
import { LoraAdapter } from '../src/engine/lora';
import { makeBatch, maskedCrossEntropy } from '../src/engine/batch';
import { MODEL_SIZES } from '../src/engine/pretrain';

await initBackend();
const [size = 'small', b = '8', s = '128', n = '6'] = process.argv.slice(2);
const cfg = { ...MODEL_SIZES[size as 'small' | 'tiny'].config, vocab_size: 1024 };
const model = LlamaModel.random(cfg, 1);
const lora = LoraAdapter.create(model.config, { r: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'], baseModelNameOrPath: '' }, 1);
const batchSize = Number(b);
const seq = Number(s);
const examples = Array.from({ length: batchSize }, (_, i) => {
  const ids = Array.from({ length: seq + 1 }, (_, t) => (i * 31 + t * 7) % cfg.vocab_size);
  return { ids, mask: ids.map(() => 1) };
});
const batch = makeBatch(examples, seq, 0);
const vars = lora.namedVariables().map(([, v]) => v);
const times: number[] = [];
for (let step = 0; step < Number(n); step++) {
  const t0 = performance.now();
  lora.dropoutSeed = step;
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(model.forward(batch.inputIds, batch.batch, batch.seqLen, { hook: lora }), batch.targets, batch.lossMask), vars);
    value.dataSync();
    for (const g of Object.values(grads)) g.dataSync();
  });
  times.push(performance.now() - t0);
}
const steady = times.slice(1);
const ms = steady.reduce((a, c) => a + c, 0) / steady.length;
console.log(JSON.stringify({ size, batch: batchSize, seq, msPerStep: Math.round(ms), tokensPerSec: Math.round((batchSize * seq) / (ms / 1000)), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20), tfMB: Math.round(tf.memory().numBytes / 2 ** 20), times: times.map(Math.round) }));
