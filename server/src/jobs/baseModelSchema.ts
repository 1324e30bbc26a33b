import { builder } from "../builder.js";
import { BASE_MODELS, baseModelOf, gpuBytesNeeded, usableBytes, weightFormatOf, type BaseModel } from "./baseModels.js";
import { PRESETS } from "./config.js";
import { TargetModuleEnum } from "./inputs.js";

const SourceEnum = builder.enumType("BaseModelSource", { values: ["BUILT_IN", "HUGGING_FACE"] as const });
const WeightsEnum = builder.enumType("WeightFormat", {
  description: "How the frozen base weights are held in GPU memory.",
  values: {
    BF16: { value: "bf16", description: "16-bit, not quantized (quantization none)." },
    INT8: { value: "int8", description: "8-bit, for comparison: the python worker trains in 16-bit or 4-bit." },
    NF4: { value: "nf4", description: "4-bit NF4 (QLoRA), the python worker's default on a GPU." },
  } as const,
});

const ParametersSourceEnum = builder.enumType("BaseModelParametersSource", {
  description: "Where a base model's parameter count comes from.",
  values: {
    CONFIG: { description: "The model's config.json (a model Tuneloop knows)." },
    MODEL_NAME: { description: "A size in the model's name, such as -7B." },
    GIVEN: { description: "The job's baseModelParameters." },
  } as const,
});

const Defaults = builder.simpleObject("BaseModelDefaults", {
  description: "The settings a job on this model starts from (overrides replace them).",
  fields: (t) => ({
    maxSeqLength: t.int(),
    targetModules: t.field({ type: [TargetModuleEnum] }),
    batchSize: t.int(),
    gradientAccumulationSteps: t.int(),
  }),
});
const Memory = builder.simpleObject("BaseModelMemory", {
  fields: (t) => ({
    weights: t.field({ type: WeightsEnum }),
    requiredBytes: t.float({ description: "Peak GPU memory of a LoRA run at the model's defaults and the Balanced preset's rank." }),
    fits: t.boolean({ nullable: true, description: "Whether it fits the GPU asked about (95% of its memory); null without one." }),
    isDefault: t.boolean({ description: "The format a job on this model trains with unless told otherwise." }),
  }),
});

const BaseModelRef = builder.objectRef<BaseModel>("BaseModel").implement({
  description:
    "A base model a job can fine-tune: a built-in demo model (TypeScript engine) or a Hugging Face model (python worker on a GPU).",
  fields: (t) => ({
    id: t.exposeString("id", { description: "The name a job's config.baseModel takes (a Hugging Face hub id for hub models)." }),
    title: t.exposeString("title"),
    source: t.field({ type: SourceEnum, resolve: (m) => m.source }),
    backend: t.string({
      description: "The trainer a job on this model uses unless config.backend says otherwise.",
      resolve: (m) => m.backends[0],
    }),
    backends: t.stringList({ resolve: (m) => m.backends }),
    parameters: t.exposeFloat("parameters"),
    parametersSource: t.field({ type: ParametersSourceEnum, resolve: (m) => m.parametersSource }),
    contextLength: t.exposeInt("contextLength"),
    defaults: t.field({ type: Defaults, resolve: (m) => m.defaults }),
    memory: t.field({
      type: [Memory],
      description: "GPU memory needed with 16-bit, 8-bit and 4-bit weights (empty for models the GPU path does not train).",
      args: { gpuType: t.arg.string({ description: "Say whether each fits this GPU." }) },
      resolve: (m, { gpuType }, ctx) => {
        if (!m.backends.includes("python")) return [];
        const gpu = gpuType ? ctx.gpus.find(gpuType) : undefined;
        const run = { ...m.defaults, rank: PRESETS.BALANCED.rank };
        const usual = weightFormatOf({ backend: "python" });
        return (["bf16", "int8", "nf4"] as const).map((weights) => {
          const requiredBytes = gpuBytesNeeded(m, weights, run);
          return { weights, requiredBytes, fits: gpu ? requiredBytes <= usableBytes(gpu) : null, isDefault: weights === usual };
        });
      },
    }),
  }),
});

builder.queryFields((t) => ({
  baseModels: t.field({
    type: [BaseModelRef],
    description: "The base models a job can start from.",
    authScopes: { user: true },
    resolve: () => BASE_MODELS,
  }),
  baseModel: t.field({
    type: BaseModelRef,
    description:
      "A base model by id: one of `baseModels`, or any Hugging Face hub id (owner/name) sized by `parameters` or by the size in its name.",
    authScopes: { user: true },
    args: {
      id: t.arg.string({ required: true }),
      parameters: t.arg.float({ description: "Billions of parameters (config.baseModelParameters) of a model not in `baseModels`." }),
    },
    resolve: (_root, { id, parameters }) => baseModelOf(id, parameters),
  }),
}));
