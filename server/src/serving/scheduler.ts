import { BackendBusyError } from "./backend.js";

// The API server's queue in front of an inference backend: at most `maxRunning`
// requests in flight to it, the rest waiting in one queue per organization,
// served in turn (round robin), so one organization's flood cannot hold back
// another's deployed model. A full queue is refused at once (BUSY / 503 with
// Retry-After) rather than delaying everyone; a request whose client goes away
// leaves the queue.

export type Limits = { maxRunning: number; maxQueuedPerOwner: number };

type Waiting = { owner: string; start: () => void; cancel: (reason: unknown) => void };

export class FairQueue {
  private running = 0;
  /** Waiting requests per owner; the Map's order is the round-robin order (an owner served goes to the back). */
  private readonly queues = new Map<string, Waiting[]>();
  /** Recent request duration, for Retry-After. */
  private averageMs = 1000;

  /** The limits are read at each use, so that they follow the server's settings. */
  constructor(private readonly limits: () => Limits) {}

  /** Requests waiting for a turn, for one owner or all. */
  queued(owner?: string): number {
    if (owner !== undefined) return this.queues.get(owner)?.length ?? 0;
    return [...this.queues.values()].reduce((n, q) => n + q.length, 0);
  }

  /** Runs `work` when the owner's turn comes; its slot is held until the promise settles. */
  async run<T>(owner: string, work: () => Promise<T>, signal?: AbortSignal | null): Promise<T> {
    await this.enter(owner, signal);
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      this.leave();
    }
  }

  private enter(owner: string, signal?: AbortSignal | null): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { maxRunning, maxQueuedPerOwner } = this.limits();
    if (this.running < maxRunning && this.queued() === 0) {
      this.running++;
      return Promise.resolve();
    }
    const queue = this.queues.get(owner) ?? [];
    if (queue.length >= maxQueuedPerOwner) {
      const seconds = Math.max(1, Math.ceil(((this.queued() + 1) * this.averageMs) / maxRunning / 1000));
      return Promise.reject(
        new BackendBusyError(seconds, `The model server has too much queued work for your organization; try again in ${seconds} s`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = queue.indexOf(entry);
        if (index < 0) return;
        queue.splice(index, 1);
        if (queue.length === 0 && this.queues.get(owner) === queue) this.queues.delete(owner);
        reject(signal!.reason);
      };
      const entry: Waiting = {
        owner,
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        cancel: reject,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(entry);
      this.queues.set(owner, queue);
    });
  }

  private leave() {
    const [owner, queue] = this.queues.entries().next().value ?? [];
    if (!owner || !queue) {
      this.running--;
      return;
    }
    // The slot passes to the next owner's oldest request; that owner goes to the back.
    const next = queue.shift()!;
    this.queues.delete(owner);
    if (queue.length > 0) this.queues.set(owner, queue);
    next.start();
  }

  /** Refuses everything still waiting (the server stops). */
  close() {
    for (const queue of this.queues.values()) for (const waiting of queue) waiting.cancel(new Error("the server is stopping"));
    this.queues.clear();
  }
}
