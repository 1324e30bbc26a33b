import type { Db } from "../db/client.js";
import type { PubSub } from "../pubsub.js";

/** A Prisma client or an interactive transaction over it. */
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export type NewEvent = {
  jobId: string;
  type: string;
  message?: string | null;
  payload?: Record<string, unknown>;
  source: "system" | "user" | "trainer" | "webhook";
  /** Set for reports from outside (sequence number, webhook id): a second copy is ignored. */
  dedupeKey?: string | null;
  processingError?: string | null;
};

/** Appends to the job's event log. Call inside the transaction that made the change. */
export async function appendEvent(tx: Tx, event: NewEvent) {
  return tx.jobEvent.create({
    data: {
      jobId: event.jobId,
      type: event.type,
      message: event.message ?? null,
      payload: (event.payload ?? {}) as object,
      source: event.source,
      dedupeKey: event.dedupeKey ?? null,
      processedAt: new Date(),
      processingError: event.processingError ?? null,
    },
  });
}

/** Tells subscribers about a committed event. */
export function publishEvent(pubsub: PubSub, jobId: string, eventId: number) {
  pubsub.publish("job:events", jobId, { jobId, eventId });
}
