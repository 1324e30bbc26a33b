// Measures peak tensor bytes (tf.profile) and process RSS of one LoRA training
// step, to calibrate src/engine/memory.ts. Run one configuration per process so
// RSS reflects that configuration alone:
//   tsx trainer/scripts/calibrate-memory.ts small 8 128
import {
  initBackend,
  tf,
  makeBatch,
  maskedCrossEntropy,
  LoraAdapter,
  estimateTrainingMemory,
  LlamaModel,
  AdamW,
  MODEL_SIZES,
  type ModelSize,
  trainStep,
} from "@tuneloop/engine";

await initBackend();
const [size = "small", b = "8", s = "128", r = "8"] = process.argv.slice(2);
const cfg = MODEL_SIZES[size as ModelSize].config;
const rssBefore = process.memoryUsage().rss;
const model = LlamaModel.random(cfg, 1);
const targetModules = ["q_proj", "v_proj"] as const;
const lora = LoraAdapter.create(
  model.config,
  { r: Number(r), alpha: 16, dropout: 0.05, targetModules: [...targetModules], baseModelNameOrPath: "" },
  1,
);
const vars = lora.namedVariables();
const opt = new AdamW(vars);
const batchSize = Number(b);
const seq = Number(s);
const examples = Array.from({ length: batchSize }, (_, i) => {
  const ids = Array.from({ length: seq + 1 }, (_, t) => (i * 31 + t * 7) % cfg.vocab_size);
  return { ids, mask: ids.map(() => 1) };
});
const batch = makeBatch(examples, seq, 0);
const before = tf.memory().numBytes;
let peak = 0;
for (let i = 0; i < 2; i++) {
  const prof = await tf.profile(() => {
    trainStep(
      () => maskedCrossEntropy(model.forward(batch.inputIds, batch.batch, batch.seqLen, { hook: lora }), batch.targets, batch.lossMask),
      vars,
      opt,
      1e-4,
      1,
    );
    return undefined as unknown as tf.Tensor;
  });
  peak = Math.max(peak, prof.peakBytes);
}
const est = estimateTrainingMemory({ config: model.config, batchSize, seqLength: seq, rank: Number(r), targetModules: [...targetModules] });
console.log(
  JSON.stringify({
    size,
    batchSize,
    seq,
    persistentMB: +(before / 2 ** 20).toFixed(1),
    stepPeakMB: +(peak / 2 ** 20).toFixed(1),
    rssBeforeMB: Math.round(rssBefore / 2 ** 20),
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    estimate: Object.fromEntries(Object.entries(est).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
  }),
);
