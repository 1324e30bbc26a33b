import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { createJob, demoDatasetId } from "../testing/fixtures.js";
import { gpuLoraProfile } from "../../../shared/memoryModel.js";
import { requireBaseModel } from "./baseModels.js";

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

    expect((await create({ baseModel: "someone/unknown-7b" })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.baseModel",
      message: expect.stringContaining('Unknown base model "someone/unknown-7b"'),
    });
    expect((await create({ baseModel: "meta-llama/Llama-3.1-8B-Instruct", backend: "typescript" })).data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.backend",
    });
    const tooLarge = (await create({ baseModel: "meta-llama/Llama-3.1-70B-Instruct" }, "L40S_48GB")).data.createTrainingJob;
    expect(tooLarge).toMatchObject({ code: "VALIDATION", field: "gpuType" });
    expect(tooLarge.message).toMatch(/needs about [\d.]+ GB of GPU memory .*4-bit.* but the NVIDIA L40S 48GB has 48 GB/);
    // Not quantized, the 8B model does not fit 48 GB at these settings; the error says 4-bit would.
    const unquantized = (await create({ baseModel: "meta-llama/Llama-3.1-8B-Instruct", quantization: "none", batchSize: 5 }, "L40S_48GB"))
      .data.createTrainingJob;
    expect(unquantized).toMatchObject({ code: "VALIDATION", field: "gpuType", message: expect.stringContaining("load it in 4-bit") });
  });

  it("sizes GPU memory with the same terms as the python trainer's memory.py", () => {
    const shape = requireBaseModel("meta-llama/Llama-3.1-8B-Instruct").shape;
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
