import type {
  CreateTrainingJobInput,
  JobSettingsInput,
  JobSettingsOverrides,
  Preset,
  PricingTier,
  TargetModule,
} from "../../graphql/graphql";

// The new-job form's state and its translation to the API's input. Advanced
// settings are kept as typed text; only the ones filled in become overrides,
// so the preset decides everything else.

export type AdvancedField = {
  key: string;
  label: string;
  help: string;
  kind: "int" | "float";
  step?: string;
};

/** The schema's TargetModule values, attention first, in the model's order (TypeScript refuses a missing or unknown one). */
export const TARGET_MODULES = Object.keys({
  q_proj: true,
  k_proj: true,
  v_proj: true,
  o_proj: true,
  gate_proj: true,
  up_proj: true,
  down_proj: true,
} satisfies Record<TargetModule, true>) as TargetModule[];

export const ADVANCED_FIELDS: AdvancedField[] = [
  {
    key: "rank",
    label: "LoRA rank (r)",
    kind: "int",
    help: "Size of the adapter matrices. Higher learns more but costs more and can overfit; 8–32 covers most work.",
  },
  {
    key: "alpha",
    label: "LoRA alpha",
    kind: "float",
    help: "Scales the adapter's effect (alpha ÷ rank). Twice the rank is the usual choice.",
  },
  {
    key: "learningRate",
    label: "Learning rate",
    kind: "float",
    step: "any",
    help: "How big each update is. Too high and the loss jumps or diverges; too low and it barely moves. 1e-4 to 3e-4 is typical for LoRA.",
  },
  {
    key: "epochs",
    label: "Epochs",
    kind: "int",
    help: "Passes over the training conversations. More epochs fit the data more closely; watch validation loss for overfitting.",
  },
  {
    key: "batchSize",
    label: "Batch size",
    kind: "int",
    help: "Sequences per forward pass. Larger is faster per token but needs more memory; after an out-of-memory failure, lower it and raise gradient accumulation to keep the effective batch.",
  },
  {
    key: "gradientAccumulationSteps",
    label: "Gradient accumulation (steps)",
    kind: "int",
    help: "Batches whose gradients are averaged into one update: the effective batch is batch size × this, at the memory of one batch. It decides how the model learns, not the memory.",
  },
  {
    key: "maxSeqLength",
    label: "Max sequence length",
    kind: "int",
    help: "Tokens per sequence; longer conversations are cut. Memory grows with it.",
  },
  {
    key: "dropout",
    label: "LoRA dropout",
    kind: "float",
    step: "any",
    help: "Randomly drops adapter inputs during training (0–0.5) to fight overfitting on small datasets.",
  },
  {
    key: "warmupRatio",
    label: "Warm-up ratio",
    kind: "float",
    step: "any",
    help: "Share of steps (0–0.5) over which the learning rate ramps up from zero, which avoids early instability.",
  },
  {
    key: "weightDecay",
    label: "Weight decay",
    kind: "float",
    step: "any",
    help: "Pulls adapter weights towards zero (0–0.5): a mild regulariser.",
  },
  {
    key: "gradientClip",
    label: "Gradient clipping",
    kind: "float",
    step: "any",
    help: "Caps the gradient norm so one bad batch cannot derail training.",
  },
  {
    key: "checkpointEvery",
    label: "Checkpoint every (steps)",
    kind: "int",
    help: "How often progress is saved. A spot interruption loses at most this many steps.",
  },
  {
    key: "seed",
    label: "Random seed",
    kind: "int",
    help: "Same seed, same data and same settings give the same run — useful to compare one change at a time.",
  },
];

export type JobFormState = {
  name: string;
  description: string;
  notes: string;
  tags: string;
  clientName: string;
  datasetId: string;
  /** The base model's id; empty: the server's default (the 1M demo model). */
  baseModel: string;
  /** The size of a Hugging Face model that is not a suggestion, in billions of parameters, as typed ("" = read from its name). */
  baseModelParameters: string;
  preset: Preset;
  gpuType: string;
  pricingTier: PricingTier;
  /** A spot job may move to on-demand (when spot fails it). */
  onDemandFallback: boolean;
  /** Preemptions before the next machine is on-demand, as typed ("" = only when no spot is left). */
  onDemandAfterPreemptions: string;
  advanced: Record<string, string>;
  /** null: the preset's modules. */
  targetModules: string[] | null;
  /** Settings a template brings that the form has no field for (kept as they are). */
  extraOverrides: JobSettingsOverrides;
};

export const emptyForm = (): JobFormState => ({
  name: "",
  description: "",
  notes: "",
  tags: "",
  clientName: "",
  datasetId: "",
  baseModel: "",
  baseModelParameters: "",
  preset: "BALANCED",
  gpuType: "",
  pricingTier: "SPOT",
  onDemandFallback: false,
  onDemandAfterPreemptions: "",
  advanced: {},
  targetModules: null,
  extraOverrides: {},
});

export type ParsedOverrides = { overrides: JobSettingsOverrides; errors: Record<string, string> };

/** A job's stored config (JSON) as the typed overrides that repeat it: the same keys, quantization as its enum. */
export function overridesOfConfig(config: unknown): JobSettingsOverrides {
  const { quantization, ...rest } = (config && typeof config === "object" ? config : {}) as Record<string, unknown>;
  return { ...rest, ...(quantization != null && { quantization: quantization === "none" ? "NONE" : "FOUR_BIT" }) };
}

/** The overrides to send, or the fields whose text is not a number. */
export function parseOverrides(form: JobFormState): ParsedOverrides {
  const overrides: Record<string, unknown> = { ...form.extraOverrides, ...(form.baseModel && { baseModel: form.baseModel }) };
  const errors: Record<string, string> = {};
  const size = form.baseModelParameters.trim();
  if (form.baseModel && size) {
    if (Number.isFinite(Number(size))) overrides.baseModelParameters = Number(size);
    else errors.baseModelParameters = "The model size must be a number (billions of parameters)";
  }
  for (const field of ADVANCED_FIELDS) {
    const text = form.advanced[field.key]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!Number.isFinite(value)) errors[field.key] = `${field.label} must be a number`;
    else if (field.kind === "int" && !Number.isInteger(value)) errors[field.key] = `${field.label} must be a whole number`;
    else overrides[field.key] = value;
  }
  if (form.targetModules) {
    if (form.targetModules.length === 0) errors.targetModules = "Choose at least one target module";
    else overrides.targetModules = form.targetModules;
  }
  // Built key by key from the fields above, each a setting of JobSettingsOverrides.
  return { overrides: overrides as JobSettingsOverrides, errors };
}

export function settingsOf(form: JobFormState, overrides: JobSettingsOverrides): JobSettingsInput {
  return {
    datasetId: form.datasetId,
    preset: form.preset,
    pricingTier: form.pricingTier,
    ...(form.gpuType && { gpuType: form.gpuType }),
    ...(form.pricingTier === "SPOT" && form.onDemandFallback && { onDemandFallback: true }),
    ...(form.pricingTier === "SPOT" &&
      form.onDemandFallback &&
      /^\d+$/.test(form.onDemandAfterPreemptions.trim()) && { onDemandAfterPreemptions: Number(form.onDemandAfterPreemptions) }),
    ...(Object.keys(overrides).length > 0 && { overrides }),
  };
}

export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

export function toCreateInput(form: JobFormState, overrides: JobSettingsOverrides, start: boolean): CreateTrainingJobInput {
  const optional = (value: string) => (value.trim() ? value.trim() : null);
  return {
    name: form.name.trim(),
    description: optional(form.description),
    notes: optional(form.notes),
    clientName: optional(form.clientName),
    tags: parseTags(form.tags),
    settings: settingsOf(form, overrides),
    start,
  };
}

const FIELD_KEYS = new Set(ADVANCED_FIELDS.map((f) => f.key));

/** A template's saved config laid over the form: known fields as text, the rest kept aside. */
/** A template's setup on the form: preset and hyperparameters, and the dataset, GPU, pricing tier and notes it keeps. */
export function applyTemplate(
  form: JobFormState,
  template: {
    preset: Preset;
    config: unknown;
    dataset?: { id: string } | null;
    gpuType?: string | null;
    pricingTier?: PricingTier | null;
    notes?: string | null;
  },
): JobFormState {
  const advanced: Record<string, string> = {};
  const extraOverrides: JobSettingsOverrides = {};
  let targetModules: string[] | null = null;
  let baseModel = "";
  let baseModelParameters = "";
  for (const [key, value] of Object.entries(overridesOfConfig(template.config))) {
    if (FIELD_KEYS.has(key) && typeof value === "number") advanced[key] = String(value);
    else if (key === "baseModel" && typeof value === "string") baseModel = value;
    else if (key === "baseModelParameters" && typeof value === "number") baseModelParameters = String(value);
    else if (key === "targetModules" && Array.isArray(value)) targetModules = value.map(String);
    else Object.assign(extraOverrides, { [key]: value });
  }
  const kept = {
    ...(template.dataset && { datasetId: template.dataset.id }),
    ...(template.gpuType && { gpuType: template.gpuType }),
    ...(template.pricingTier && { pricingTier: template.pricingTier }),
    ...(template.notes && !form.notes.trim() && { notes: template.notes }),
  };
  return { ...form, ...kept, preset: template.preset, baseModel, baseModelParameters, advanced, targetModules, extraOverrides };
}
