import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "./backend";
import { loadCheckpoint, saveCheckpoint, type TrainingCheckpoint } from "./checkpoint";
import { OutOfMemoryError, TrainingConfigError } from "./errors";
import { LoraAdapter } from "./lora";
import type { MetricPoint } from "./metrics";
import { LlamaModel } from "./model";
import { syntheticChats, tinyBaseModel } from "./testing";
import { splitIndices, trainLora, type LoraHyperparameters } from "./train";

const HP: Partial<LoraHyperparameters> = {
  rank: 4,
  alpha: 8,
  dropout: 0.1,
  learningRate: 1e-2,
  epochs: 2,
  batchSize: 4,
  maxSeqLength: 48,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  gradientClip: 1,
  seed: 7,
  targetModules: ["q_proj", "v_proj", "o_proj"],
};
const chats = syntheticChats(30);

let base: string;
let tmp: string;
beforeAll(async () => {
  await initBackend();
  base = await tinyBaseModel();
  tmp = await mkdtemp(join(tmpdir(), "tuneloop-train-"));
}, 60_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

function adapterValues(a: LoraAdapter): Map<string, Float32Array> {
  return new Map(Object.entries(a.toPeftTensors()).map(([k, t]) => [k, t.data as Float32Array]));
}

describe("splitIndices", () => {
  it("holds out ~20% deterministically and disjointly", () => {
    const a = splitIndices(30, 0.2, 7);
    expect(a).toEqual(splitIndices(30, 0.2, 7));
    expect(a.val.length).toBe(6);
    expect(new Set([...a.train, ...a.val]).size).toBe(30);
    expect(splitIndices(30, 0.2, 8).val).not.toEqual(a.val);
    expect(splitIndices(2, 0.2, 1).val.length).toBe(1);
  });
});

describe("trainLora", () => {
  it("lowers the loss, reports metrics and checkpoints, and writes a PEFT adapter + metrics.json", async () => {
    const tensorsBefore = tf.memory().numTensors;
    const points: MetricPoint[] = [];
    const stages: string[] = [];
    const checkpoints: number[] = [];
    const out = join(tmp, "run");
    const result = await trainLora({
      baseModelDir: base,
      chats,
      hyperparameters: { ...HP, epochs: 6, rank: 8, alpha: 16, targetModules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"] },
      outputDir: out,
      checkpointDir: join(tmp, "ckpts"),
      onStage: (s) => void stages.push(s),
      onMetrics: (p) => void points.push(...p),
      onCheckpoint: (c) => void checkpoints.push(c.step),
    });
    expect(result.status).toBe("completed");
    if (result.status !== "completed") return;
    expect(result.step).toBe(36); // 24 training chats / 4 per batch * 6 epochs
    const series = (name: string) => points.filter((p) => p.name === name);
    const losses = series("train_loss").map((p) => p.value);
    expect(losses).toHaveLength(36);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)) * 0.85);
    const val = series("val_loss");
    expect(val.length).toBeGreaterThanOrEqual(3);
    expect(val.at(-1)!.value).toBeLessThan(val[0].value);
    expect(series("perplexity").at(-1)!.value).toBeCloseTo(Math.exp(val.at(-1)!.value), 6);
    for (const name of [
      "learning_rate",
      "grad_norm",
      "tokens_per_second",
      "samples_per_second",
      "memory_rss_bytes",
      "memory_tensor_bytes",
      "epoch",
      "eta_seconds",
    ]) {
      expect(series(name)).toHaveLength(36);
    }
    expect(series("learning_rate")[0].value).toBeLessThan(series("learning_rate")[3].value); // warm-up
    expect(series("epoch").at(-1)!.value).toBe(6);
    expect(series("eta_seconds").at(-1)!.value).toBe(0);
    expect(checkpoints).toEqual([9, 18, 27]); // at least 3 even though checkpointEvery defaults to 100
    expect((await readdir(join(tmp, "ckpts"))).sort()).toEqual(["checkpoint-18", "checkpoint-27", "checkpoint-9"]);
    expect(stages).toEqual(expect.arrayContaining(["MODEL_LOADING", "PREPROCESSING", "TRAINING", "VALIDATION", "FINALIZATION"]));
    expect((await readdir(out)).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors", "metrics.json"]);
    const peft = JSON.parse(await readFile(join(out, "adapter_config.json"), "utf8"));
    expect(peft).toMatchObject({
      peft_type: "LORA",
      task_type: "CAUSAL_LM",
      r: 8,
      lora_alpha: 16,
      target_modules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"],
      inference_mode: true,
    });
    const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
    expect(metrics.summary.finalValLoss).toBeCloseTo(val.at(-1)!.value, 6);
    const model = await LlamaModel.load(base);
    const loaded = await LoraAdapter.load(out, model.config);
    expect(adapterValues(loaded)).toEqual(adapterValues(result.adapter));
    // A checkpoint directory is itself a loadable PEFT adapter.
    const fromCheckpoint = await LoraAdapter.load(join(tmp, "ckpts", "checkpoint-27"), model.config);
    expect(fromCheckpoint.config.r).toBe(8);
    model.dispose();
    loaded.dispose();
    fromCheckpoint.dispose();
    result.adapter.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore); // nothing leaked across a whole run
  });

  it("resumes an interrupted run to the same adapter as an uninterrupted one", async () => {
    const full = await trainLora({ baseModelDir: base, chats, hyperparameters: HP });
    expect(full.status).toBe("completed");
    if (full.status !== "completed") return;

    // Interrupt at an epoch boundary (step 6 of 6 per epoch), resume, interrupt mid-epoch (step 9), resume to the end.
    const interruptAt = async (stopAt: number, from?: TrainingCheckpoint): Promise<TrainingCheckpoint> => {
      let step = from?.step ?? 0;
      const r = await trainLora({
        baseModelDir: base,
        chats,
        hyperparameters: HP,
        resumeFrom: from,
        shouldStop: () => (step++ === stopAt ? "interrupt" : null),
      });
      expect(r).toMatchObject({ status: "interrupted", step: stopAt });
      if (r.status !== "interrupted") throw new Error(r.status);
      const dir = join(tmp, `ckpt-${stopAt}`);
      await saveCheckpoint(r.checkpoint, dir);
      return loadCheckpoint(dir);
    };
    const atBoundary = await interruptAt(6);
    expect(atBoundary).toMatchObject({ epoch: 1, stepInEpoch: 0 });
    const restored = await interruptAt(9, atBoundary);
    expect(restored).toMatchObject({ epoch: 1, stepInEpoch: 3, step: 9 });

    const resumed = await trainLora({ baseModelDir: base, chats, hyperparameters: HP, resumeFrom: restored });
    expect(resumed.status).toBe("completed");
    if (resumed.status !== "completed") return;
    const a = adapterValues(full.adapter);
    const b = adapterValues(resumed.adapter);
    let maxDiff = 0;
    let maxAbs = 0;
    for (const [k, v] of a)
      v.forEach((x, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(x - b.get(k)![i]));
        maxAbs = Math.max(maxAbs, Math.abs(x));
      });
    expect(maxAbs).toBeGreaterThan(1e-3); // B moved away from zero
    expect(maxDiff).toBeLessThan(1e-6);

    await expect(
      trainLora({ baseModelDir: base, chats, hyperparameters: { ...HP, learningRate: 1e-3 }, resumeFrom: restored }),
    ).rejects.toBeInstanceOf(TrainingConfigError);
    full.adapter.dispose();
    resumed.adapter.dispose();
  });

  it("stops without a checkpoint on cancel and releases everything", async () => {
    const before = tf.memory().numTensors;
    const checkpoints: number[] = [];
    const r = await trainLora({
      baseModelDir: base,
      chats,
      hyperparameters: HP,
      shouldStop: () => "cancel",
      onCheckpoint: (c) => void checkpoints.push(c.step),
    });
    expect(r).toEqual({ status: "cancelled", step: 0 });
    expect(checkpoints).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("accumulating 2 micro-batches of 2 trains like batches of 4: same steps, same adapter", async () => {
    const hp = { ...HP, dropout: 0, epochs: 1 };
    const whole = await trainLora({ baseModelDir: base, chats, hyperparameters: hp });
    const accumulated = await trainLora({
      baseModelDir: base,
      chats,
      hyperparameters: { ...hp, batchSize: 2, gradientAccumulationSteps: 2 },
    });
    if (whole.status !== "completed" || accumulated.status !== "completed") throw new Error("both runs complete");
    expect(accumulated.step).toBe(whole.step);
    const [x, y] = [adapterValues(whole.adapter), adapterValues(accumulated.adapter)];
    let maxDiff = 0;
    for (const [name, values] of x) values.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - y.get(name)![i]))));
    expect(maxDiff).toBeLessThan(1e-4);
    whole.adapter.dispose();
    accumulated.adapter.dispose();
  });

  it("refuses a run that would not fit the memory limit", async () => {
    const err = await trainLora({
      baseModelDir: base,
      chats,
      hyperparameters: { ...HP, batchSize: 64 },
      memoryLimitBytes: 250 * 2 ** 20,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err.message).toMatch(
      /^batch_size=64 needs .* but the worker allows 250 MB: use batch size (\d+) with (\d+) accumulation steps \(same effective batch of 64\)$/,
    );
  });
});
