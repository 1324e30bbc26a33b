import { randomBytes, randomUUID } from "node:crypto";
import type { AppServices } from "../context.js";
import type { NotificationChannelKind } from "../generated/sqlite/enums.js";
import { AppError, notFound } from "../errors.js";
import { ALERT_TYPES, type AlertType } from "./alertTypes.js";
import { checkDestination, DestinationRefused } from "./outbound.js";

export type ChannelInput = {
  name?: string | null;
  kind?: NotificationChannelKind | null;
  url?: string | null;
  recipients?: string[] | null;
  events?: AlertType[] | null;
  enabled?: boolean | null;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

async function checkUrl(services: AppServices, url: string | null | undefined): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url ?? "");
  } catch {
    throw new AppError("VALIDATION", "Give the webhook's URL, e.g. https://hooks.slack.com/services/…", "url");
  }
  const allowed = services.config.notifyAllowHttp ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(parsed.protocol)) throw new AppError("VALIDATION", "The webhook URL must start with https://", "url");
  await checkDestination(services.config.notifyAllowedHosts, parsed).catch((error) => {
    throw error instanceof DestinationRefused ? new AppError("VALIDATION", error.message, "url") : error;
  });
  return parsed.toString();
}

function checkRecipients(recipients: string[] | null | undefined): string[] {
  const clean = [...new Set((recipients ?? []).map((r) => r.trim().toLowerCase()).filter(Boolean))];
  const bad = clean.find((r) => !EMAIL.test(r));
  if (bad) throw new AppError("VALIDATION", `"${bad}" is not an email address`, "recipients");
  if (clean.length > 50) throw new AppError("VALIDATION", "At most 50 recipients", "recipients");
  return clean;
}

function checkName(name: string | null | undefined): string {
  const clean = name?.trim() ?? "";
  if (!clean || clean.length > 100) throw new AppError("VALIDATION", "Give the channel a name of 1–100 characters", "name");
  return clean;
}

/** A Standard Webhooks secret: "whsec_" and 32 random bytes in base64. */
const newSigningSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** The URL is a credential (anyone holding a Slack webhook URL can post): show only where it goes. */
export function maskedUrl(url: string | null): string | null {
  if (!url) return null;
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}/…${url.slice(-4)}`;
}

async function findOwnChannel(services: AppServices, orgId: string, id: string, field = "id") {
  const channel = await services.db.notificationChannel.findFirst({ where: { id, orgId } });
  if (!channel) throw notFound("Notification channel", field);
  return channel;
}

async function unique<T>(write: () => Promise<T>, name: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw new AppError("CONFLICT", `A channel named "${name}" already exists`, "name");
    throw error;
  }
}

/** Creates a channel; a WEBHOOK channel's signing secret is returned here and never again. */
export async function createChannel(services: AppServices, orgId: string, input: ChannelInput) {
  const name = checkName(input.name);
  const kind = input.kind ?? "SLACK";
  const email = kind === "EMAIL";
  if (email && !services.config.smtpUrl) throw new AppError("VALIDATION", "Email is not configured on this server: set SMTP_URL", "kind");
  const url = email ? null : await checkUrl(services, input.url);
  const signingSecret = kind === "WEBHOOK" ? newSigningSecret() : null;
  const channel = await unique(
    () =>
      services.db.notificationChannel.create({
        data: {
          orgId,
          name,
          kind,
          url,
          secret: signingSecret,
          recipients: email ? checkRecipients(input.recipients) : [],
          events: input.events ?? [...ALERT_TYPES],
          enabled: input.enabled ?? true,
        },
      }),
    name,
  );
  return { channel, signingSecret };
}

export async function updateChannel(services: AppServices, orgId: string, id: string, input: ChannelInput) {
  const channel = await findOwnChannel(services, orgId, id);
  if (input.kind && input.kind !== channel.kind)
    throw new AppError("VALIDATION", "A channel's kind cannot change; create another channel", "kind");
  const name = input.name != null ? checkName(input.name) : channel.name;
  const url = input.url != null && channel.kind !== "EMAIL" ? await checkUrl(services, input.url) : null;
  return unique(
    () =>
      services.db.notificationChannel.update({
        where: { id: channel.id },
        data: {
          name,
          ...(url && { url }),
          ...(input.recipients != null && channel.kind === "EMAIL" && { recipients: checkRecipients(input.recipients) }),
          ...(input.events != null && { events: input.events }),
          ...(input.enabled != null && { enabled: input.enabled }),
        },
      }),
    name,
  );
}

export async function deleteChannel(services: AppServices, orgId: string, id: string) {
  const channel = await findOwnChannel(services, orgId, id);
  await services.db.notificationChannel.delete({ where: { id: channel.id } });
  return channel;
}

/**
 * Queues a test message to one channel, enabled or not, through the delivery
 * log and worker that alerts use: its attempts and result show up in the log.
 * An email channel's test goes to its fixed addresses and to whoever asked.
 */
export async function sendTestMessage(services: AppServices, user: { userId: string; orgId: string }, channelId: string) {
  const channel = await findOwnChannel(services, user.orgId, channelId, "channelId");
  const sender = await services.db.user.findUniqueOrThrow({ where: { id: user.userId }, select: { name: true, email: true } });
  const title = `Test message for "${channel.name}"`;
  const message = `${sender.name} sent this test from Tuneloop's settings. Alerts for this channel will arrive the same way.`;
  const recipients = channel.kind === "EMAIL" ? [...new Set([...(channel.recipients as string[]), sender.email.toLowerCase()])] : [""];
  const batch = randomUUID();
  const deliveries = await services.db.$transaction(
    recipients.map((recipient) =>
      services.db.notificationDelivery.create({
        data: {
          orgId: user.orgId,
          channelId: channel.id,
          event: "TEST",
          recipient,
          title,
          body: message,
          data: { type: "TEST", title, message, channelId: channel.id },
          dedupeKey: `test:${batch}:${recipient}`,
        },
      }),
    ),
  );
  services.pubsub.publish("notifications:queued", { orgId: user.orgId });
  return deliveries;
}
