import { Worker } from "node:worker_threads";
import type { ServerConfig } from "../config.js";
import type { EngineRequest, EngineResponse, EngineResult, EngineTask } from "./engineProtocol.js";

/**
 * A worker thread running the training engine. Validation runs on its own
 * lane so that a deployed endpoint keeps answering while a long evaluation
 * works; each lane is one thread that loads models once and keeps them.
 */
export type EngineLane = "validation" | "serving";

export class EngineHost {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    const worker = new Worker(new URL("./engineWorker.mjs", import.meta.url), { stdout: false });
    // An idle engine must not keep a process (a CLI, a test) alive.
    worker.unref();
    worker.on("message", (message: EngineResponse | { ready: true }) => {
      if ("ready" in message) return;
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(message.error));
    });
    const failAll = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      if (this.worker === worker) this.worker = null;
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => failAll(new Error(`the engine stopped (exit code ${code})`)));
    return worker;
  }

  run<K extends EngineTask["kind"]>(task: Extract<EngineTask, { kind: K }>): Promise<EngineResult[K]> {
    this.worker ??= this.start();
    const id = this.nextId++;
    const request: EngineRequest = { id, task };
    return new Promise((resolve, reject) => {
      // Keep the process alive while an answer is awaited, not longer.
      this.worker!.ref();
      const settle = <T>(f: (v: T) => void) => (v: T) => {
        if (this.pending.size === 0) this.worker?.unref();
        f(v);
      };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) });
      this.worker!.postMessage(request);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}

const hosts = new WeakMap<ServerConfig, Map<EngineLane, EngineHost>>();

/** The engine of a server instance for one lane, started on first use. */
export function engineFor(config: ServerConfig, lane: EngineLane): EngineHost {
  let lanes = hosts.get(config);
  if (!lanes) hosts.set(config, (lanes = new Map()));
  let host = lanes.get(lane);
  if (!host) lanes.set(lane, (host = new EngineHost()));
  return host;
}

/** Stops the engine threads of a server instance (on app stop). */
export async function closeEngines(config: ServerConfig): Promise<void> {
  const lanes = hosts.get(config);
  hosts.delete(config);
  await Promise.all([...(lanes?.values() ?? [])].map((host) => host.close()));
}
