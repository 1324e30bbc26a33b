import { describe, expect, it } from "vitest";
import { applyTemplate, emptyForm, parseOverrides, parseTags, toCreateInput } from "./jobForm";

describe("jobForm", () => {
  it("sends only the advanced fields filled in, as numbers", () => {
    const form = {
      ...emptyForm(),
      name: " Run ",
      datasetId: "d1",
      tags: "Finance, finance, ,tests",
      advanced: { rank: "32", learningRate: "3e-4", dropout: "" },
    };
    const { overrides, errors } = parseOverrides(form);
    expect(errors).toEqual({});
    expect(overrides).toEqual({ rank: 32, learningRate: 3e-4 });
    expect(toCreateInput(form, overrides, true)).toEqual({
      name: "Run",
      description: null,
      notes: null,
      clientName: null,
      tags: ["finance", "tests"],
      settings: { datasetId: "d1", preset: "BALANCED", pricingTier: "SPOT", overrides: { rank: 32, learningRate: 3e-4 } },
      start: true,
    });
  });

  it("names the field whose text is not a number", () => {
    const { errors } = parseOverrides({ ...emptyForm(), advanced: { epochs: "2.5", batchSize: "four" }, targetModules: [] });
    expect(errors).toEqual({
      epochs: "Epochs must be a whole number",
      batchSize: "Batch size must be a number",
      targetModules: "Choose at least one target module",
    });
  });

  it("lays a template over the form", () => {
    const form = applyTemplate(emptyForm(), { preset: "AGGRESSIVE", config: { rank: 64, targetModules: ["q_proj"], baseModel: "m" } });
    expect(form.preset).toBe("AGGRESSIVE");
    expect(form.advanced).toEqual({ rank: "64" });
    expect(form.targetModules).toEqual(["q_proj"]);
    expect(form.baseModel).toBe("m");
    expect(parseOverrides(form).overrides).toEqual({ baseModel: "m", rank: 64, targetModules: ["q_proj"] });
    expect(parseTags("")).toEqual([]);
  });

  it("takes the template's dataset, GPU, pricing tier and notes, keeping notes already typed", () => {
    const template = {
      preset: "BALANCED" as const,
      config: {},
      dataset: { id: "d9" },
      gpuType: "A100_SXM_80GB",
      pricingTier: "ON_DEMAND" as const,
      notes: "winning setup",
    };
    expect(applyTemplate(emptyForm(), template)).toMatchObject({
      datasetId: "d9",
      gpuType: "A100_SXM_80GB",
      pricingTier: "ON_DEMAND",
      notes: "winning setup",
    });
    expect(applyTemplate({ ...emptyForm(), notes: "mine" }, template).notes).toBe("mine");
    // A template that keeps none of them leaves the form's own.
    const bare = applyTemplate({ ...emptyForm(), datasetId: "d1" }, { preset: "BALANCED", config: {} });
    expect(bare.datasetId).toBe("d1");
  });
});
