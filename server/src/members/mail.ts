import type { ServerConfig } from "../config.js";
import { createMailer } from "../notifications/send.js";

/**
 * Sends an account email (invitation, password reset) straight through the
 * notification mailer. Not through the delivery queue: its log is readable by
 * the organization and must never hold a link's token. False when SMTP is not
 * configured or the mail server refused.
 */
export async function sendAccountMail(config: ServerConfig, to: string, subject: string, text: string): Promise<boolean> {
  const mailer = createMailer(config);
  if (!mailer) return false;
  try {
    await mailer.send({
      id: "",
      event: "ACCOUNT",
      recipient: to,
      title: subject,
      body: text,
      data: null,
      createdAt: new Date(),
      channel: { kind: "EMAIL", url: null, secret: null },
    });
    return true;
  } catch (error) {
    if (config.logLevel !== "silent") console.warn(`account mail to ${to} failed: ${(error as Error).message}`);
    return false;
  } finally {
    mailer.close();
  }
}
