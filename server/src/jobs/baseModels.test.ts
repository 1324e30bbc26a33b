import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createJob, demoDatasetId } from "@tuneloop/testing/fixtures";
import { gpuLoraProfile } from "../../../shared/memoryModel.js";
import { baseModelOf } from "./baseModels.js";

let app: TestApp;
let token: string;
let datasetId: string;
beforeAll(async () => {
  app = await startTestApp();
  token = await app.login("engineer");
  datasetId = await demoDatasetId(app, token);
});
afterAll(() => app.stop());

const create = (overrides: Record<string, unknown>, gpuType = "H100_PCIE_80GB") =>
  createJob(app, token, { name: "base model", settings: { datasetId, overrides, gpuType } });

describe("choosing a base model", () => {
  it("lists built-in and Hugging Face models with the worker, defaults and GPU memory each implies", async () => {
    const { data } = await app.gql(
      `{ baseModels { id source backend parameters defaults { maxSeqLength targetModules batchSize gradientAccumulationSteps } memory(gpuType:"H100_PCIE_80GB") { weights requiredBytes fits isDefault } } }`,
      {},
      token,
    );
    const byId = Object.fromEntries(data.baseModels.map((m: any) => [m.id, m]));
    expect(byId["tuneloop-llama-1m"]).toMatchObject({
      source: "BUILT_IN",
      backend: "typescript",
      defaults: { maxSeqLength: 128, targetModules: ["q_proj", "v_proj"] },
    });
    const llama8b = byId["meta-llama/Llama-3.1-8B-Instruct"];
    expect(llama8b).toMatchObject({ source: "HUGGING_FACE", backend: "python", defaults: { maxSeqLength: 2048 } });
    expect(llama8b.parameters / 1e9).toBeCloseTo(8.03, 2);
    // 70B at 4-bit on one 80 GB H100; not in 16 or 8 bits.
    const fits = Object.fromEntries(byId["meta-llama/Llama-3.1-70B-Instruct"].memory.map((m: any) => [m.weights, m.fits]));
    expect(fits).toEqual({ BF16: false, INT8: false, NF4: true });
    expect(byId["meta-llama/Llama-3.1-70B-Instruct"].memory.find((m: any) => m.isDefault).weights).toBe("NF4");
  });

  it("gives a Hugging Face model the python worker and its own defaults, and refuses what cannot run before anything runs", async () => {
    const job = (await create({ baseModel: "meta-llama/Llama-3.1-70B-Instruct" })).data.createTrainingJob.data;
    expect(job.config).toMatchObject({
      backend: "python",
      maxSeqLength: 2048,
      batchSize: 1,
      gradientAccumulationSteps: 16,
      targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    });
    const demo = (await create({})).data.createTrainingJob.data;
    // The same dataset on a 70B base: far more GPU time than on the 1M demo model.
    expect(job.estimatedCostUsd).toBeGreaterThan(demo.estimatedCostUsd);

    expect((await create({ baseModel: "someone/not a hub id" })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.baseModel",
      message: expect.stringContaining('"someone/not a hub id" is not a built-in model or a Hugging Face model id'),
    });
    expect((await create({ baseModel: "meta-llama/Llama-3.1-8B-Instruct", backend: "typescript" })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.backend",
    });
    const tooLarge = (await create({ baseModel: "meta-llama/Llama-3.1-70B-Instruct" }, "L40S_48GB")).data.createTrainingJob;
    expect(tooLarge).toMatchObject({ code: "VALIDATION", field: "gpuType" });
    expect(tooLarge.message).toMatch(/needs about [\d.]+ GB of GPU memory .*4-bit.* but the NVIDIA L40S 48GB has 48 GB/);
    // Not quantized, the 8B model does not fit 48 GB at these settings; the error says 4-bit would.
    const unquantized = (await create({ baseModel: "meta-llama/Llama-3.1-8B-Instruct", quantization: "NONE", batchSize: 5 }, "L40S_48GB"))
      .data.createTrainingJob;
    expect(unquantized).toMatchObject({ code: "VALIDATION", field: "gpuType", message: expect.stringContaining("load it in 4-bit") });
  });

  it("takes any Hugging Face hub id, sized by the size in its name or by baseModelParameters", async () => {
    const BASE = `query($id:String!,$p:Float){ baseModel(id:$id, parameters:$p){ id source backend parameters parametersSource
      defaults { maxSeqLength batchSize gradientAccumulationSteps } memory(gpuType:"L40S_48GB") { weights requiredBytes fits } } }`;
    const named = (await app.gql(BASE, { id: "someone/unknown-7b" }, token)).data.baseModel;
    expect(named).toMatchObject({ source: "HUGGING_FACE", backend: "python", parameters: 7e9, parametersSource: "MODEL_NAME" });
    expect(named.defaults).toEqual({ maxSeqLength: 2048, batchSize: 4, gradientAccumulationSteps: 4 });
    // A 7B model fits a 48 GB card at the defaults, even in 16 bits; each smaller format needs less.
    expect(Object.fromEntries(named.memory.map((m: any) => [m.weights, m.fits]))).toEqual({ BF16: true, INT8: true, NF4: true });
    const [bf16, int8, nf4] = named.memory.map((m: any) => m.requiredBytes);
    expect(bf16).toBeGreaterThan(int8);
    expect(int8).toBeGreaterThan(nf4);
    for (const [id, billions] of [
      ["Qwen/Qwen2.5-1.5B", 1.5],
      ["org/model_8b.v2", 8],
      ["HuggingFaceTB/SmolLM2-135M-Instruct", 0.135],
    ] as const) {
      expect((await app.gql(BASE, { id }, token)).data.baseModel.parameters / 1e9).toBeCloseTo(billions, 6);
    }
    const given = (await app.gql(BASE, { id: "someone/phi-mini", p: 72 }, token)).data.baseModel;
    // 70B-class: one micro-batch at a time, like the known 70B model.
    expect(given).toMatchObject({ parameters: 72e9, parametersSource: "GIVEN", defaults: { batchSize: 1, gradientAccumulationSteps: 16 } });
    const unsized = await app.gql(BASE, { id: "someone/phi-mini" }, token);
    expect(unsized.errors?.[0].extensions).toMatchObject({ code: "VALIDATION", field: "config.baseModelParameters" });

    // A job on it: the python worker, the hub defaults, an estimate that grows with the size.
    const small = (await create({ baseModel: "someone/phi-mini", baseModelParameters: 3 })).data.createTrainingJob.data;
    expect(small.config).toMatchObject({ baseModel: "someone/phi-mini", baseModelParameters: 3, backend: "python", maxSeqLength: 2048 });
    const large = (await create({ baseModel: "someone/phi-mini", baseModelParameters: 30 })).data.createTrainingJob.data;
    expect(large.estimatedCostUsd).toBeGreaterThan(small.estimatedCostUsd);
    const inferred = (await create({ baseModel: "someone/unknown-7b" })).data.createTrainingJob.data;
    expect(inferred.config).toMatchObject({ baseModel: "someone/unknown-7b", backend: "python" });
    expect(inferred.config.baseModelParameters).toBeUndefined();

    expect((await create({ baseModel: "someone/phi-mini" })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.baseModelParameters",
      message: expect.stringContaining("give baseModelParameters"),
    });
    expect((await create({ baseModel: "someone/phi-mini", baseModelParameters: 0 })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.baseModelParameters",
    });
    expect((await create({ baseModel: "meta-llama/Llama-3.1-8B-Instruct", baseModelParameters: 8 })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.baseModelParameters",
    });
    expect((await create({ baseModel: "someone/unknown-7b", backend: "typescript" })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.backend",
    });
    for (const id of ["no-owner", "a/b/c", "-owner/name", "owner/name.", "owner/na--me", `owner/${"x".repeat(97)}`]) {
      expect((await create({ baseModel: id })).data.createTrainingJob).toMatchObject({ code: "VALIDATION", field: "config.baseModel" });
    }
    const tooLarge = (await create({ baseModel: "someone/unknown-180B" }, "L40S_48GB")).data.createTrainingJob;
    expect(tooLarge).toMatchObject({
      code: "VALIDATION",
      field: "gpuType",
      message: expect.stringContaining("someone/unknown-180B needs about"),
    });
  });

  it("sizes GPU memory with the same terms as the python trainer's memory.py", () => {
    const shape = baseModelOf("meta-llama/Llama-3.1-8B-Instruct").shape;
    const script = `import json, sys, types
sys.path.insert(0, ${JSON.stringify(resolve(import.meta.dirname, "../../../trainer/python"))})
from tuneloop_worker.memory import memory_profile
shape = types.SimpleNamespace(**json.loads(sys.argv[1]))
print(json.dumps([memory_profile(shape, 7, True, True), memory_profile(shape, 7, False, True)]))`;
    const [nf4, bf16] = JSON.parse(execFileSync("python3", ["-c", script, JSON.stringify(shape)], { encoding: "utf8" }));
    for (const [python, ours] of [
      [nf4, gpuLoraProfile(shape, 7, "nf4")],
      [bf16, gpuLoraProfile(shape, 7, "bf16")],
    ]) {
      for (const key of ["fixedBytes", "bytesPerRank", "bytesPerToken", "fourBitSavingBytes"] as const) {
        if (ours[key] === null) expect(python[key]).toBeNull();
        else expect(python[key]).toBeCloseTo(ours[key]!, 0);
      }
    }
  });
});
