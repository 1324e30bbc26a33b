import http from "node:http";
import https from "node:https";
import nodemailer from "nodemailer";
import { Webhook } from "standardwebhooks";
import type { ServerConfig } from "../config.js";
import { destinationRule } from "./outbound.js";

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

/** POSTs JSON to a channel's URL, connecting only to an address the outbound rule allows; redirects are not followed. */
async function post(allowedHosts: string[], url: string, body: string, headers: Record<string, string>): Promise<number> {
  const target = new URL(url);
  const rule = destinationRule(allowedHosts);
  const status = await new Promise<number>((resolve, reject) => {
    if (!rule.trusts(target.hostname)) rule.checkLiteral(target.hostname);
    const request = (target.protocol === "https:" ? https : http).request(target, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers },
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      ...(!rule.trusts(target.hostname) && { lookup: rule.lookup }),
    });
    request.on("response", (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", reject);
    request.end(body);
  }).catch((error: Error) => {
    throw new SendError(`could not reach ${target.host}: ${error.message}`);
  });
  if (status < 200 || status >= 300) throw new SendError(`${target.host} answered ${status}`, status);
  return status;
}

/** Slack reads <…> as mentions (<!channel>) and links, and & starts an entity: user text shows as written. */
const slackEscape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A Slack-compatible incoming webhook message: plain text for notifications, blocks for the channel. */
export function slackMessage(delivery: Pick<OutgoingDelivery, "title" | "body">) {
  return {
    text: slackEscape(`${delivery.title}: ${delivery.body}`),
    blocks: [
      { type: "header", text: { type: "plain_text", text: delivery.title.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: slackEscape(delivery.body.slice(0, 3000)) } },
    ],
  };
}

/** Standard Webhooks: the delivery id is the message id, so a receiver can drop a retried copy. */
export function signedWebhook(delivery: OutgoingDelivery, secret: string, now = new Date()) {
  const body = JSON.stringify({
    type: `alert.${delivery.event.toLowerCase()}`,
    timestamp: delivery.createdAt.toISOString(),
    data: delivery.data,
  });
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

export async function sendDelivery(delivery: OutgoingDelivery, mailer: Mailer | null, allowedHosts: string[]): Promise<number> {
  const { channel } = delivery;
  if (channel.kind === "SLACK") return post(allowedHosts, channel.url!, JSON.stringify(slackMessage(delivery)), {});
  if (channel.kind === "WEBHOOK") {
    const signed = signedWebhook(delivery, channel.secret!);
    return post(allowedHosts, channel.url!, signed.body, signed.headers);
  }
  if (!mailer) throw new SendError("email is not configured on this server (SMTP_URL)");
  return mailer.send(delivery);
}
