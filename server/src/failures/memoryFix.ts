import { bytesNeeded, formatBytes, largestBatchThatFits, type MemorySettings } from "../../../shared/memoryModel.js";
import { effectiveBatch, type JobConfig } from "../jobs/config.js";
import type { GpuCatalog } from "../costs/catalog.js";
import type { FailureFacts } from "./facts.js";
import type { ConfigChange } from "./guidance.js";

// The least change that makes an out-of-memory run fit, found with the
// trainer's own memory model (shared/memoryModel.ts, its coefficients reported
// with the failure) and checked against it before it is offered.

type MemoryFacts = NonNullable<FailureFacts["memory"]>;
export type MemoryFix = { changes: ConfigChange[]; bytes: number; how: string };

const MIN_SEQ_LENGTH = 32; // the job settings' own minimum
/** A GPU's memory that training can use (the CUDA context and the allocator take the rest). */
const USABLE_GPU_FRACTION = 0.95;

/** n/2, n/4, … down to min. */
function halvings(n: number, min: number): number[] {
  const out: number[] = [];
  for (let v = Math.floor(n / 2); v >= min; v = Math.floor(v / 2)) out.push(v);
  return out;
}

export function memoryFix(config: JobConfig, facts: MemoryFacts, gpuType: string, gpus: GpuCatalog): MemoryFix | null {
  const { profile } = facts;
  const accumulation = config.gradientAccumulationSteps ?? 1;
  const effective = effectiveBatch(config);
  const current: MemorySettings = { batchSize: config.batchSize, seqLength: facts.seqLength, rank: config.rank };
  // A run the model said would fit ran out anyway (a real CUDA OOM): the model was optimistic
  // for it by an unknown amount, so ask for half its activations, not just anything smaller.
  const activations = bytesNeeded(profile, current) - bytesNeeded(profile, { ...current, batchSize: 0 });
  const budget = facts.requiredBytes > facts.availableBytes ? facts.availableBytes : bytesNeeded(profile, current) - activations / 2;

  const batchChanges = (b: number): ConfigChange[] =>
    b === config.batchSize
      ? []
      : [
          { field: "batchSize", from: config.batchSize, to: b },
          { field: "gradientAccumulationSteps", from: accumulation, to: effective / b },
        ];
  const batchWords = (b: number) =>
    b === config.batchSize
      ? ""
      : `batch size ${b} with ${effective / b} accumulation steps (the same effective batch of ${effective}, so the same learning dynamics)`;

  // In order of least change: the micro-batch alone, then shorter sequences, a lower rank, 4-bit loading.
  const variants: { settings: MemorySettings; changes: ConfigChange[]; words: string }[] = [
    { settings: current, changes: [], words: "" },
    ...halvings(facts.seqLength, MIN_SEQ_LENGTH).map((seqLength) => ({
      settings: { ...current, seqLength },
      changes: [{ field: "maxSeqLength", from: config.maxSeqLength, to: seqLength }],
      words: `sequences of up to ${seqLength} tokens (longer conversations are cut)`,
    })),
    ...halvings(config.rank, 1).map((rank) => ({
      settings: { ...current, rank },
      changes: [
        { field: "rank", from: config.rank, to: rank },
        { field: "alpha", from: config.alpha, to: (config.alpha * rank) / config.rank },
      ],
      words: `LoRA rank ${rank} (alpha scaled with it, so updates keep their size)`,
    })),
    ...(profile.fourBitSavingBytes
      ? [
          {
            settings: { ...current, fourBit: true },
            changes: [{ field: "quantization", from: config.quantization ?? "none", to: "4bit" }],
            words: "the base model loaded in 4-bit",
          },
        ]
      : []),
  ];
  for (const v of variants) {
    const b = largestBatchThatFits(profile, v.settings, effective, budget);
    if (b === 0 || (v.changes.length === 0 && b === config.batchSize)) continue;
    const bytes = bytesNeeded(profile, { ...v.settings, batchSize: b });
    const words = [v.words, batchWords(b)].filter(Boolean).join(", with ");
    const lead = v.changes.length ? `No batch size fits as it is; ${words}` : words[0].toUpperCase() + words.slice(1);
    return {
      changes: [...v.changes, ...batchChanges(b)],
      bytes,
      how: `${lead} needs about ${formatBytes(bytes)} by the trainer's own memory model.`,
    };
  }

  // Nothing smaller fits: a GPU with more memory, when a GPU's memory was the limit.
  if (facts.limit !== "GPU_MEMORY") return null;
  const needed = bytesNeeded(profile, current) * (facts.availableBytes / budget);
  const gpu = [...gpus.all]
    .sort((a, b) => a.memoryGb - b.memoryGb)
    .find((g) => g.id !== gpuType && g.memoryGb * 2 ** 30 * USABLE_GPU_FRACTION >= needed);
  if (!gpu) return null;
  return {
    changes: [{ field: "gpuType", from: gpuType, to: gpu.id }],
    bytes: needed,
    how: `Nothing smaller fits this GPU; the ${gpu.name} has room for the run as it is (about ${formatBytes(needed)}).`,
  };
}
