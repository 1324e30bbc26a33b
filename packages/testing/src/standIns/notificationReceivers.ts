// Real receivers for the notification tests: an HTTP server (Slack-compatible
// and generic webhooks) and an SMTP server, each failing its first requests.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";

export type ReceivedRequest = { path: string; headers: IncomingHttpHeaders; body: string; answered: number; at: number };

/** Answers 503 to the first `failFirst` requests on each path (or while `down`), then 200. */
export async function startHttpReceiver(failFirst: Record<string, number> = {}) {
  const requests: ReceivedRequest[] = [];
  const state = { down: false };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      const seen = requests.filter((r) => r.path === path).length;
      const answered = state.down || seen < (failFirst[path] ?? 0) ? 503 : 200;
      requests.push({ path, headers: req.headers, body, answered, at: Date.now() });
      res.writeHead(answered, { "content-type": "text/plain" }).end(answered === 200 ? "ok" : "try later");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    state,
    on: (path: string) => requests.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An SMTP server (no TLS, no auth) that refuses the first `failFirst` messages with 451. */
export async function startSmtpReceiver(failFirst = 0) {
  const mails: ParsedMail[] = [];
  let refused = 0;
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          if (refused < failFirst) {
            refused++;
            return callback(Object.assign(new Error("Mailbox busy, try again later"), { responseCode: 451 }));
          }
          mails.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    mails,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
