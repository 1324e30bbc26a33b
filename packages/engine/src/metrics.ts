// Metric points as the server stores them (one value of one named series at
// one step), plus the run summary written to metrics.json.
import { memoryUsage } from "./step";

export interface MetricPoint {
  name: MetricName;
  step: number;
  value: number;
  epoch: number;
  /** Unix seconds when measured. */
  wallTime: number;
}

export type MetricName =
  | "train_loss"
  | "val_loss"
  | "perplexity"
  | "learning_rate"
  | "grad_norm"
  | "tokens_per_second"
  | "samples_per_second"
  | "memory_rss_bytes"
  | "memory_tensor_bytes"
  | "epoch"
  | "eta_seconds";

export interface MetricsSummary {
  steps: number;
  finalTrainLoss: number | null;
  finalValLoss: number | null;
  /** exp(final validation loss). */
  finalPerplexity: number | null;
  bestValLoss: number | null;
  tokensSeen: number;
  durationSeconds: number;
  tokensPerSecond: number;
  peakRssBytes: number;
}

export class MetricsRecorder {
  readonly points: MetricPoint[] = [];
  private readonly started = performance.now();
  private stepSecondsEma: number | null = null;
  private bestVal: number | null = null;
  private peakRss = 0;

  constructor(
    private readonly totalSteps: number,
    private readonly firstStep: number,
    private readonly priorSeconds: number,
    public tokensSeen: number,
  ) {}

  elapsedSeconds(): number {
    return this.priorSeconds + (performance.now() - this.started) / 1000;
  }

  private emit(step: number, epoch: number, values: Partial<Record<MetricName, number>>): MetricPoint[] {
    const wallTime = Date.now() / 1000;
    const out = Object.entries(values).map(([name, value]) => ({ name: name as MetricName, step, value: value!, epoch, wallTime }));
    this.points.push(...out);
    return out;
  }

  trainStep(s: {
    step: number;
    epoch: number;
    loss: number;
    lr: number;
    gradNorm: number;
    seconds: number;
    tokens: number;
    samples: number;
  }): MetricPoint[] {
    this.tokensSeen += s.tokens;
    // The first step of a process includes one-off kernel warm-up; an EMA keeps the ETA steady.
    this.stepSecondsEma =
      this.stepSecondsEma === null || s.step - this.firstStep <= 1 ? s.seconds : 0.9 * this.stepSecondsEma + 0.1 * s.seconds;
    const mem = memoryUsage();
    this.peakRss = Math.max(this.peakRss, mem.rssBytes);
    return this.emit(s.step, s.epoch, {
      train_loss: s.loss,
      learning_rate: s.lr,
      grad_norm: s.gradNorm,
      tokens_per_second: s.tokens / s.seconds,
      samples_per_second: s.samples / s.seconds,
      memory_rss_bytes: mem.rssBytes,
      memory_tensor_bytes: mem.tensorBytes,
      epoch: s.epoch,
      eta_seconds: Math.max(0, this.totalSteps - s.step) * this.stepSecondsEma,
    });
  }

  validation(step: number, epoch: number, loss: number): MetricPoint[] {
    if (this.bestVal === null || loss < this.bestVal) this.bestVal = loss;
    return this.emit(step, epoch, { val_loss: loss, perplexity: Math.exp(loss) });
  }

  summary(trainLoss: number | null, valLoss: number | null): MetricsSummary {
    const durationSeconds = this.elapsedSeconds();
    return {
      steps: this.totalSteps,
      finalTrainLoss: trainLoss,
      finalValLoss: valLoss,
      finalPerplexity: valLoss === null ? null : Math.exp(valLoss),
      bestValLoss: this.bestVal,
      tokensSeen: this.tokensSeen,
      durationSeconds,
      tokensPerSecond: durationSeconds > 0 ? this.tokensSeen / durationSeconds : 0,
      peakRssBytes: this.peakRss,
    };
  }
}
