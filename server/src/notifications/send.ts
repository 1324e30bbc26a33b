import nodemailer from "nodemailer";
import { Webhook } from "standardwebhooks";
import type { ServerConfig } from "../config.js";

// Sends one delivery over its channel. Throws SendError on failure (with the
// HTTP or SMTP status when there is one); the queue decides about retries.

export class SendError extends Error {
  constructor(
    message: string,
    readonly responseCode: number | null = null,
  ) {
    super(message);
  }
}

export type OutgoingDelivery = {
  id: string;
  event: string;
  recipient: string;
  title: string;
  body: string;
  data: unknown;
  createdAt: Date;
  channel: { kind: "SLACK" | "WEBHOOK" | "EMAIL"; url: string | null; secret: string | null };
};

const HTTP_TIMEOUT_MS = 10_000;

async function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), redirect: "error" });
  } catch (error) {
    throw new SendError(`could not reach ${new URL(url).host}: ${(error as Error).message}`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new SendError(`${new URL(url).host} answered ${response.status}`, response.status);
  return response.status;
}

/** A Slack-compatible incoming webhook message: plain text for notifications, blocks for the channel. */
export function slackMessage(delivery: Pick<OutgoingDelivery, "title" | "body">) {
  return {
    text: `${delivery.title}: ${delivery.body}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: delivery.title.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: delivery.body.slice(0, 3000) } },
    ],
  };
}

/** Standard Webhooks: the delivery id is the message id, so a receiver can drop a retried copy. */
export function signedWebhook(delivery: OutgoingDelivery, secret: string, now = new Date()) {
  const body = JSON.stringify({ type: `alert.${delivery.event.toLowerCase()}`, timestamp: delivery.createdAt.toISOString(), data: delivery.data });
  const signature = new Webhook(secret).sign(delivery.id, now, body);
  return {
    body,
    headers: { "webhook-id": delivery.id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": signature },
  };
}

export type Mailer = { send(delivery: OutgoingDelivery): Promise<number>; close(): void };

/** One SMTP transport per server, from SMTP_URL; null when email is not configured. */
export function createMailer(config: Pick<ServerConfig, "smtpUrl" | "smtpFrom">): Mailer | null {
  if (!config.smtpUrl) return null;
  const transport = nodemailer.createTransport(config.smtpUrl);
  return {
    async send(delivery) {
      try {
        await transport.sendMail({ from: config.smtpFrom, to: delivery.recipient, subject: delivery.title, text: delivery.body });
        return 250;
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode ?? null;
        throw new SendError(`mail to ${delivery.recipient} failed: ${(error as Error).message}`, code);
      }
    },
    close: () => transport.close(),
  };
}

export async function sendDelivery(delivery: OutgoingDelivery, mailer: Mailer | null): Promise<number> {
  const { channel } = delivery;
  if (channel.kind === "SLACK") return post(channel.url!, JSON.stringify(slackMessage(delivery)), {});
  if (channel.kind === "WEBHOOK") {
    const signed = signedWebhook(delivery, channel.secret!);
    return post(channel.url!, signed.body, signed.headers);
  }
  if (!mailer) throw new SendError("email is not configured on this server (SMTP_URL)");
  return mailer.send(delivery);
}
