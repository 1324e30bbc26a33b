import type { InputFieldBuilder } from "@pothos/core";
import { builder } from "../builder.js";
import { TARGET_MODULES } from "./baseModels.js";
import { PRESETS } from "./config.js";

export const PresetEnum = builder.enumType("Preset", {
  values: {
    CONSERVATIVE: { description: PRESETS.CONSERVATIVE.explanation },
    BALANCED: { description: PRESETS.BALANCED.explanation },
    AGGRESSIVE: { description: PRESETS.AGGRESSIVE.explanation },
    CUSTOM: { description: "Balanced defaults with your own overrides." },
  },
});

export const PricingTierEnum = builder.enumType("PricingTier", {
  values: {
    SPOT: {
      description:
        "Up to ~70% cheaper; the instance can be taken back. Jobs resume from their last checkpoint, and the lost time is billed.",
    },
    ON_DEMAND: { description: "Never interrupted; costs about three times as much." },
  },
});

export const TargetModuleEnum = builder.enumType("TargetModule", {
  description: "A projection of the model that LoRA adapts (config.targetModules).",
  values: TARGET_MODULES,
});

const TrainerBackendEnum = builder.enumType("TrainerBackend", {
  description: "The trainer that runs a job (config.backend).",
  values: {
    typescript: { description: "The TypeScript engine: the built-in demo models, on a CPU." },
    python: { description: "transformers + peft on a GPU: Hugging Face models (and the demo models)." },
  } as const,
});

const QuantizationEnum = builder.enumType("Quantization", {
  description: "How the python trainer loads the base model on a GPU (config.quantization).",
  values: {
    FOUR_BIT: { value: "4bit", description: "4-bit NF4 (QLoRA): the default." },
    NONE: { value: "none", description: "16-bit, not quantized." },
  } as const,
});

// The ranges are checked by overridesSchema (config.ts), which names the field in its typed error.
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
const overrideFields = (t: InputFieldBuilder<Types, "InputObject">) => ({
  rank: t.int({ description: "LoRA rank, 1–256." }),
  alpha: t.float({ description: "LoRA alpha; twice the rank unless set." }),
  learningRate: t.float({ description: "1e-6 to 1e-2." }),
  epochs: t.int({ description: "1–20." }),
  batchSize: t.int({ description: "Examples per micro-batch, 1–64." }),
  gradientAccumulationSteps: t.int({ description: "Micro-batches per optimizer step, 1–64." }),
  maxSeqLength: t.int({ description: "Tokens per example, 32–4096." }),
  dropout: t.float(),
  warmupRatio: t.float(),
  weightDecay: t.float(),
  gradientClip: t.float(),
  targetModules: t.field({ type: [TargetModuleEnum] }),
  checkpointEvery: t.int({ description: "Steps between checkpoints." }),
  seed: t.int(),
  baseModel: t.string({ description: "A built-in model's name or any Hugging Face hub id (owner/name); see `baseModels`." }),
  baseModelParameters: t.float({
    description: "Billions of parameters of a Hugging Face model not in `baseModels`, when its name does not say (e.g. -7B).",
  }),
  backend: t.field({ type: TrainerBackendEnum }),
  quantization: t.field({ type: QuantizationEnum }),
  maxDurationSeconds: t.int({ description: "The job is stopped after this long, 60 seconds to 7 days." }),
});

export const JobSettingsOverrides = builder.inputType("JobSettingsOverrides", {
  description: "Advanced settings on top of the preset; each left out keeps the preset's or the base model's default.",
  fields: overrideFields,
});

export const RetryOverrides = builder.inputType("RetryOverrides", {
  description: "What a retry changes from the failed job: its settings and hyperparameters; they win over the suggested fix.",
  fields: (t) => ({
    preset: t.field({ type: PresetEnum }),
    gpuType: t.string({ description: "An id from `gpuTypes`." }),
    pricingTier: t.field({ type: PricingTierEnum }),
    datasetId: t.id(),
    ...overrideFields(t),
  }),
});

export const JobSettingsInput = builder.inputType("JobSettingsInput", {
  description: "What a job trains on and how: the part of a job that decides its cost.",
  fields: (t) => ({
    datasetId: t.id({ required: true }),
    preset: t.field({ type: PresetEnum, defaultValue: "BALANCED" }),
    overrides: t.field({ type: JobSettingsOverrides }),
    gpuType: t.string({ description: "An id from `gpuTypes`; H100 PCIe by default." }),
    pricingTier: t.field({ type: PricingTierEnum, defaultValue: "SPOT" }),
    onDemandFallback: t.boolean({
      description: "A spot job may run on on-demand capacity (at the on-demand price) when spot has none.",
      defaultValue: false,
    }),
    onDemandAfterPreemptions: t.int({ description: "With onDemandFallback: after this many preemptions the next machine is on-demand." }),
  }),
});
