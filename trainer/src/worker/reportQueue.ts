// The worker's outbox: every report is appended to a JSON Lines file (and
// synced) before it is sent, then delivered strictly in order, retrying with
// backoff while the server is unreachable. Training never waits for the
// server; a restarted worker delivers what the last one left. Each report that
// changes a job carries a per-job sequence number, so the server ignores a copy
// that was delivered but whose acknowledgement was lost.
import { mkdirSync } from "node:fs";
import { open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { NetworkError } from "./api";
import type { FailureFactsInput } from "./graphql/graphql";

export type MetricPointReport = { name: string; step: number; value: number; epoch: number | null; wallTime: number };
export type StageStatus = "PREPROCESSING" | "MODEL_LOADING" | "TRAINING" | "FINALIZATION";

/** What a worker tells the server. `file` paths are the queue's own copies, deleted once delivered. */
export type Report =
  | { type: "metrics"; points: MetricPointReport[] }
  | {
      type: "status";
      status: StageStatus;
      message: string | null;
      totalSteps: number | null;
      stagePercent?: number;
      stageSecondsLeft?: number | null;
      /** Time since the last report spent on work that is not the job's (the base model build): not billed. */
      unbilledSeconds?: number;
    }
  | { type: "artifact"; kind: string; file: string }
  | { type: "checkpoint"; step: number; epoch: number | null; trainLoss: number | null; valLoss: number | null; file: string }
  | { type: "interrupted"; step: number; reason: string }
  | { type: "resumed"; fromStep: number }
  | {
      type: "error";
      errorType: string;
      message: string;
      details: Record<string, unknown>;
      facts?: FailureFactsInput;
      outputLines?: string[];
    }
  | { type: "completed"; summary: Record<string, unknown>; validationFollows: boolean };

export type QueuedReport = { id: number; jobId: string; token: string; sequence: number | null; report: Report };

/** Delivers one report; throws NetworkError to retry later, anything else to give it up. */
export type Deliver = (entry: QueuedReport) => Promise<void>;

const UNSEQUENCED = new Set<Report["type"]>(["metrics", "artifact"]);
const MAX_BACKOFF_MS = 5000;

type State = { deliveredId: number; lastId: number; sequences: Record<string, number> };

export class ReportQueue {
  private entries: QueuedReport[] = [];
  private appending: Promise<unknown> = Promise.resolve();
  private pumping = false;
  private closed = false;
  private failures = 0;
  private unreachableSince: number | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly dir: string,
    private state: State,
    private readonly deliver: Deliver,
    private readonly onGiveUp: (entry: QueuedReport, error: unknown) => void,
  ) {}

  private get queuePath() {
    return join(this.dir, "queue.jsonl");
  }

  private get statePath() {
    return join(this.dir, "state.json");
  }

  /** Opens (or creates) the queue in `dir` and starts delivering what is left in it. */
  static async open(dir: string, deliver: Deliver, onGiveUp: (entry: QueuedReport, error: unknown) => void): Promise<ReportQueue> {
    // Reports hold trainer tokens: the folder is the worker's alone.
    mkdirSync(join(dir, "files"), { recursive: true, mode: 0o700 });
    const state: State = await readFile(join(dir, "state.json"), "utf8").then(JSON.parse, () => ({
      deliveredId: 0,
      lastId: 0,
      sequences: {},
    }));
    const queue = new ReportQueue(dir, state, deliver, onGiveUp);
    const lines = await readFile(queue.queuePath, "utf8").catch(() => "");
    for (const line of lines.split("\n")) {
      let entry: QueuedReport;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // blank, or the torn last line of an append cut short by a crash
      }
      state.lastId = Math.max(state.lastId, entry.id);
      if (entry.sequence !== null) state.sequences[entry.jobId] = Math.max(state.sequences[entry.jobId] ?? 0, entry.sequence);
      if (entry.id > state.deliveredId) queue.entries.push(entry);
    }
    // Files of reports that were never queued (a run killed while writing one) would pile up.
    const referenced = new Set(queue.entries.flatMap((e) => ("file" in e.report ? [dirname(e.report.file)] : [])));
    for (const folder of await readdir(join(dir, "files"))) {
      if (!referenced.has(join(dir, "files", folder))) await rm(join(dir, "files", folder), { recursive: true, force: true });
    }
    void queue.pump();
    return queue;
  }

  /** A fresh path named `name` for a file a report will carry; removed with its folder once delivered. */
  fileSlot(name: string): string {
    const folder = join(this.dir, "files", randomUUID());
    mkdirSync(folder, { mode: 0o700 });
    return join(folder, name);
  }

  /** A resumed job continues above the highest sequence the server has seen. */
  raiseSequence(jobId: string, atLeast: number) {
    this.state.sequences[jobId] = Math.max(this.state.sequences[jobId] ?? 0, atLeast);
  }

  /** Writes the report to disk, then schedules its delivery. */
  enqueue(jobId: string, token: string, report: Report): Promise<QueuedReport> {
    return this.serially(async () => {
      const sequence = UNSEQUENCED.has(report.type) ? null : (this.state.sequences[jobId] = (this.state.sequences[jobId] ?? 0) + 1);
      const entry: QueuedReport = { id: ++this.state.lastId, jobId, token, sequence, report };
      const handle = await open(this.queuePath, "a", 0o600);
      try {
        await handle.appendFile(`${JSON.stringify(entry)}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.entries.push(entry);
      void this.pump();
      return entry;
    });
  }

  /** Appends and rewrites of the queue file happen one at a time, in call order. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.appending.then(work);
    this.appending = run.catch(() => undefined);
    return run;
  }

  /** Reports not yet delivered (of one job, or all). */
  pending(jobId?: string): number {
    return jobId ? this.entries.filter((e) => e.jobId === jobId).length : this.entries.length;
  }

  /** Milliseconds the server has been unreachable, or 0 while it answers. */
  unreachableForMs(): number {
    return this.unreachableSince === null ? 0 : Date.now() - this.unreachableSince;
  }

  /** Resolves true once everything is delivered, or false after `timeoutMs`. */
  async drain(timeoutMs = Infinity): Promise<boolean> {
    await this.appending;
    if (this.entries.length === 0) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = () => this.entries.length === 0 && done(true);
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => done(false), timeoutMs) : undefined;
      this.waiters.add(check);
    });
  }

  /** Stops delivering after the report in flight; what is left stays on disk for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.appending;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.entries.length > 0) {
        const entry = this.entries[0];
        try {
          await this.deliver(entry);
          this.failures = 0;
          this.unreachableSince = null;
        } catch (error) {
          if (error instanceof NetworkError) {
            this.unreachableSince ??= Date.now();
            await this.sleep(Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.failures++));
            continue;
          }
          // Refused (or unreadable) reports would block every later one: record and move on.
          this.onGiveUp(entry, error);
        }
        await this.markDelivered(entry);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async markDelivered(entry: QueuedReport) {
    this.entries.shift();
    this.state.deliveredId = entry.id;
    await this.saveState();
    if ("file" in entry.report) await rm(dirname(entry.report.file), { recursive: true, force: true });
    // Everything is out: start the file afresh (ids keep counting in state.json).
    await this.serially(async () => {
      if (this.entries.length === 0) await writeFile(this.queuePath, "", { mode: 0o600 });
    });
    for (const check of [...this.waiters]) check();
  }

  private async saveState() {
    const tmp = `${this.statePath}.tmp`;
    await writeFile(tmp, JSON.stringify(this.state), { mode: 0o600 });
    await rename(tmp, this.statePath);
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).finally(() => (this.wakeUp = null));
  }
}
