// A resumable training checkpoint: adapter, optimizer moments, counters and
// the data-order PRNG state. On disk it is a PEFT adapter directory (so any
// checkpoint can be loaded as an adapter as-is) plus optimizer.safetensors
// and trainer_state.json, like transformers' Trainer checkpoints.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { peftAdapterConfig, type LoraConfig } from "./lora";
import type { AdamWState } from "./optimizer";
import { readSafetensors, writeSafetensors, type TensorMap } from "./safetensors";

export interface TrainingCheckpoint {
  version: 1;
  /** Optimizer updates completed. */
  step: number;
  totalSteps: number;
  /** Epoch the next step belongs to (0-based) and how many of its batches are done. */
  epoch: number;
  stepInEpoch: number;
  /** Data-order PRNG state at the start of `epoch` (before its shuffle). */
  dataRngState: number;
  /** Hash of data + hyperparameters; resuming with different ones is refused. */
  fingerprint: string;
  adapter: { config: LoraConfig; tensors: TensorMap };
  optimizer: AdamWState;
  trainLoss: number | null;
  valLoss: number | null;
  tokensSeen: number;
  elapsedSeconds: number;
}

const stateSchema = z.object({
  version: z.literal(1),
  step: z.number().int(),
  totalSteps: z.number().int(),
  epoch: z.number().int(),
  stepInEpoch: z.number().int(),
  dataRngState: z.number().int(),
  fingerprint: z.string(),
  optimizerStep: z.number().int(),
  loraConfig: z.object({
    r: z.number(),
    alpha: z.number(),
    dropout: z.number(),
    targetModules: z.array(z.string()),
    baseModelNameOrPath: z.string(),
  }),
  trainLoss: z.number().nullable(),
  valLoss: z.number().nullable(),
  tokensSeen: z.number(),
  elapsedSeconds: z.number(),
});

export async function saveCheckpoint(ckpt: TrainingCheckpoint, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "adapter_config.json"), `${JSON.stringify(peftAdapterConfig(ckpt.adapter.config), null, 2)}\n`);
  await writeSafetensors(join(dir, "adapter_model.safetensors"), ckpt.adapter.tensors, { format: "pt" });
  const moments: TensorMap = {};
  for (const [k, t] of Object.entries(ckpt.optimizer.m)) moments[`m.${k}`] = t;
  for (const [k, t] of Object.entries(ckpt.optimizer.v)) moments[`v.${k}`] = t;
  await writeSafetensors(join(dir, "optimizer.safetensors"), moments);
  const state = {
    version: 1,
    step: ckpt.step,
    totalSteps: ckpt.totalSteps,
    epoch: ckpt.epoch,
    stepInEpoch: ckpt.stepInEpoch,
    dataRngState: ckpt.dataRngState,
    fingerprint: ckpt.fingerprint,
    optimizerStep: ckpt.optimizer.step,
    loraConfig: ckpt.adapter.config,
    trainLoss: ckpt.trainLoss,
    valLoss: ckpt.valLoss,
    tokensSeen: ckpt.tokensSeen,
    elapsedSeconds: ckpt.elapsedSeconds,
  };
  await writeFile(join(dir, "trainer_state.json"), `${JSON.stringify(state, null, 2)}\n`);
}

export async function loadCheckpoint(dir: string): Promise<TrainingCheckpoint> {
  const state = stateSchema.parse(JSON.parse(await readFile(join(dir, "trainer_state.json"), "utf8")));
  const adapter = await readSafetensors(join(dir, "adapter_model.safetensors"));
  const moments = await readSafetensors(join(dir, "optimizer.safetensors"));
  const m: TensorMap = {};
  const v: TensorMap = {};
  for (const [k, t] of Object.entries(moments.tensors)) (k.startsWith("m.") ? m : v)[k.slice(2)] = t;
  return {
    version: 1,
    step: state.step,
    totalSteps: state.totalSteps,
    epoch: state.epoch,
    stepInEpoch: state.stepInEpoch,
    dataRngState: state.dataRngState,
    fingerprint: state.fingerprint,
    adapter: { config: state.loraConfig as LoraConfig, tensors: adapter.tensors },
    optimizer: { step: state.optimizerStep, m, v },
    trainLoss: state.trainLoss,
    valLoss: state.valLoss,
    tokensSeen: state.tokensSeen,
    elapsedSeconds: state.elapsedSeconds,
  };
}
