import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";
import type { ServerConfig } from "../config.js";

/**
 * The caller's network address: the socket's, or — behind proxies that
 * TRUST_PROXY names — the nearest address in X-Forwarded-For that no trusted
 * proxy vouches for. Used wherever the server keys anything on the client.
 */
export function clientAddressOf(req: IncomingMessage | undefined, config: ServerConfig): string | null {
  if (!req?.socket.remoteAddress) return null;
  return proxyaddr(req, config.trustProxy);
}
