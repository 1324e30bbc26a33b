// trainLora: LoRA fine-tuning of a frozen base model on chats, with a seeded
// train/validation split, periodic validation, metrics and checkpoint
// callbacks, cooperative interrupt/cancel, and exact resume from a checkpoint.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { initBackend } from "./backend";
import { makeBatch, maskedCrossEntropy, type Batch, type Example } from "./batch";
import { applyChatTemplate, type Chat } from "./chat";
import { parseLlamaConfig } from "./config";
import { saveCheckpoint, type TrainingCheckpoint } from "./checkpoint";
import { evaluateExamples } from "./evaluate";
import { TrainingConfigError } from "./errors";
import { DEFAULT_TARGET_MODULES, LoraAdapter } from "./lora";
import { checkMemory } from "./memory";
import { type MetricPoint, MetricsRecorder, type MetricsSummary } from "./metrics";
import { LlamaModel, PROJECTIONS, type Projection } from "./model";
import { AdamW, learningRateAt } from "./optimizer";
import { deriveSeed, hashString, Prng } from "./prng";
import { accumulatedStep } from "./step";
import { BpeTokenizer } from "./tokenizer";

export interface LoraHyperparameters {
  rank: number;
  alpha: number;
  dropout: number;
  learningRate: number;
  epochs: number;
  /** Examples per forward pass (a micro-batch); the memory a step needs grows with it. */
  batchSize: number;
  /** Micro-batches whose gradients make one optimizer step: the effective batch is batchSize × this. */
  gradientAccumulationSteps: number;
  maxSeqLength: number;
  warmupRatio: number;
  weightDecay: number;
  /** Max global gradient norm; null disables clipping. */
  gradientClip: number | null;
  targetModules: Projection[];
  seed: number;
  /** Steps between checkpoints; clamped so a run yields at least 3 before the end. */
  checkpointEvery: number;
  /** Steps between validation passes; default ~10 per run. */
  evalEvery?: number;
  scheduler: "cosine" | "linear" | "constant";
  validationFraction: number;
}

export const DEFAULT_HYPERPARAMETERS: LoraHyperparameters = {
  rank: 8,
  alpha: 16,
  dropout: 0.05,
  learningRate: 2e-4,
  epochs: 3,
  batchSize: 8,
  gradientAccumulationSteps: 1,
  maxSeqLength: 128,
  warmupRatio: 0.03,
  weightDecay: 0,
  gradientClip: 1,
  targetModules: DEFAULT_TARGET_MODULES,
  seed: 42,
  checkpointEvery: 100,
  scheduler: "cosine",
  validationFraction: 0.2,
};

/** Lifecycle stages, named like the job states the server tracks. */
export type TrainingStage = "PREPROCESSING" | "MODEL_LOADING" | "TRAINING" | "VALIDATION" | "FINALIZATION";
export type StopSignal = "interrupt" | "cancel" | null | undefined;

export interface TrainLoraOptions {
  /** Directory with config.json, model.safetensors and tokenizer.json. */
  baseModelDir: string;
  /** The base model's name, recorded in adapter_config.json (a path of this machine would mean nothing elsewhere); the folder's name when unset. */
  baseModelName?: string;
  chats: Chat[];
  hyperparameters?: Partial<LoraHyperparameters>;
  resumeFrom?: TrainingCheckpoint;
  /** Refuse up front (OutOfMemoryError) when the estimate exceeds this. */
  memoryLimitBytes?: number;
  /** When set, the final adapter (PEFT files) and metrics.json are written here. */
  outputDir?: string;
  /** When set, every checkpoint (periodic and on interrupt) is also written to <checkpointDir>/checkpoint-<step>. */
  checkpointDir?: string;
  onStage?(stage: TrainingStage, detail: string): void | Promise<void>;
  onMetrics?(points: MetricPoint[]): void | Promise<void>;
  onCheckpoint?(checkpoint: TrainingCheckpoint): void | Promise<void>;
  /** Polled before every step. */
  shouldStop?(): StopSignal | Promise<StopSignal>;
}

export type TrainLoraResult =
  | { status: "completed"; step: number; adapter: LoraAdapter; summary: MetricsSummary }
  | { status: "interrupted"; step: number; checkpoint: TrainingCheckpoint }
  | { status: "cancelled"; step: number };

function resolveHyperparameters(h: Partial<LoraHyperparameters> = {}): LoraHyperparameters {
  const hp = { ...DEFAULT_HYPERPARAMETERS, ...Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) };
  const positive = ["rank", "alpha", "learningRate", "epochs", "batchSize", "gradientAccumulationSteps", "maxSeqLength"] as const;
  for (const k of positive) if (!(hp[k] > 0)) throw new TrainingConfigError(`${k} must be positive`, k);
  if (!Number.isInteger(hp.gradientAccumulationSteps))
    throw new TrainingConfigError("gradientAccumulationSteps must be a whole number", "gradientAccumulationSteps");
  if (!(hp.dropout >= 0 && hp.dropout < 1)) throw new TrainingConfigError("dropout must be in [0, 1)", "dropout");
  if (!(hp.warmupRatio >= 0 && hp.warmupRatio <= 1)) throw new TrainingConfigError("warmupRatio must be in [0, 1]", "warmupRatio");
  if (!(hp.validationFraction >= 0 && hp.validationFraction < 1))
    throw new TrainingConfigError("validationFraction must be in [0, 1)", "validationFraction");
  const bad = hp.targetModules.filter((m) => !(PROJECTIONS as readonly string[]).includes(m));
  if (bad.length || hp.targetModules.length === 0)
    throw new TrainingConfigError(`targetModules must be a non-empty subset of ${PROJECTIONS.join(", ")}`, "targetModules");
  return hp;
}

/** Seeded split of conversation indices: ~validationFraction held out (at least one when there are two or more). */
export function splitIndices(n: number, fraction: number, seed: number): { train: number[]; val: number[] } {
  const order = new Prng(deriveSeed(seed, 0x5b1)).shuffle(Array.from({ length: n }, (_, i) => i));
  const nVal = fraction > 0 && n >= 2 ? Math.max(1, Math.round(n * fraction)) : 0;
  return { val: order.slice(0, nVal).sort((a, b) => a - b), train: order.slice(nVal).sort((a, b) => a - b) };
}

/** Truncate to the model's window (+1 for the shifted target) and drop examples with nothing to learn. */
function prepare(tok: BpeTokenizer, chats: Chat[], maxSeqLength: number): Example[] {
  return chats
    .map((c) => applyChatTemplate(tok, c))
    .map((e) => ({ ids: e.ids.slice(0, maxSeqLength + 1), mask: e.mask.slice(0, maxSeqLength + 1) }))
    .filter((e) => e.mask.slice(1).some((m) => m === 1));
}

interface RunPlan {
  /** maxSeqLength capped at the model's context window. */
  seqLength: number;
  /** Conversations dropped because no assistant token survived truncation. */
  dropped: number;
  train: Example[];
  val: Example[];
  /** Examples per optimizer step: batchSize × gradientAccumulationSteps. */
  effectiveBatch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  warmupSteps: number;
  checkpointEvery: number;
  evalEvery: number;
  fingerprint: string;
}

function planRun(tok: BpeTokenizer, model: LlamaModel, chats: Chat[], hp: LoraHyperparameters): RunPlan {
  const split = splitIndices(chats.length, hp.validationFraction, hp.seed);
  const seqLength = Math.min(hp.maxSeqLength, model.config.max_position_embeddings);
  const train = prepare(
    tok,
    split.train.map((i) => chats[i]),
    seqLength,
  );
  const val = prepare(
    tok,
    split.val.map((i) => chats[i]),
    seqLength,
  );
  if (train.length === 0) throw new TrainingConfigError("no training conversation has an assistant reply within maxSeqLength", "chats");
  const effectiveBatch = hp.batchSize * hp.gradientAccumulationSteps;
  const stepsPerEpoch = Math.ceil(train.length / effectiveBatch);
  const totalSteps = stepsPerEpoch * hp.epochs;
  return {
    seqLength,
    dropped: chats.length - train.length - val.length,
    train,
    val,
    effectiveBatch,
    stepsPerEpoch,
    totalSteps,
    warmupSteps: Math.round(totalSteps * hp.warmupRatio),
    // Small datasets would otherwise finish before the first checkpoint: keep at least 3 intermediate ones.
    checkpointEvery: Math.max(1, Math.min(hp.checkpointEvery, Math.floor(totalSteps / 4))),
    evalEvery: Math.max(1, hp.evalEvery ?? Math.ceil(totalSteps / 10)),
    // Checkpoint cadence does not change the result, so it may differ on resume.
    fingerprint: hashString(JSON.stringify({ hp: { ...hp, checkpointEvery: 0, evalEvery: 0 }, data: chats, base: model.config })),
  };
}

export async function trainLora(options: TrainLoraOptions): Promise<TrainLoraResult> {
  await initBackend();
  const hp = resolveHyperparameters(options.hyperparameters);
  const stage = async (s: TrainingStage, detail: string) => options.onStage?.(s, detail);
  if (options.memoryLimitBytes !== undefined) {
    const config = parseLlamaConfig(JSON.parse(await readFile(join(options.baseModelDir, "config.json"), "utf8")));
    checkMemory({
      config,
      batchSize: hp.batchSize,
      gradientAccumulationSteps: hp.gradientAccumulationSteps,
      seqLength: Math.min(hp.maxSeqLength, config.max_position_embeddings),
      rank: hp.rank,
      targetModules: hp.targetModules,
      limitBytes: options.memoryLimitBytes,
    });
  }

  await stage("MODEL_LOADING", `loading ${options.baseModelDir}`);
  const tok = await BpeTokenizer.load(options.baseModelDir);
  const model = await LlamaModel.load(options.baseModelDir);
  let adapter: LoraAdapter | null = null;
  let optimizer: AdamW | null = null;
  let completed = false;
  try {
    await stage("PREPROCESSING", `tokenizing ${options.chats.length} conversations`);
    const plan = planRun(tok, model, options.chats, hp);
    const { train, val, stepsPerEpoch, totalSteps } = plan;
    const dropped = plan.dropped ? `, ${plan.dropped} dropped (no assistant tokens within ${plan.seqLength})` : "";
    await stage(
      "PREPROCESSING",
      `${train.length} training / ${val.length} validation conversations${dropped}, ${totalSteps} steps of ${describeBatch(hp)} x ≤${plan.seqLength} tokens`,
    );

    const loraConfig = {
      r: hp.rank,
      alpha: hp.alpha,
      dropout: hp.dropout,
      targetModules: hp.targetModules,
      baseModelNameOrPath: options.baseModelName ?? basename(options.baseModelDir),
    };
    const resume = options.resumeFrom;
    if (resume && resume.fingerprint !== plan.fingerprint) {
      throw new TrainingConfigError("checkpoint was made with different data or hyperparameters", "resumeFrom");
    }
    const lora = (adapter = resume
      ? LoraAdapter.fromPeftTensors(model.config, loraConfig, resume.adapter.tensors)
      : LoraAdapter.create(model.config, loraConfig, hp.seed));
    const vars = lora.namedVariables();
    const opt = (optimizer = new AdamW(vars, { weightDecay: hp.weightDecay }));
    if (resume) opt.setState(resume.optimizer);

    const rng = new Prng(resume ? resume.dataRngState : deriveSeed(hp.seed, 0xda7a));
    let step = resume?.step ?? 0;
    let epoch = resume?.epoch ?? 0;
    let stepInEpoch = resume?.stepInEpoch ?? 0;
    let epochRngState = rng.state;
    let order = rng.shuffle(train.map((_, i) => i));
    const metrics = new MetricsRecorder(totalSteps, step, resume?.elapsedSeconds ?? 0, resume?.tokensSeen ?? 0);
    let lastTrainLoss = resume?.trainLoss ?? null;
    let lastValLoss = resume?.valLoss ?? null;

    const validate = async (final: boolean): Promise<void> => {
      if (val.length === 0) return;
      // Periodic passes are only metrics; the stage marks the final evaluation.
      if (final) await stage("VALIDATION", `final validation on ${val.length} conversations`);
      const r = evaluateExamples(model, lora, val, { batchSize: hp.batchSize, maxSeqLength: plan.seqLength });
      lastValLoss = r.loss;
      await options.onMetrics?.(metrics.validation(step, epoch + stepInEpoch / stepsPerEpoch, r.loss));
    };
    const checkpoint = async (): Promise<TrainingCheckpoint> => {
      const c = snapshot();
      if (options.checkpointDir) await saveCheckpoint(c, join(options.checkpointDir, `checkpoint-${c.step}`));
      await options.onCheckpoint?.(c);
      return c;
    };
    const snapshot = (): TrainingCheckpoint => ({
      version: 1,
      step,
      totalSteps,
      epoch,
      stepInEpoch,
      dataRngState: epochRngState,
      fingerprint: plan.fingerprint,
      adapter: { config: loraConfig, tensors: lora.toPeftTensors() },
      optimizer: opt.getState(),
      trainLoss: lastTrainLoss,
      valLoss: lastValLoss,
      tokensSeen: metrics.tokensSeen,
      elapsedSeconds: metrics.elapsedSeconds(),
    });

    await stage("TRAINING", resume ? `resuming at step ${step}/${totalSteps}` : `training ${totalSteps} steps`);
    while (step < totalSteps) {
      const signal = await options.shouldStop?.();
      if (signal === "cancel") return { status: "cancelled", step };
      if (signal === "interrupt") return { status: "interrupted", step, checkpoint: await checkpoint() };
      const started = performance.now();
      const ids = order.slice(stepInEpoch * plan.effectiveBatch, (stepInEpoch + 1) * plan.effectiveBatch);
      const micro: Batch[] = [];
      for (let i = 0; i < ids.length; i += hp.batchSize)
        micro.push(
          makeBatch(
            ids.slice(i, i + hp.batchSize).map((j) => train[j]),
            plan.seqLength,
            tok.special("<|pad|>"),
          ),
        );
      const lossTokens = micro.reduce((n, b) => n + b.lossTokens, 0);
      const lr = learningRateAt(step, { peak: hp.learningRate, warmupSteps: plan.warmupSteps, totalSteps, kind: hp.scheduler });
      const { loss, gradNorm } = accumulatedStep(
        micro.map((batch, k) => ({
          loss: () => {
            // Dropout masks depend only on (seed, step, micro-batch): an interrupted run redraws the same ones.
            lora.dropoutSeed = k === 0 ? deriveSeed(hp.seed, step) : deriveSeed(hp.seed, step, k);
            return maskedCrossEntropy(
              model.forward(batch.inputIds, batch.batch, batch.seqLen, { hook: lora }),
              batch.targets,
              batch.lossMask,
            );
          },
          // Each micro-batch counts as its share of the step's loss tokens: the mean over the whole effective batch.
          weight: lossTokens > 0 ? batch.lossTokens / lossTokens : 1 / micro.length,
        })),
        vars,
        opt,
        lr,
        hp.gradientClip,
      );
      lora.dropoutSeed = null;
      if (!Number.isFinite(loss))
        throw new TrainingConfigError(`loss became ${loss} at step ${step}: lower the learning rate`, "learningRate");
      step++;
      stepInEpoch++;
      if (stepInEpoch === stepsPerEpoch) {
        epoch++;
        stepInEpoch = 0;
        epochRngState = rng.state;
        order = rng.shuffle(train.map((_, i) => i));
      }
      lastTrainLoss = loss;
      const seconds = (performance.now() - started) / 1000;
      await options.onMetrics?.(
        metrics.trainStep({
          step,
          epoch: epoch + stepInEpoch / stepsPerEpoch,
          loss,
          lr,
          gradNorm,
          seconds,
          tokens: micro.reduce((n, b) => n + b.tokens, 0),
          samples: ids.length,
        }),
      );
      if (step % plan.evalEvery === 0 && step < totalSteps) await validate(false);
      if (step % plan.checkpointEvery === 0 && step < totalSteps) await checkpoint();
    }

    await validate(true);
    await stage("FINALIZATION", "saving adapter");
    const summary = metrics.summary(lastTrainLoss, lastValLoss);
    if (options.outputDir) {
      await lora.save(options.outputDir);
      await writeMetricsJson(options.outputDir, summary, metrics.points);
    }
    completed = true;
    return { status: "completed", step, adapter: lora, summary };
  } finally {
    // The caller owns the adapter of a completed run; everything else is released here.
    optimizer?.dispose();
    if (!completed) adapter?.dispose();
    model.dispose();
  }
}

/** "8", or "2 × 4 accumulated" when gradients are accumulated. */
function describeBatch(hp: LoraHyperparameters): string {
  return hp.gradientAccumulationSteps > 1 ? `${hp.batchSize} × ${hp.gradientAccumulationSteps} accumulated` : `${hp.batchSize}`;
}

export async function writeMetricsJson(dir: string, summary: MetricsSummary, points: MetricPoint[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "metrics.json"), `${JSON.stringify({ summary, points })}\n`);
}
