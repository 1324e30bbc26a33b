// The training thread of one job: builds (or finds) the base model, trains
// with the engine, checkpoints, and compares the adapter with the base model
// on the held-out split. Everything it learns goes to the main thread as messages.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import {
  DEFAULT_HYPERPARAMETERS,
  defaultBaseModelDir,
  ensureBaseModel,
  evaluatePerplexity,
  LlamaModel,
  BpeTokenizer,
  splitIndices,
  trainLora,
  type Chat,
  type LoraAdapter,
  type LoraHyperparameters,
  type TrainingCheckpoint,
} from "@tuneloop/engine";
import { packCheckpoint, unpackCheckpoint } from "./checkpointArchive";
import { describeFailure } from "./failures";
import { STOP, type Evaluation, type TrainingMessage, type TrainingRequest } from "./trainingProtocol";

const post = (message: TrainingMessage) => parentPort!.postMessage(message);
// The engine tells the run's length only in its stage messages ("… 24 steps", "resuming at step 6/24").
const stepsIn = (detail: string) => Number(detail.match(/(\d+) steps$/)?.[1] ?? detail.match(/\/(\d+)$/)?.[1]) || null;

/** Held-out perplexity of the base model and of the adapted one, on the run's own validation split. */
async function compareWithBase(
  baseModelDir: string,
  chats: Chat[],
  hp: Partial<LoraHyperparameters>,
  adapter: LoraAdapter,
): Promise<Evaluation> {
  const { val } = splitIndices(chats.length, DEFAULT_HYPERPARAMETERS.validationFraction, hp.seed ?? DEFAULT_HYPERPARAMETERS.seed);
  if (val.length === 0) return { baseValPerplexity: null, adaptedValPerplexity: null, validationConversations: 0, validationTokens: null };
  const model = await LlamaModel.load(baseModelDir);
  try {
    const tok = await BpeTokenizer.load(baseModelDir);
    const held = val.map((i) => chats[i]);
    const options = { maxSeqLength: hp.maxSeqLength, batchSize: hp.batchSize };
    const base = evaluatePerplexity(model, tok, held, options);
    const adapted = evaluatePerplexity(model, tok, held, { ...options, adapter });
    return {
      baseValPerplexity: base.perplexity,
      adaptedValPerplexity: adapted.perplexity,
      validationConversations: held.length,
      validationTokens: base.tokens,
    };
  } finally {
    model.dispose();
  }
}

async function train(request: TrainingRequest) {
  const stop = new Int32Array(request.stop);
  const { name, size } = request.baseModel;
  const baseModelDir = await ensureBaseModel(defaultBaseModelDir(size), {
    size,
    onProgress: ({ step, steps, secondsLeft }) => post({ type: "baseModelBuild", step, steps, secondsLeft }),
  });
  const hyperparameters = { ...request.hyperparameters };
  const context = JSON.parse(await readFile(join(baseModelDir, "config.json"), "utf8")).max_position_embeddings as number;
  if ((hyperparameters.maxSeqLength ?? 0) > context) {
    post({
      type: "log",
      message: `maxSeqLength ${hyperparameters.maxSeqLength} is longer than ${name}'s context; training with ${context}`,
    });
    hyperparameters.maxSeqLength = context;
  }
  let resumeFrom: TrainingCheckpoint | undefined;
  if (request.resumeArchive) resumeFrom = await unpackCheckpoint(request.resumeArchive, join(request.workDir, "resume"));
  let totalSteps: number | null = null;
  const epochs = hyperparameters.epochs ?? DEFAULT_HYPERPARAMETERS.epochs;
  const outputDir = join(request.workDir, "output");

  const result = await trainLora({
    baseModelDir,
    baseModelName: name,
    chats: request.chats,
    hyperparameters,
    resumeFrom,
    outputDir,
    memoryLimitBytes: request.memoryLimitBytes ?? undefined,
    onStage: (stage, detail) => {
      totalSteps = stepsIn(detail) ?? totalSteps;
      post({
        type: "stage",
        stage,
        detail,
        totalSteps,
        resumedFrom: resumeFrom?.step ?? null,
        priorSeconds: resumeFrom?.elapsedSeconds ?? 0,
      });
    },
    onMetrics: (points) => post({ type: "metrics", points }),
    onCheckpoint: async (checkpoint) => {
      const folder = join(request.filesDir, randomUUID());
      mkdirSync(folder, { mode: 0o700 });
      const archive = join(folder, `checkpoint-${String(checkpoint.step).padStart(6, "0")}.tar.gz`);
      await packCheckpoint(checkpoint, join(request.workDir, "checkpoint"), archive);
      const stepsPerEpoch = checkpoint.totalSteps / epochs;
      post({
        type: "checkpoint",
        step: checkpoint.step,
        epoch: checkpoint.epoch + checkpoint.stepInEpoch / stepsPerEpoch,
        trainLoss: checkpoint.trainLoss,
        valLoss: checkpoint.valLoss,
        archive,
      });
    },
    shouldStop: () => (Atomics.load(stop, 0) === STOP.cancel ? "cancel" : Atomics.load(stop, 0) === STOP.interrupt ? "interrupt" : null),
  });
  if (result.status !== "completed") return post({ type: "finished", status: result.status, step: result.step });
  const evaluation = await compareWithBase(baseModelDir, request.chats, hyperparameters, result.adapter);
  result.adapter.dispose();
  post({ type: "finished", status: "completed", step: result.step, summary: result.summary, evaluation, outputDir });
}

train(workerData as TrainingRequest).catch((error) => post({ type: "failed", failure: describeFailure(error) }));
