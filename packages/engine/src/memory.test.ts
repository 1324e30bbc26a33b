import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "./backend";
import { makeBatch, maskedCrossEntropy } from "./batch";
import { parseLlamaConfig } from "./config";
import { OutOfMemoryError } from "./errors";
import { LoraAdapter } from "./lora";
import { bytesNeeded } from "../../../shared/memoryModel";
import { checkMemory, estimateTrainingMemory } from "./memory";
import { LlamaModel } from "./model";
import { AdamW } from "./optimizer";
import { MODEL_SIZES } from "./pretrain";
import { trainStep } from "./step";

const small = parseLlamaConfig(MODEL_SIZES.small.config);
const base = { config: small, seqLength: 128, rank: 8, targetModules: ["q_proj" as const, "v_proj" as const] };

beforeAll(() => initBackend());

describe("memory estimate", () => {
  it("grows with batch and sequence length", () => {
    const a = estimateTrainingMemory({ ...base, batchSize: 4 });
    const b = estimateTrainingMemory({ ...base, batchSize: 8 });
    expect(b.activationBytes).toBeCloseTo(2 * a.activationBytes, -3);
    expect(b.totalBytes).toBe(b.weightBytes + b.trainableBytes + b.activationBytes + b.runtimeBytes);
    expect(estimateTrainingMemory({ ...base, batchSize: 4, seqLength: 64 }).activationBytes).toBeLessThan(a.activationBytes / 2);
  });

  it("covers the measured peak of a real step without overshooting much", async () => {
    const cfg = parseLlamaConfig(MODEL_SIZES.tiny.config);
    const model = LlamaModel.random(cfg, 1);
    const lora = LoraAdapter.create(
      cfg,
      { r: 8, alpha: 16, dropout: 0.1, targetModules: ["q_proj", "v_proj"], baseModelNameOrPath: "" },
      1,
    );
    const vars = lora.namedVariables();
    const opt = new AdamW(vars);
    const ids = Array.from({ length: 65 }, (_, i) => (i * 7) % cfg.vocab_size);
    const batch = makeBatch(
      Array.from({ length: 4 }, () => ({ ids, mask: ids.map(() => 1) })),
      64,
      0,
    );
    lora.dropoutSeed = 1;
    const prof = await tf.profile(() => {
      trainStep(
        () => maskedCrossEntropy(model.forward(batch.inputIds, 4, 64, { hook: lora }), batch.targets, batch.lossMask),
        vars,
        opt,
        1e-3,
        1,
      );
      return undefined as unknown as tf.Tensor;
    });
    const est = estimateTrainingMemory({ config: cfg, batchSize: 4, seqLength: 64, rank: 8, targetModules: ["q_proj", "v_proj"] });
    const tensors = est.totalBytes - est.runtimeBytes;
    expect(tensors).toBeGreaterThan(prof.peakBytes);
    expect(tensors).toBeLessThan(prof.peakBytes * 1.5);
    model.dispose();
    lora.dispose();
    opt.dispose();
  });

  it("refuses with a typed error that suggests a batch size that fits", () => {
    const limit = estimateTrainingMemory({ ...base, batchSize: 2 }).totalBytes + 1;
    expect(checkMemory({ ...base, batchSize: 2, limitBytes: limit }).totalBytes).toBeLessThan(limit);
    let err: unknown;
    try {
      checkMemory({ ...base, batchSize: 8, limitBytes: limit });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    const oom = err as OutOfMemoryError;
    expect(oom.suggestedBatchSize).toBe(2);
    expect(oom.message).toMatch(
      /^batch_size=8 needs \d+ MB but the worker allows \d+ MB: use batch size 2 with 4 accumulation steps \(same effective batch of 8\)$/,
    );
    // The error carries the model the server sizes a retry with: the same figures.
    expect(bytesNeeded(oom.profile, { batchSize: 2, seqLength: oom.seqLength, rank: 8 })).toBe(
      estimateTrainingMemory({ ...base, batchSize: 2 }).totalBytes,
    );
    // An effective batch of 6 (3 × 2) is kept whole: 2 divides it, 4 would not.
    expect(() => checkMemory({ ...base, batchSize: 3, gradientAccumulationSteps: 2, limitBytes: limit })).toThrow(
      /use batch size 2 with 3 accumulation steps/,
    );
    expect(() => checkMemory({ ...base, batchSize: 8, limitBytes: 2 ** 20 })).toThrow(/shorten max_seq_length/);
  });
});
