import type { AppServices } from "../context.js";
import { createMailer, sendDelivery, SendError, type Mailer } from "./send.js";

// Sends the persisted NotificationDelivery rows: on a "queued" signal and on a
// timer for retries. Each row is claimed with a short lock before sending, so
// two server instances never send it at the same moment, and a server that
// dies mid-send leaves it to be retried once the lock runs out.

const BATCH = 20;
const LOCK_MS = 60_000;
const MAX_BACKOFF_SECONDS = 3600;

/** Seconds before attempt n + 1 after n failures: base, 2 × base, 4 × base… capped at an hour. */
export function backoffSeconds(base: number, failedAttempts: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, base * 2 ** (failedAttempts - 1));
}

async function claimDue(services: AppServices) {
  const now = new Date();
  const lockFree = { OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] };
  const due = await services.db.notificationDelivery.findMany({
    where: { status: "PENDING", nextAttemptAt: { lte: now }, ...lockFree },
    orderBy: { nextAttemptAt: "asc" },
    take: BATCH,
    select: { id: true },
  });
  const claimed: string[] = [];
  for (const { id } of due) {
    const { count } = await services.db.notificationDelivery.updateMany({
      where: { id, status: "PENDING", ...lockFree },
      data: { lockedUntil: new Date(now.getTime() + LOCK_MS) },
    });
    if (count) claimed.push(id);
  }
  return services.db.notificationDelivery.findMany({ where: { id: { in: claimed } }, include: { channel: true } });
}

async function attempt(services: AppServices, mailer: Mailer | null, delivery: Awaited<ReturnType<typeof claimDue>>[number]) {
  const attempts = delivery.attempts + 1;
  try {
    const responseCode = await sendDelivery(delivery, mailer, services.config.notifyAllowedHosts);
    await services.db.notificationDelivery.update({
      where: { id: delivery.id },
      data: { status: "DELIVERED", attempts, responseCode, deliveredAt: new Date(), lockedUntil: null, lastError: null },
    });
  } catch (error) {
    const message = error instanceof SendError ? error.message : `unexpected: ${(error as Error).message}`;
    const givingUp = attempts >= services.config.notifyMaxAttempts;
    await services.db.notificationDelivery.update({
      where: { id: delivery.id },
      data: {
        status: givingUp ? "FAILED" : "PENDING",
        attempts,
        lastError: message.slice(0, 1000),
        responseCode: error instanceof SendError ? error.responseCode : null,
        nextAttemptAt: new Date(Date.now() + backoffSeconds(services.config.notifyRetryBaseSeconds, attempts) * 1000),
        lockedUntil: null,
      },
    });
  }
}

/** Sends everything due now; returns how many deliveries it tried. */
export async function processDueDeliveries(services: AppServices, mailer: Mailer | null): Promise<number> {
  let tried = 0;
  for (;;) {
    const batch = await claimDue(services);
    if (batch.length === 0) return tried;
    await Promise.all(batch.map((delivery) => attempt(services, mailer, delivery)));
    tried += batch.length;
  }
}

export function startDeliveryWorker(services: AppServices): () => Promise<void> {
  const mailer = createMailer(services.config);
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  // One pass at a time; a signal during a pass asks for another one after it.
  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await processDueDeliveries(services, mailer).catch((error) => console.error("notification delivery failed", error));
      } while (again && !stopped);
      running = null;
    })();
  };

  const signals = services.pubsub.subscribe("notifications:queued");
  void (async () => {
    for await (const _ of signals) wake();
  })();
  const timer = setInterval(wake, services.config.notifyPollMs);
  wake();

  return async () => {
    stopped = true;
    clearInterval(timer);
    await signals.return?.();
    await running;
    mailer?.close();
  };
}
