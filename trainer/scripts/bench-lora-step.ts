// LoRA training throughput of the engine: full optimizer steps (forward,
// backward, clipping, AdamW) on the cached base model of the given size.
//   tsx trainer/scripts/bench-lora-step.ts [small|tiny] [batch=8] [seq=128] [steps=8]
import {
  ensureBaseModel,
  defaultBaseModelDir,
  type ModelSize,
  makeBatch,
  maskedCrossEntropy,
  LoraAdapter,
  LlamaModel,
  AdamW,
  trainStep,
} from "@tuneloop/engine";

const [size = "small", b = "8", s = "128", n = "8"] = process.argv.slice(2);
const dir = await ensureBaseModel(defaultBaseModelDir(size as ModelSize), { size: size as ModelSize });
const model = await LlamaModel.load(dir);
const lora = LoraAdapter.create(
  model.config,
  { r: 8, alpha: 16, dropout: 0.05, targetModules: ["q_proj", "v_proj"], baseModelNameOrPath: dir },
  1,
);
const vars = lora.namedVariables();
const optimizer = new AdamW(vars);
const batchSize = Number(b);
const seq = Number(s);
const examples = Array.from({ length: batchSize }, (_, i) => {
  const ids = Array.from({ length: seq + 1 }, (_, t) => (i * 31 + t * 7) % model.config.vocab_size);
  return { ids, mask: ids.map(() => 1) };
});
const batch = makeBatch(examples, seq, 0);
// Wall time is noisy on a shared machine; the step runs on one thread, so
// process CPU time per step is what one uncontended core would take.
const times: number[] = [];
const cpu: number[] = [];
for (let step = 0; step < Number(n); step++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  lora.dropoutSeed = step;
  trainStep(
    () => maskedCrossEntropy(model.forward(batch.inputIds, batch.batch, batch.seqLen, { hook: lora }), batch.targets, batch.lossMask),
    vars,
    optimizer,
    1e-4,
    1,
  );
  times.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
const cpuMedian = cpu.slice(1).sort((x, y) => x - y)[Math.floor((cpu.length - 1) / 2)];
const steady = times.slice(1).sort((x, y) => x - y);
const median = steady[Math.floor(steady.length / 2)];
console.log(
  JSON.stringify({
    size,
    batch: batchSize,
    seq,
    medianMsPerStep: Math.round(median),
    tokensPerSecond: Math.round((batchSize * seq) / (median / 1000)),
    cpuMsPerStep: Math.round(cpuMedian),
    tokensPerCpuSecond: Math.round((batchSize * seq) / (cpuMedian / 1000)),
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    stepsMs: times.map(Math.round),
  }),
);
