import { builder } from "../builder.js";
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

export const JobSettingsInput = builder.inputType("JobSettingsInput", {
  description: "What a job trains on and how: the part of a job that decides its cost.",
  fields: (t) => ({
    datasetId: t.id({ required: true }),
    preset: t.field({ type: PresetEnum, defaultValue: "BALANCED" }),
    overrides: t.field({
      type: "JSON",
      description:
        "Advanced settings on top of the preset: rank, alpha, learningRate, epochs, batchSize, maxSeqLength, dropout, warmupRatio, weightDecay, gradientClip, targetModules, checkpointEvery, seed.",
    }),
    gpuType: t.string({ description: "An id from `gpuTypes`; H100 PCIe by default." }),
    pricingTier: t.field({ type: PricingTierEnum, defaultValue: "SPOT" }),
    onDemandFallback: t.boolean({
      description: "A spot job may run on on-demand capacity (at the on-demand price) when spot has none.",
      defaultValue: false,
    }),
    onDemandAfterPreemptions: t.int({ description: "With onDemandFallback: after this many preemptions the next machine is on-demand." }),
  }),
});
