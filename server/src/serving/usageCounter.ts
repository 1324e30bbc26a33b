import type { Db } from "../db/client.js";

// Requests served per deployed version (requestCount, lastRequestAt), counted
// in memory and written in batches, off the request path: one write per
// version and flush instead of one per completion. Each instance adds its own
// counts (an increment), so several instances sum up. Stopping the app writes
// what is left; a write that fails is retried with the next flush.

const FLUSH_EVERY_MS = 1000;

type Pending = { requests: number; lastAt: Date };

export class UsageCounter {
  private pending = new Map<string, Pending>();
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly db: Db) {
    this.timer = setInterval(() => this.flush().catch((error) => console.error("writing request counts failed", error)), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** One request served by a version, now. */
  count(versionId: string) {
    const counted = this.pending.get(versionId);
    if (counted) [counted.requests, counted.lastAt] = [counted.requests + 1, new Date()];
    else this.pending.set(versionId, { requests: 1, lastAt: new Date() });
  }

  /** Writes what was counted so far (after any write still in flight). */
  flush(): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(() => this.write());
    return this.writing;
  }

  private async write() {
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    try {
      await this.db.$transaction(
        [...batch].map(([id, { requests, lastAt }]) =>
          // updateMany: a version deleted meanwhile is skipped, not an error.
          this.db.modelVersion.updateMany({ where: { id }, data: { requestCount: { increment: requests }, lastRequestAt: lastAt } }),
        ),
      );
    } catch (error) {
      // Kept for the next flush, with what was counted meanwhile.
      for (const [id, { requests, lastAt }] of batch) {
        const later = this.pending.get(id);
        this.pending.set(id, { requests: requests + (later?.requests ?? 0), lastAt: later?.lastAt ?? lastAt });
      }
      throw error;
    }
  }

  /** Stops the timer and writes what is left (app stop: nothing counted is lost). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
