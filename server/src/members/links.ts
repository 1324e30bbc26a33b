import { randomBytes } from "node:crypto";
import type { Db } from "../db/client.js";
import type { AccountLinkKind } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { hashToken } from "../auth/tokens.js";
import type { ServerConfig } from "../config.js";

// Single-use links (first-run setup, invitations, password resets). The token
// travels in the link's #fragment, so it stays out of server and proxy logs;
// only its SHA-256 hash is stored.

export const LINK_LIFETIME_MS: Record<AccountLinkKind, number> = {
  SETUP: 24 * 3600_000,
  INVITATION: 7 * 24 * 3600_000,
  PASSWORD_RESET: 15 * 60_000,
};

const PAGE: Record<AccountLinkKind, string> = { SETUP: "setup", INVITATION: "accept-invitation", PASSWORD_RESET: "reset-password" };

export function newLinkToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token) };
}

export const linkExpiry = (kind: AccountLinkKind, now = new Date()) => new Date(now.getTime() + LINK_LIFETIME_MS[kind]);

/** The web page that takes the token, e.g. https://tuneloop.example.com/accept-invitation#token=… */
export function linkUrl(
  config: Pick<ServerConfig, "publicUrl" | "host" | "port">,
  kind: AccountLinkKind,
  token: string,
  baseUrl?: string,
): string {
  const base = (config.publicUrl ?? baseUrl ?? `http://${config.host}:${config.port}`).replace(/\/$/, "");
  return `${base}/${PAGE[kind]}#token=${token}`;
}

/** The link a token stands for, if it may still be used; a typed error on the token field otherwise. */
export async function usableLink(db: Pick<Db, "accountLink">, kind: AccountLinkKind, token: string, now = new Date()) {
  const link = token ? await db.accountLink.findUnique({ where: { tokenHash: hashToken(token) } }) : null;
  if (!link || link.kind !== kind) throw new AppError("NOT_FOUND", "This link is not valid: ask for a new one", "token");
  if (link.usedAt) throw new AppError("CONFLICT", "This link was already used: ask for a new one", "token");
  if (link.revokedAt) throw new AppError("CONFLICT", "This link was withdrawn: ask for a new one", "token");
  if (link.expiresAt <= now) throw new AppError("VALIDATION", "This link has expired: ask for a new one", "token");
  return link;
}

/**
 * Marks the link used, only if nobody used it in the meantime: of two requests
 * racing with one link, exactly one gets through.
 */
export async function consumeLink(db: Pick<Db, "accountLink">, linkId: string) {
  const { count } = await db.accountLink.updateMany({ where: { id: linkId, usedAt: null, revokedAt: null }, data: { usedAt: new Date() } });
  if (count !== 1) throw new AppError("CONFLICT", "This link was already used: ask for a new one", "token");
}
