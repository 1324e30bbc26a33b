import type { AppServices } from "../context.js";
import { formatUsd } from "../costs/money.js";
import { budgetSummary } from "../budgets/service.js";
import { monthOf } from "../budgets/month.js";
import { ALERT_LABELS, type AlertType } from "./alertTypes.js";

// Once a day (after DIGEST_HOUR_UTC), users who asked for it get one email:
// the last 24 hours of jobs and alerts, and the month's spend.

const DAY_MS = 86_400_000;

async function digestText(services: AppServices, orgId: string, now: Date) {
  const since = new Date(now.getTime() - DAY_MS);
  const [finished, alerts, budget] = await Promise.all([
    services.db.trainingJob.findMany({
      where: { orgId, finishedAt: { gte: since } },
      orderBy: { finishedAt: "asc" },
      select: { name: true, status: true, actualCostUsd: true },
    }),
    services.db.alert.findMany({
      where: { orgId, createdAt: { gte: since } },
      orderBy: { createdAt: "asc" },
      select: { type: true, message: true },
    }),
    budgetSummary(services.db, orgId, monthOf(now)),
  ]);
  const lines = [
    `Spend in ${budget.month}: ${formatUsd(budget.spentUsd)} of ${formatUsd(budget.budgetUsd)} (${budget.percentUsed.toFixed(0)}%), forecast ${formatUsd(budget.forecastUsd)}; ${budget.activeJobs} job(s) running or queued.`,
    "",
    finished.length ? "Finished in the last 24 hours:" : "No job finished in the last 24 hours.",
    ...finished.map((j) => `- ${j.name}: ${j.status.toLowerCase()}, ${formatUsd(j.actualCostUsd)}`),
    "",
    alerts.length ? "Alerts:" : "No alerts.",
    ...alerts.map((a) => `- ${ALERT_LABELS[a.type as AlertType] ?? a.type}: ${a.message}`),
  ];
  return {
    text: lines.join("\n"),
    data: { spentUsd: budget.spentUsd, budgetUsd: budget.budgetUsd, finishedJobs: finished.length, alerts: alerts.length },
  };
}

/** Queues today's digest for each user who wants one and has not had it; returns how many were queued. */
export async function queueDueDigests(services: AppServices, now = new Date()): Promise<number> {
  if (now.getUTCHours() < services.config.digestHourUtc) return 0;
  const today = now.toISOString().slice(0, 10);
  const due = await services.db.notificationPreference.findMany({
    where: { dailyDigest: true, OR: [{ lastDigestOn: null }, { lastDigestOn: { not: today } }] },
    include: { user: { select: { id: true, email: true } } },
  });
  let queued = 0;
  for (const preference of due) {
    // The digest is of the organization whose email channel the user chose, while they still work in it.
    const channel = await services.db.notificationChannel.findFirst({
      where: {
        kind: "EMAIL",
        enabled: true,
        id: { in: preference.channelIds as string[] },
        org: { memberships: { some: { userId: preference.userId, deactivatedAt: null } } },
      },
      orderBy: { createdAt: "asc" },
    });
    if (!channel) continue;
    const user = { ...preference.user, orgId: channel.orgId };
    const digest = await digestText(services, user.orgId, now);
    const sent = await services.db.$transaction(async (tx) => {
      // Claims the day first: two server instances never both send it.
      const { count } = await tx.notificationPreference.updateMany({
        where: { userId: user.id, OR: [{ lastDigestOn: null }, { lastDigestOn: { not: today } }] },
        data: { lastDigestOn: today },
      });
      if (count === 0) return false;
      await tx.notificationDelivery.create({
        data: {
          orgId: user.orgId,
          channelId: channel.id,
          event: "DAILY_DIGEST",
          recipient: user.email.toLowerCase(),
          title: `Tuneloop daily digest, ${today}`,
          body: digest.text,
          data: digest.data,
          dedupeKey: `digest:${user.id}:${today}`,
        },
      });
      return true;
    });
    if (sent) {
      queued += 1;
      services.pubsub.publish("notifications:queued", { orgId: user.orgId });
    }
  }
  return queued;
}
