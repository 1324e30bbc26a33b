import type { ServerResponse } from "node:http";
import type { Plugin } from "graphql-yoga";
import type { ExecutionResult } from "graphql";
import type { WebSocket } from "ws";
import type { Context } from "../context.js";
import { trackLiveConnection } from "../auth/liveConnections.js";

// What keeps one subscriber from costing the server without bound, and ends a
// subscription when the credential that opened it is revoked. Applies to both
// transports: graphql-ws (the context carries the socket) and SSE (the response).

/** Subscriptions one graphql-ws connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;
/** Results waiting for a subscriber that does not read; one more and it is disconnected. */
export const MAX_QUEUED_RESULTS = 100;
/** Bytes waiting in a WebSocket's send buffer before its subscriber counts as not reading. */
export const MAX_SOCKET_BACKLOG_BYTES = 4 * 1024 * 1024;

/** graphql-ws close codes: the credential was revoked (as graphql-ws's Forbidden); the client fell behind (try again later). */
export const CLOSE_REVOKED = 4403;
export const CLOSE_TOO_SLOW = 1013;

type TransportContext = Context & { socket?: WebSocket; res?: ServerResponse };

type Bounds = {
  /** Whether the subscriber is too far behind, given how many results wait in the queue. */
  overflowing: (queued: number) => boolean;
  onOverflow: () => void;
  /** Called once, however the stream ends. */
  onEnd: () => void;
};

/**
 * Hands results on from a subscription's source through a queue of bounded
 * length. The source is read eagerly, so a subscriber that stops reading is
 * noticed (the queue fills) instead of leaving results piling up upstream.
 */
class BoundedResults<T> implements AsyncIterableIterator<T> {
  private queue: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;

  constructor(
    private source: AsyncIterator<T>,
    private bounds: Bounds,
  ) {
    void this.pump();
  }

  private async pump() {
    try {
      for (;;) {
        const { value, done } = await this.source.next();
        if (done || this.ended) break;
        if (this.waiting) this.take().resolve({ value, done: false });
        else this.queue.push(value);
        if (this.bounds.overflowing(this.queue.length)) {
          this.bounds.onOverflow();
          break;
        }
      }
    } catch (error) {
      if (this.waiting) this.take().reject(error);
      else this.failure = { error };
    }
    await this.stop();
  }

  private take() {
    const waiting = this.waiting!;
    this.waiting = null;
    return waiting;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Ends the stream: the subscriber gets what was queued, then the end. */
  async stop() {
    if (this.ended) return;
    this.ended = true;
    this.bounds.onEnd();
    if (this.waiting) this.take().resolve({ value: undefined, done: true });
    await this.source.return?.();
  }

  async return(): Promise<IteratorResult<T>> {
    this.queue = [];
    await this.stop();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** The envelop plugin: bounds every subscription's buffer and ends it when its credential is revoked. */
export function subscriptionGuard(): Plugin<TransportContext> {
  return {
    onSubscribe: () => ({
      onSubscribeResult({ args, result, setResult }) {
        if (!(Symbol.asyncIterator in result)) return;
        const { socket, res, viewer, pubsub } = args.contextValue;
        const closeSocket = (code: number, reason: string) => {
          if (socket && socket.readyState === socket.OPEN) socket.close(code, reason);
        };
        let forget = () => {};
        const results = new BoundedResults<ExecutionResult>(result[Symbol.asyncIterator](), {
          overflowing: (queued) => queued > MAX_QUEUED_RESULTS || (socket?.bufferedAmount ?? 0) > MAX_SOCKET_BACKLOG_BYTES,
          onOverflow: () => {
            // A stream that is not read cannot be ended politely: the connection goes. The client resumes (afterStep).
            closeSocket(CLOSE_TOO_SLOW, "Subscriber fell behind; subscribe again (metrics: with afterStep)");
            res?.destroy();
          },
          onEnd: () => forget(),
        });
        if (viewer?.kind === "user") {
          forget = trackLiveConnection(pubsub, viewer, () => {
            closeSocket(CLOSE_REVOKED, "Forbidden: the credential was revoked");
            void results.stop();
          });
        }
        setResult(results);
      },
    }),
  };
}
