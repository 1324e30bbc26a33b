import type { Tx } from "../events/service.js";
import type { Role } from "../generated/sqlite/enums.js";
import { defaultAlertTypes, JOB_ALERTS, type AlertType } from "./alertTypes.js";

// Who receives an alert. Slack and webhook channels are shared destinations:
// they get every alert type they carry. Email channels write to their fixed
// addresses and to each user who wants that type through that channel (a user
// without preferences gets the defaults of their role). Alerts about a job
// reach its creator and owners, not every engineer.

type UserWithPreference = {
  id: string;
  email: string;
  role: Role;
  notificationPreference: { events: unknown; channelIds: unknown } | null;
};

function userWants(user: UserWithPreference, type: AlertType, channelId: string): boolean {
  const preference = user.notificationPreference;
  if (!preference) return defaultAlertTypes(user.role).includes(type);
  return (preference.events as string[]).includes(type) && (preference.channelIds as string[]).includes(channelId);
}

function concernsUser(user: UserWithPreference, type: AlertType, jobCreatorId: string | null): boolean {
  if (!JOB_ALERTS.includes(type) || !jobCreatorId) return true;
  return user.id === jobCreatorId || user.role === "OWNER" || user.role === "ADMIN";
}

export type PlannedDelivery = { channelId: string; recipient: string };

export async function planDeliveries(tx: Tx, alert: { orgId: string; type: AlertType; jobId: string | null }): Promise<PlannedDelivery[]> {
  const channels = (
    await tx.notificationChannel.findMany({ where: { orgId: alert.orgId, enabled: true }, orderBy: { createdAt: "asc" } })
  ).filter((c) => (c.events as string[]).includes(alert.type));
  if (channels.length === 0) return [];
  let users: UserWithPreference[] = [];
  if (channels.some((c) => c.kind === "EMAIL")) {
    const job = alert.jobId ? await tx.trainingJob.findUnique({ where: { id: alert.jobId }, select: { createdById: true } }) : null;
    // The organization's active people, each with their role there.
    const memberships = await tx.membership.findMany({
      where: { orgId: alert.orgId, deactivatedAt: null, user: { serviceAccount: false } },
      select: {
        role: true,
        user: { select: { id: true, email: true, notificationPreference: { select: { events: true, channelIds: true } } } },
      },
      orderBy: { user: { email: "asc" } },
    });
    users = memberships.map((m) => ({ ...m.user, role: m.role })).filter((u) => concernsUser(u, alert.type, job?.createdById ?? null));
  }
  return channels.flatMap((channel) => {
    if (channel.kind !== "EMAIL") return [{ channelId: channel.id, recipient: "" }];
    const addresses = new Set((channel.recipients as string[]).map((a) => a.toLowerCase()));
    for (const user of users) if (userWants(user, alert.type, channel.id)) addresses.add(user.email.toLowerCase());
    return [...addresses].map((recipient) => ({ channelId: channel.id, recipient }));
  });
}
