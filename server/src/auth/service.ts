import type { Db } from "../db/client.js";
import type { AppServices, Viewer } from "../context.js";
import { forgetRequests, secondsBlocked, takeRequest } from "../rateLimits.js";
import { AppError } from "../errors.js";
import { hashPassword, hashToken, newToken, verifyPassword, TOKEN_PREFIX } from "./tokens.js";

export const API_KEY_SCOPES = ["read", "write", "worker"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
const SESSION_DAYS = 14;
const LAST_USED_PRECISION_MS = 60_000;

/** Resolves the caller from `Authorization: Bearer …` (API key, session or trainer token). */
export async function resolveViewer(db: Db, authorization: string | null | undefined): Promise<Viewer | null> {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return null;
  const hash = hashToken(token);
  const now = new Date();

  if (token.startsWith(TOKEN_PREFIX.session)) {
    const session = await db.session.findUnique({ where: { tokenHash: hash }, include: { user: true } });
    if (!session || session.expiresAt < now) return null;
    return { kind: "user", userId: session.user.id, orgId: session.user.orgId, role: session.user.role, scopes: null, credentialId: session.id };
  }

  const key = await db.apiKey.findUnique({ where: { hash }, include: { user: true } });
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt < now)) return null;
  if (key.jobId) return { kind: "trainer", orgId: key.orgId, jobId: key.jobId, tokenId: key.id };
  if (!key.user) return null;
  // Shown beside each key so that unused ones can be revoked; written at most once a minute per key.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    await db.apiKey.updateMany({ where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_PRECISION_MS) } }] }, data: { lastUsedAt: now } });
  }
  return { kind: "user", userId: key.user.id, orgId: key.orgId, role: key.user.role, scopes: key.scopes as string[], credentialId: key.id };
}

/** A session (from the SPA's login) may do all its role allows; an API key only what its scopes say. */
export function viewerHasScope(viewer: Viewer | null, scope: ApiKeyScope): boolean {
  if (viewer?.kind !== "user") return false;
  return viewer.scopes === null ? scope !== "worker" : viewer.scopes.includes(scope);
}

/**
 * A session for an email and password. Ten wrong passwords for one email from
 * one address pause sign-in there for up to 15 minutes (password guessing),
 * without locking the user out everywhere else.
 */
export async function login(services: AppServices, email: string, password: string, clientAddress: string | null) {
  const { db, config } = services;
  const normalized = email.trim().toLowerCase();
  const attempts = `${normalized}|${clientAddress ?? "unknown"}`;
  const wait = await secondsBlocked(config, "failedLogins", attempts);
  if (wait > 0) throw new AppError("RATE_LIMITED", `Too many wrong passwords for this email: try again in ${Math.ceil(wait / 60)} minute(s)`, "password");
  const user = await db.user.findUnique({ where: { email: normalized } });
  const ok = user?.passwordHash ? await verifyPassword(password, user.passwordHash) : false;
  if (!user || !ok) {
    await takeRequest(config, "failedLogins", attempts);
    throw new AppError("UNAUTHENTICATED", "Email or password is wrong", "password");
  }
  await forgetRequests(config, "failedLogins", attempts);
  const token = newToken("session");
  await db.session.create({
    data: { userId: user.id, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + SESSION_DAYS * 86400_000) },
  });
  return { token, user };
}

export async function logout(db: Db, authorization: string | null | undefined) {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (token?.startsWith(TOKEN_PREFIX.session)) await db.session.deleteMany({ where: { tokenHash: hashToken(token) } });
}

export async function createApiKey(db: Db, viewer: Extract<Viewer, { kind: "user" }>, name: string, scopes: ApiKeyScope[], expiresAt?: Date | null) {
  if (!name.trim()) throw new AppError("VALIDATION", "Give the key a name", "name");
  if (scopes.length === 0) throw new AppError("VALIDATION", "Choose at least one scope", "scopes");
  const key = newToken("apiKey");
  const apiKey = await db.apiKey.create({
    data: { orgId: viewer.orgId, userId: viewer.userId, name: name.trim(), prefix: key.slice(0, 10), hash: hashToken(key), scopes, expiresAt },
  });
  return { key, apiKey };
}

/** A token that lets a trainer report on one job and nothing else. */
export async function createTrainerToken(db: Db, orgId: string, jobId: string, leaseHours = 72) {
  const token = newToken("trainer");
  await db.apiKey.create({
    data: { orgId, name: `trainer for job ${jobId}`, prefix: token.slice(0, 10), hash: hashToken(token), scopes: ["trainer"], jobId, expiresAt: new Date(Date.now() + leaseHours * 3600_000) },
  });
  return token;
}

export async function setPassword(db: Db, userId: string, password: string) {
  await db.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(password) } });
}
