import type { AppServices } from "../context.js";
import { AppError } from "../errors.js";
import type { Role } from "../generated/sqlite/enums.js";
import { defaultAlertTypes, type AlertType } from "./alertTypes.js";

export type Preferences = { events: AlertType[]; channelIds: string[]; dailyDigest: boolean; isDefault: boolean };

async function emailChannelIds(services: AppServices, orgId: string): Promise<string[]> {
  const channels = await services.db.notificationChannel.findMany({
    where: { orgId, kind: "EMAIL" },
    select: { id: true },
    orderBy: { createdAt: "asc" },
  });
  return channels.map((c) => c.id);
}

/** A user's choices, or the defaults of their role (every email channel, no digest) until they choose. */
export async function preferencesOf(services: AppServices, user: { userId: string; orgId: string; role: Role }): Promise<Preferences> {
  const row = await services.db.notificationPreference.findUnique({ where: { userId: user.userId } });
  if (row)
    return { events: row.events as AlertType[], channelIds: row.channelIds as string[], dailyDigest: row.dailyDigest, isDefault: false };
  return {
    events: defaultAlertTypes(user.role),
    channelIds: await emailChannelIds(services, user.orgId),
    dailyDigest: false,
    isDefault: true,
  };
}

export async function updatePreferences(
  services: AppServices,
  user: { userId: string; orgId: string; role: Role },
  input: { events?: AlertType[] | null; channelIds?: string[] | null; dailyDigest?: boolean | null },
): Promise<Preferences> {
  const current = await preferencesOf(services, user);
  const channelIds = input.channelIds ? [...new Set(input.channelIds)] : current.channelIds;
  const known = new Set(await emailChannelIds(services, user.orgId));
  const unknown = channelIds.find((id) => !known.has(id));
  if (unknown) throw new AppError("VALIDATION", `Channel ${unknown} is not an email channel of your organization`, "channelIds");
  const next = {
    events: input.events ? [...new Set(input.events)] : current.events,
    channelIds,
    dailyDigest: input.dailyDigest ?? current.dailyDigest,
  };
  await services.db.notificationPreference.upsert({
    where: { userId: user.userId },
    create: { userId: user.userId, ...next },
    update: next,
  });
  return { ...next, isDefault: false };
}
