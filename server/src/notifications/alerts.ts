import type { AppServices } from "../context.js";
import type { AlertType } from "./alertTypes.js";
import { planDeliveries } from "./fanout.js";

export type NewAlert = {
  orgId: string;
  type: AlertType;
  /** One line: the subject of an email, the first line of a chat message. */
  title: string;
  /** What happened and what to do, with the numbers. */
  message: string;
  jobId?: string | null;
  projectId?: string | null;
  /** Makes the alert happen once, e.g. "budget:<org>:2026-06:80" or "job:<id>:overrun". */
  dedupeKey: string;
  data?: Record<string, unknown>;
};

/** raiseAlert, or a caching wrapper of it. */
export type Raise = (alert: NewAlert) => Promise<unknown>;

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "P2002";

/** Where to look in the SPA, when the server knows its public address. */
function linkFor(services: AppServices, alert: NewAlert): string | null {
  if (!services.config.publicUrl) return null;
  const base = services.config.publicUrl.replace(/\/$/, "");
  return alert.jobId ? `${base}/jobs/${alert.jobId}` : `${base}/budget`;
}

/**
 * Records an alert once (its dedupe key) and queues its notifications in the
 * same transaction, so an alert is never kept without its deliveries or sent
 * twice. Returns null when the alert had already been raised.
 */
export async function raiseAlert(services: AppServices, alert: NewAlert) {
  if (await services.db.alert.findUnique({ where: { dedupeKey: alert.dedupeKey }, select: { id: true } })) return null;
  const link = linkFor(services, alert);
  try {
    const { row, queued } = await services.db.$transaction(async (tx) => {
      const row = await tx.alert.create({
        data: {
          orgId: alert.orgId,
          type: alert.type,
          message: alert.message,
          jobId: alert.jobId,
          projectId: alert.projectId,
          dedupeKey: alert.dedupeKey,
          data: (alert.data ?? {}) as object,
        },
      });
      const planned = await planDeliveries(tx, { orgId: alert.orgId, type: alert.type, jobId: alert.jobId ?? null });
      const data = {
        alertId: row.id,
        type: alert.type,
        title: alert.title,
        message: alert.message,
        jobId: alert.jobId ?? null,
        projectId: alert.projectId ?? null,
        link,
        ...alert.data,
      };
      await tx.notificationDelivery.createMany({
        data: planned.map((p) => ({
          orgId: alert.orgId,
          channelId: p.channelId,
          alertId: row.id,
          event: alert.type,
          recipient: p.recipient,
          title: alert.title,
          body: link ? `${alert.message}\n\n${link}` : alert.message,
          data,
          dedupeKey: `alert:${row.id}:${p.channelId}:${p.recipient}`,
        })),
      });
      return { row, queued: planned.length };
    });
    if (queued) services.pubsub.publish("notifications:queued", { orgId: alert.orgId });
    return row;
  } catch (error) {
    // Another server instance raised the same alert in the meantime.
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}
