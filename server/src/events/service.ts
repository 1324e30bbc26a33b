import type { Db, DbProvider } from "../db/client.js";
import type { Prisma } from "../generated/sqlite/client.js";
import type { PubSub } from "../pubsub.js";
import type { JobEventType } from "./types.js";

/** A Prisma client or an interactive transaction over it. */
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export type NewEvent = {
  jobId: string;
  type: JobEventType;
  message?: string | null;
  payload?: Record<string, unknown>;
  source: "system" | "user" | "trainer" | "webhook";
  /** Set for reports from outside (sequence number, webhook id): a second copy is ignored. */
  dedupeKey?: string | null;
  processingError?: string | null;
  /** When a report arrived, if before now (it is processed after it was received). */
  receivedAt?: Date;
};

/** What a transaction started by inTransaction does once it has committed. */
const afterCommitOf = new WeakMap<Tx, { pubsub: PubSub; runs: (() => void)[] }>();

/**
 * One transaction whose announcements wait for its commit: appendEvent (and so
 * transitionJob) given its `tx` queue their publications, which go out once it
 * has committed and never after a rollback. Returns what `work` returns.
 */
export async function inTransaction<T>(
  services: { db: Db; pubsub: PubSub },
  work: (tx: Tx) => Promise<T>,
  options?: { maxWait?: number; timeout?: number },
): Promise<T> {
  const runs: (() => void)[] = [];
  const result = await services.db.$transaction(async (tx) => {
    afterCommitOf.set(tx, { pubsub: services.pubsub, runs });
    return work(tx);
  }, options);
  for (const run of runs) run();
  return result;
}

/**
 * Queues `publish` for after the commit of `tx`'s transaction, which must be one
 * from inTransaction: any other would commit with nobody told.
 */
export function afterCommit(tx: Tx, publish: (pubsub: PubSub) => void) {
  const pending = afterCommitOf.get(tx);
  if (!pending) throw new Error("Announcements need a transaction from inTransaction(), which publishes them once it commits");
  pending.runs.push(() => publish(pending.pubsub));
}

/** Appends to the job's event log. Call inside the transaction (from inTransaction) that made the change: the event is published once it commits. */
export async function appendEvent(tx: Tx, event: NewEvent) {
  const created = await tx.jobEvent.create({
    data: {
      jobId: event.jobId,
      type: event.type,
      message: event.message ?? null,
      payload: (event.payload ?? {}) as object,
      source: event.source,
      dedupeKey: event.dedupeKey ?? null,
      ...(event.receivedAt && { receivedAt: event.receivedAt }),
      processedAt: new Date(),
      processingError: event.processingError ?? null,
    },
  });
  afterCommit(tx, (pubsub) => pubsub.publish("job:events", created.jobId, { jobId: created.jobId, eventId: created.id }));
  return created;
}

export type EventFilter = { types?: readonly string[] | null; search?: string | null };

/** The event log's filters: some types, and words in the type, message or error. */
export function eventFilterWhere(filter: EventFilter, provider: DbProvider): Prisma.JobEventWhereInput {
  const where: Prisma.JobEventWhereInput = {};
  if (filter.types?.length) where.type = { in: [...filter.types] };
  const search = filter.search?.trim();
  if (search) {
    // SQLite's LIKE is already case-insensitive for ASCII; PostgreSQL needs the mode.
    const contains = provider === "postgres" ? { contains: search, mode: "insensitive" as const } : { contains: search };
    where.OR = [{ message: contains }, { type: contains }, { processingError: contains }];
  }
  return where;
}

export type StageProgress = { status: string; percent: number; secondsLeft: number | null; message: string | null; reportedAt: Date };

/**
 * The current stage's progress: the newest status report (an event of its own, or carried by
 * the status change it made), when it is of the stage the job is in and says how far it has got.
 */
export async function stageProgressOf(db: Tx, job: { id: string; status: string }): Promise<StageProgress | null> {
  const event = await db.jobEvent.findFirst({
    where: { jobId: job.id, type: { in: ["status", "status_changed"] }, processingError: null },
    orderBy: { id: "desc" },
    select: { payload: true, message: true, receivedAt: true },
  });
  const payload = event?.payload as ({ report?: StatusReport } & StatusReport) | undefined;
  const report = payload?.report ?? payload;
  if (!event || report?.type !== "status" || report.status !== job.status || report.stagePercent == null) return null;
  return {
    status: report.status,
    percent: report.stagePercent,
    secondsLeft: report.stageSecondsLeft ?? null,
    message: event.message,
    reportedAt: event.receivedAt,
  };
}
type StatusReport = { type?: string; status?: string; stagePercent?: number | null; stageSecondsLeft?: number | null };
