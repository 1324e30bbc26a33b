// Pretrain (or reuse the cached) base model: tokenizer + Llama weights in
// Hugging Face layout, reproducible for a given recipe.
//   tsx trainer/scripts/pretrain.ts [--size tiny|small] [--out DIR] [--force]
import { rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { defaultBaseModelDir, ensureBaseModel, MODEL_SIZES, recipeHash, type ModelSize } from "@tuneloop/engine";

const { values } = parseArgs({
  options: { size: { type: "string", default: "small" }, out: { type: "string" }, force: { type: "boolean", default: false } },
});
const size = values.size as ModelSize;
if (!(size in MODEL_SIZES)) throw new Error(`--size must be one of ${Object.keys(MODEL_SIZES).join(", ")}`);
const dir = values.out ?? defaultBaseModelDir(size);
if (values.force) await rm(dir, { recursive: true, force: true });
const started = performance.now();
let last = 0;
await ensureBaseModel(dir, {
  size,
  onProgress: (p) => {
    if (p.loss !== null && (p.step === p.steps || performance.now() - last > 5000)) {
      last = performance.now();
      const left = p.secondsLeft === null ? "" : `, ${Math.round(p.secondsLeft)} s left`;
      console.log(`step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} ${Math.round(p.tokensPerSecond!)} tokens/s${left}`);
    }
  },
});
console.log(
  `${MODEL_SIZES[size].name} (recipe ${recipeHash(MODEL_SIZES[size])}) ready in ${dir} after ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
