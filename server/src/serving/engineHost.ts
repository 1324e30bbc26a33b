import { Worker } from "node:worker_threads";
import type { ServerConfig } from "../config.js";
import { AppError } from "../errors.js";
import type { EngineRequest, EngineResponse, EngineResult, EngineTask } from "./engineProtocol.js";

/**
 * A worker thread running the training engine. Validation runs on its own
 * lane so that a deployed endpoint keeps answering while a long evaluation
 * works; each lane is one thread that loads models once and keeps them.
 */
export type EngineLane = "validation" | "serving";

/** Who a task is for (an organization), and a signal that cancels it while it waits (the client went away). */
export type TaskOptions = { owner: string; signal?: AbortSignal | null };

/** The owner's queue is full: refused now rather than queued behind minutes of work. */
export class EngineBusyError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super("BUSY", `The model engine has too much queued work for your organization; try again in ${retryAfterSeconds} s`);
  }
}

type Queued = { request: EngineRequest; owner: string; resolve: (v: unknown) => void; reject: (e: Error) => void; dropAbortListener: () => void };

export class EngineHost {
  private worker: Worker | null = null;
  private nextId = 1;
  /** Waiting tasks per owner; the Map's order is the round-robin order (an owner served goes to the back). */
  private readonly queues = new Map<string, Queued[]>();
  /** The one task the worker runs; the others wait here, so that the host decides the order. */
  private running: (Queued & { timer: NodeJS.Timeout | null }) | null = null;
  /** Recent task duration, for Retry-After. */
  private averageMs = 1000;

  /** The limits are read at each use, so that they follow the server's settings. */
  constructor(private readonly limits: () => { maxQueuedPerOwner: number; taskTimeoutMs: number | null }) {}

  private start(): Worker {
    const worker = new Worker(new URL("./engineWorker.mjs", import.meta.url), { stdout: false });
    // An idle engine must not keep a process (a CLI, a test) alive.
    worker.unref();
    worker.on("message", (message: EngineResponse | { ready: true }) => {
      if ("ready" in message || message.id !== this.running?.request.id) return;
      if ("loaded" in message) return this.startClock(this.running);
      this.averageMs = 0.8 * this.averageMs + 0.2 * message.ms;
      if (message.ok) this.finish((task) => task.resolve(message.result));
      else this.finish((task) => task.reject(new Error(message.error)));
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.finish((task) => task.reject(error));
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the engine stopped (exit code ${code})`)));
    return worker;
  }

  /** Tasks waiting for the engine, for one owner or all. */
  queued(owner?: string): number {
    if (owner !== undefined) return this.queues.get(owner)?.length ?? 0;
    return [...this.queues.values()].reduce((n, q) => n + q.length, 0);
  }

  run<K extends EngineTask["kind"]>(task: Extract<EngineTask, { kind: K }>, options: TaskOptions): Promise<EngineResult[K]> {
    const { owner, signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const queue = this.queues.get(owner) ?? [];
      if (queue.length >= this.limits().maxQueuedPerOwner) {
        return reject(new EngineBusyError(Math.max(1, Math.ceil(((this.queued() + 1) * this.averageMs) / 1000))));
      }
      const onAbort = () => {
        // Still waiting: it leaves the queue. Already running: its answer is dropped.
        const index = queue.indexOf(entry);
        if (index < 0) return;
        queue.splice(index, 1);
        if (queue.length === 0 && this.queues.get(owner) === queue) this.queues.delete(owner);
        reject(signal!.reason);
      };
      const entry: Queued = { request: { id: this.nextId++, task }, owner, resolve: resolve as (v: unknown) => void, reject, dropAbortListener: () => signal?.removeEventListener("abort", onAbort) };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(entry);
      this.queues.set(owner, queue);
      this.dispatch();
    });
  }

  /** Sends the next owner's oldest task to the worker when it is idle. */
  private dispatch() {
    if (this.running) return;
    const [owner, queue] = this.queues.entries().next().value ?? [];
    if (!owner || !queue) {
      this.worker?.unref();
      return;
    }
    const task = queue.shift()!;
    // Round robin: the owner goes to the back, behind everyone else waiting.
    this.queues.delete(owner);
    if (queue.length > 0) this.queues.set(owner, queue);
    task.dropAbortListener();
    this.worker ??= this.start();
    // Keep the process alive while an answer is awaited, not longer.
    this.worker.ref();
    this.running = { ...task, timer: null };
    this.worker.postMessage(task.request);
  }

  private finish(settle: (task: Queued) => void) {
    const task = this.running;
    if (!task) return;
    if (task.timer) clearTimeout(task.timer);
    this.running = null;
    settle(task);
    this.dispatch();
  }

  /** The time limit counts from when the task's models are loaded. */
  private startClock(task: NonNullable<typeof this.running>) {
    const { taskTimeoutMs } = this.limits();
    if (taskTimeoutMs !== null) task.timer = setTimeout(() => this.stopOverdue(taskTimeoutMs), taskTimeoutMs);
  }

  /** A task past its time is stopped with its thread (tensor work cannot be interrupted); the next task starts a fresh one. */
  private stopOverdue(timeoutMs: number) {
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
    this.finish((task) => task.reject(new AppError("BUSY", `The model engine stopped a task that ran longer than ${timeoutMs / 1000} s`)));
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const queue of this.queues.values()) for (const task of queue) task.reject(new Error("the engine was stopped"));
    this.queues.clear();
    if (this.running) this.finish((task) => task.reject(new Error("the engine was stopped")));
    if (worker) await worker.terminate();
  }
}

const hosts = new WeakMap<ServerConfig, Map<EngineLane, EngineHost>>();

/** The engine of a server instance for one lane, started on first use. */
export function engineFor(config: ServerConfig, lane: EngineLane): EngineHost {
  let lanes = hosts.get(config);
  if (!lanes) hosts.set(config, (lanes = new Map()));
  let host = lanes.get(lane);
  if (!host) {
    // Validation runs one task at a time per server and bounds each by its chunking and lease; requests from clients get the limits.
    const limits = () => (lane === "serving" ? { maxQueuedPerOwner: config.engineQueuePerOrg, taskTimeoutMs: config.engineTaskTimeoutSeconds * 1000 } : { maxQueuedPerOwner: Infinity, taskTimeoutMs: null });
    lanes.set(lane, (host = new EngineHost(limits)));
  }
  return host;
}

/** Stops the engine threads of a server instance (on app stop). */
export async function closeEngines(config: ServerConfig): Promise<void> {
  const lanes = hosts.get(config);
  hosts.delete(config);
  await Promise.all([...(lanes?.values() ?? [])].map((host) => host.close()));
}
