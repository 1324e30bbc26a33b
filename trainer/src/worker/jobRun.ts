// One claimed job, start to finish. The engine trains in a worker thread; this
// (main) thread keeps the lease alive, watches for signals, cancellation and
// limits, and turns what the thread reports into queued reports — so the
// server being away never stops the training, and a SIGTERM is seen at once.
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { isBaseModelBuilt, parseChatJsonl, type MetricPoint } from "@tuneloop/engine";
import { NetworkError, RefusedError, type ServerClient, unwrap } from "./api";
import { describeFailure, JobTimeoutError, ServerUnreachableError, type FailureReport, type StepTiming } from "./failures";
import type { ClaimTrainingJobMutation } from "./graphql/graphql";
import { checkJobMemory, hyperparametersOf, modelSizeOf, parseJobConfig } from "./jobConfig";
import { HeartbeatTrainingJob } from "./operations";
import type { MetricPointReport, Report, ReportQueue, StageStatus } from "./reportQueue";
import { STOP, type TrainingMessage, type TrainingRequest } from "./trainingProtocol";

export type Claim = NonNullable<
  Extract<ClaimTrainingJobMutation["claimTrainingJob"], { __typename: "ClaimTrainingJobSuccess" }>["data"]["claim"]
>;

export type RunOptions = {
  /** Names the worker in failure reports ("where it ran"). */
  workerId: string;
  stateDir: string;
  memoryBudgetMb: number | null;
  maxDurationSeconds: number | null;
  offlineDeadlineSeconds: number;
  metricsEverySteps: number;
  validationFollows: boolean;
  log: (message: string) => void;
};

/** Why training stops early. */
type StopReason = "interrupt" | "cancel" | "lost" | "timeout" | "offline";
export type JobOutcome = "completed" | "failed" | "interrupted" | "cancelled" | "lost";

const ADAPTER_FILES = {
  adapter_model: "adapter_model.safetensors",
  adapter_config: "adapter_config.json",
  metrics: "metrics.json",
} as const;
const LIMITS_EVERY_MS = 250;
/** Lines of a job's output kept for its failure report (the server takes at most 200). */
const OUTPUT_LINES_KEPT = 100;
/** A base model build is reported at each tenth of it (and once more when its pace gives the time left). */
const BUILD_REPORT_PERCENT = 10;

const aboutDuration = (seconds: number) =>
  seconds < 90 ? `about ${Math.max(5, Math.round(seconds / 5) * 5)} s` : `about ${Math.round(seconds / 60)} min`;

// The engine's metric names, as the server's charts know them.
const METRIC_NAMES: Record<string, { name: string; scale?: number }> = {
  train_loss: { name: "train_loss" },
  val_loss: { name: "val_loss" },
  perplexity: { name: "perplexity" },
  learning_rate: { name: "learning_rate" },
  grad_norm: { name: "grad_norm" },
  tokens_per_second: { name: "tokens_per_sec" },
  samples_per_second: { name: "samples_per_sec" },
  memory_rss_bytes: { name: "memory_mb", scale: 1 / 2 ** 20 },
  epoch: { name: "epoch" },
  eta_seconds: { name: "eta_seconds" },
};

export class JobRun {
  private stop: StopReason | null = null;
  private readonly jobId: string;
  private readonly workDir: string;
  private readonly started = Date.now();
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  /** Seconds this job may train in all (this run and those before a resume); null: no limit. */
  private limitSeconds: number | null = null;
  private priorSeconds = 0;
  private training = false;
  /** When this run's first step began, and at which step: the step time a timeout's fix is sized from. */
  private trainingStarted: { at: number; step: number } | null = null;
  private step: number;
  private totalSteps: number | null = null;
  private metrics: MetricPointReport[] = [];
  private metricSteps = new Set<number>();
  /** The base model build's last reported tenth, whether its time left was reported yet, and when it was last reported. */
  private build = { reportedTenth: -1, estimated: false, reportedAt: 0 };
  private onStop: () => void = () => {};
  /** This job's last lines of output, sent with a failure for the error log a support ticket gets. */
  private outputLines: string[] = [];
  private cpuSample = { usage: process.cpuUsage(), at: performance.now() };

  constructor(
    private readonly client: ServerClient,
    private readonly queue: ReportQueue,
    private readonly claim: Claim,
    private readonly options: RunOptions,
  ) {
    this.jobId = claim.job.id;
    this.workDir = join(options.stateDir, "jobs", this.jobId);
    this.step = claim.resumeFrom?.step ?? 0;
    queue.raiseSequence(this.jobId, claim.lastSequence);
  }

  /** SIGTERM: checkpoint at the next step, report the interruption, stop. */
  requestInterrupt() {
    this.requestStop("interrupt");
  }

  private requestStop(reason: StopReason) {
    // A cancellation wins over everything; otherwise the first reason stands.
    if (this.stop !== null && reason !== "cancel") return;
    this.stop = reason;
    Atomics.store(this.stopFlag, 0, reason === "cancel" ? STOP.cancel : STOP.interrupt);
    this.onStop();
  }

  private say(line: string) {
    this.options.log(line);
    this.outputLines.push(`${new Date().toISOString()} ${line}`);
    if (this.outputLines.length > OUTPUT_LINES_KEPT) this.outputLines.shift();
  }

  private report(report: Report) {
    return this.queue.enqueue(this.jobId, this.claim.trainerToken, report);
  }

  private status(status: StageStatus, message: string, stage?: { percent: number; secondsLeft: number | null; unbilledSeconds?: number }) {
    return this.report({
      type: "status",
      status,
      message,
      totalSteps: this.totalSteps,
      ...(stage && { stagePercent: stage.percent, stageSecondsLeft: stage.secondsLeft }),
      ...(stage?.unbilledSeconds && { unbilledSeconds: stage.unbilledSeconds }),
    });
  }

  /** Progress of the base model build, in the job's stage card and event log (and this worker's log). */
  private async reportBuild(baseModel: string, step: number, steps: number, secondsLeft: number | null) {
    const percent = Math.floor((100 * step) / steps);
    const tenth = Math.floor(percent / BUILD_REPORT_PERCENT);
    const firstEstimate = secondsLeft !== null && !this.build.estimated;
    if (tenth === this.build.reportedTenth && !firstEstimate) return;
    // The build is the demo's own one-time work, not the job's: its time since the last report is not billed.
    const now = performance.now();
    const unbilledSeconds = this.build.reportedAt ? (now - this.build.reportedAt) / 1000 : 0;
    this.build = { reportedTenth: tenth, estimated: this.build.estimated || secondsLeft !== null, reportedAt: now };
    const message = `Building the demo base model ${baseModel} (first use; cached afterwards): ${percent}%${secondsLeft === null || step === steps ? "" : `, ${aboutDuration(secondsLeft)} left`}`;
    this.say(`job ${this.jobId}: ${message}`);
    await this.status("MODEL_LOADING", message, { percent, secondsLeft, unbilledSeconds });
  }

  /** The process's CPU time since the last sample over the wall time since, in percent of one core (threads can take it past 100). */
  private cpuPercent(): number {
    const now = performance.now();
    const used = process.cpuUsage(this.cpuSample.usage);
    const wallMicros = (now - this.cpuSample.at) * 1000;
    this.cpuSample = { usage: process.cpuUsage(), at: now };
    return wallMicros > 0 ? Math.round((1000 * (used.user + used.system)) / wallMicros) / 10 : 0;
  }

  private async flushMetrics() {
    if (this.metrics.length === 0) return;
    const points = this.metrics;
    this.metrics = [];
    this.metricSteps.clear();
    await this.report({ type: "metrics", points });
  }

  private async addMetrics(points: MetricPoint[]) {
    for (const p of points) {
      const mapped = METRIC_NAMES[p.name];
      if (!mapped) continue;
      this.metrics.push({ name: mapped.name, step: p.step, value: p.value * (mapped.scale ?? 1), epoch: p.epoch, wallTime: p.wallTime });
      // This worker has no GPU: what it measures is the process's CPU (beside its RSS, memory_mb), once per step.
      if (p.name === "memory_rss_bytes")
        this.metrics.push({ name: "cpu_percent", step: p.step, value: this.cpuPercent(), epoch: p.epoch, wallTime: p.wallTime });
      this.metricSteps.add(p.step);
      this.step = Math.max(this.step, p.step);
    }
    if (this.metricSteps.size >= this.options.metricsEverySteps) await this.flushMetrics();
  }

  private checkLimits() {
    if (this.limitSeconds !== null && this.priorSeconds + (Date.now() - this.started) / 1000 > this.limitSeconds)
      this.requestStop("timeout");
    if (this.queue.unreachableForMs() > this.options.offlineDeadlineSeconds * 1000) this.requestStop("offline");
  }

  /** Heartbeats renew the lease and bring news of a cancellation or of the job being taken back. */
  private startWatch(): () => void {
    const leaseMs = new Date(this.claim.leaseExpiresAt).getTime() - Date.now();
    let busy = false;
    const beat = async () => {
      if (busy) return;
      busy = true;
      try {
        const data = unwrap(
          (await this.client.request(HeartbeatTrainingJob, { jobId: this.jobId }, this.claim.trainerToken)).heartbeatTrainingJob,
        );
        if (data.cancelRequested) this.requestStop("cancel");
        // No renewed lease: the server took the job back (unless this worker's own completion report moved it on).
        else if (data.leaseExpiresAt === null && data.status !== "VALIDATION" && data.status !== "COMPLETED") this.requestStop("lost");
      } catch (error) {
        // Unreachable: train on, the reports wait in the queue. Refused: the job is someone else's now.
        if (error instanceof RefusedError) this.requestStop("lost");
      } finally {
        busy = false;
      }
    };
    const heartbeats = setInterval(beat, Math.min(10_000, Math.max(500, leaseMs / 3)));
    const limits = setInterval(() => this.checkLimits(), LIMITS_EVERY_MS);
    return () => {
      clearInterval(heartbeats);
      clearInterval(limits);
    };
  }

  async run(): Promise<JobOutcome> {
    const stopWatching = this.startWatch();
    await mkdir(this.workDir, { recursive: true });
    try {
      const outcome = await this.execute();
      // Stay the job's holder (heartbeats) until the server has everything.
      while (outcome === "completed" && !(await this.queue.drain(1000)) && this.stop === null);
      return outcome;
    } catch (error) {
      if (this.stop === "cancel") return "cancelled";
      if (this.stop === "lost") return "lost";
      return this.fail(describeFailure(error));
    } finally {
      stopWatching();
      await rm(this.workDir, { recursive: true, force: true });
    }
  }

  private async fail(failure: FailureReport): Promise<JobOutcome> {
    this.say(`job ${this.jobId} failed: ${failure.errorType}: ${failure.message}`);
    await this.flushMetrics();
    const facts = failure.facts && { where: `worker "${this.options.workerId}"`, ...failure.facts };
    const stack = typeof failure.details.stack === "string" ? failure.details.stack.split("\n") : [];
    await this.report({ type: "error", ...failure, facts, outputLines: [...this.outputLines, ...stack].slice(-OUTPUT_LINES_KEPT) });
    return "failed";
  }

  private timing(): StepTiming | null {
    const started = this.trainingStarted;
    if (!started || this.step <= started.step) return null;
    const now = Date.now();
    return { overheadSeconds: (started.at - this.started) / 1000, secondsPerStep: (now - started.at) / 1000 / (this.step - started.step) };
  }

  /** Ends the run for a stop that came before or instead of the engine's own answer. */
  private async stopped(): Promise<JobOutcome> {
    switch (this.stop) {
      case "interrupt":
        await this.report({ type: "interrupted", step: this.step, reason: "worker stopped (SIGTERM, e.g. spot interruption)" });
        this.say(`job ${this.jobId}: interrupted at step ${this.step}`);
        return "interrupted";
      case "timeout":
        throw new JobTimeoutError(this.limitSeconds!, this.step, this.totalSteps, this.timing());
      case "offline":
        throw new ServerUnreachableError(this.queue.unreachableForMs() / 1000, this.step);
      case "cancel":
        return "cancelled";
      default:
        return "lost";
    }
  }

  /** The checkpoint to resume from, retried while the server is away (up to the offline deadline). */
  private async downloadCheckpoint(url: string, path: string, sha256: string) {
    const since = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.download(url, path, sha256);
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        if (this.stop) return; // the caller ends the run for the stop
        const away = (Date.now() - since) / 1000;
        if (away > this.options.offlineDeadlineSeconds) throw new ServerUnreachableError(away, this.step);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  }

  private async execute(): Promise<JobOutcome> {
    const config = parseJobConfig(this.claim.job.config);
    const limits = [config.maxDurationSeconds, this.options.maxDurationSeconds].filter((s): s is number => typeof s === "number");
    this.limitSeconds = limits.length ? Math.min(...limits) : null;

    await this.status("PREPROCESSING", `Reading the dataset (${Buffer.byteLength(this.claim.datasetContent)} bytes)`);
    const chats = parseChatJsonl(this.claim.datasetContent);
    let resumeArchive: string | null = null;
    if (this.claim.resumeFrom) {
      resumeArchive = join(this.workDir, "resume.tar.gz");
      await this.downloadCheckpoint(this.claim.resumeFrom.downloadUrl, resumeArchive, this.claim.resumeFrom.sha256);
      this.say(`job ${this.jobId}: resuming from the checkpoint at step ${this.claim.resumeFrom.step}`);
    }
    const size = modelSizeOf(config.baseModel);
    if (this.options.memoryBudgetMb !== null) checkJobMemory(config, this.options.memoryBudgetMb * 2 ** 20);
    if (this.stop) return this.stopped();
    // A first use builds the base model (minutes): say so at once, so the stage's estimate counts it.
    if (await isBaseModelBuilt(size)) await this.status("MODEL_LOADING", `Loading base model ${config.baseModel}`);
    else await this.reportBuild(config.baseModel, 0, 1, null);

    const request: TrainingRequest = {
      baseModel: { name: config.baseModel, size },
      chats,
      hyperparameters: hyperparametersOf(config),
      resumeArchive,
      memoryLimitBytes: this.options.memoryBudgetMb === null ? null : this.options.memoryBudgetMb * 2 ** 20,
      workDir: this.workDir,
      filesDir: join(this.options.stateDir, "files"),
      stop: this.stopFlag.buffer as SharedArrayBuffer,
    };
    const finished = await this.train(request);
    await this.flushMetrics();
    if (finished.type === "failed") return this.fail(finished.failure);
    if (finished.status !== "completed") return this.stopped();

    for (const [kind, name] of Object.entries(ADAPTER_FILES)) {
      const file = this.queue.fileSlot(name);
      await rename(join(finished.outputDir, name), file);
      await this.report({ type: "artifact", kind, file });
    }
    await this.report({
      type: "completed",
      summary: { ...finished.summary, ...finished.evaluation },
      validationFollows: this.options.validationFollows,
    });
    const { baseValPerplexity: base, adaptedValPerplexity: adapted } = finished.evaluation;
    this.say(
      `job ${this.jobId}: completed ${finished.step} steps in ${finished.summary.durationSeconds.toFixed(1)} s; ` +
        `validation perplexity ${base?.toFixed(2)} (base) → ${adapted?.toFixed(2)} (adapted)`,
    );
    return "completed";
  }

  /**
   * Runs the training thread to its end. Before training starts (base model,
   * checkpoint) there is no step to checkpoint at: a stop ends the thread at once.
   */
  private train(request: TrainingRequest): Promise<Extract<TrainingMessage, { type: "finished" | "failed" }>> {
    const thread = new Worker(new URL("./trainingThread.mjs", import.meta.url), { workerData: request });
    // Messages are handled one after another, in the order the thread sent them.
    let handling: Promise<unknown> = Promise.resolve();
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (result: Extract<TrainingMessage, { type: "finished" | "failed" }>) => {
        settled = true;
        void thread.terminate();
        resolve(result);
      };
      this.onStop = () => {
        if (!this.training) settle({ type: "finished", status: "interrupted", step: this.step });
      };
      thread.on("message", (message: TrainingMessage) => {
        handling = handling.then(() => this.handle(message, settle)).catch(reject);
      });
      thread.on("error", (error) => !settled && settle({ type: "failed", failure: describeFailure(error) }));
      thread.on("exit", (code) =>
        handling.then(
          () =>
            !settled && settle({ type: "failed", failure: describeFailure(new Error(`the training thread stopped (exit code ${code})`)) }),
        ),
      );
    }).finally(() => (this.onStop = () => {})) as Promise<Extract<TrainingMessage, { type: "finished" | "failed" }>>;
  }

  private async handle(message: TrainingMessage, settle: (result: Extract<TrainingMessage, { type: "finished" | "failed" }>) => void) {
    switch (message.type) {
      case "log":
        this.say(`job ${this.jobId}: ${message.message}`);
        return;
      case "baseModelBuild":
        await this.reportBuild(parseJobConfig(this.claim.job.config).baseModel, message.step, message.steps, message.secondsLeft);
        return;
      case "stage":
        this.totalSteps = message.totalSteps ?? this.totalSteps;
        this.priorSeconds = message.priorSeconds;
        if (message.stage === "TRAINING" && !this.training) {
          this.training = true;
          this.trainingStarted = { at: Date.now(), step: this.step };
          const resumed = message.resumedFrom;
          await this.status(
            "TRAINING",
            resumed === null ? `Training ${this.totalSteps} steps` : `Resuming at step ${resumed} of ${this.totalSteps}`,
          );
          if (resumed !== null) await this.report({ type: "resumed", fromStep: resumed });
        } else if (message.stage === "FINALIZATION") {
          await this.flushMetrics();
          await this.status("FINALIZATION", "Saving the adapter");
        }
        return;
      case "metrics":
        await this.addMetrics(message.points);
        return;
      case "checkpoint":
        await this.flushMetrics();
        await this.report({
          type: "checkpoint",
          step: message.step,
          epoch: message.epoch,
          trainLoss: message.trainLoss,
          valLoss: message.valLoss,
          file: message.archive,
        });
        this.say(`job ${this.jobId}: checkpoint at step ${message.step} queued for upload`);
        return;
      default:
        if (message.type === "finished") this.step = message.step;
        settle(message);
    }
  }
}
