import type { Db } from "../db/client.js";
import type { AppServices, UserViewer, Viewer } from "../context.js";
import { AppError } from "../errors.js";
import { audit } from "../audit/service.js";
import type { Role } from "../generated/sqlite/enums.js";
import { holdsLease } from "../workers/lease.js";
import { hashPassword, hashToken, newToken, verifyAgainstDummy, verifyPassword, TOKEN_PREFIX } from "./tokens.js";
import { endCredentialSessions } from "./liveConnections.js";
import type { Loaded } from "../expiringCache.js";

export const API_KEY_SCOPES = ["read", "write", "worker"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
/** Scopes each role may put on an API key: QA reads; keys that claim training jobs are for owners and admins. */
const GRANTABLE_SCOPES: Record<Role, readonly ApiKeyScope[]> = {
  QA: ["read"],
  ENGINEER: ["read", "write"],
  OWNER: API_KEY_SCOPES,
  ADMIN: API_KEY_SCOPES,
};
const SESSION_DAYS = 14;
const LAST_USED_PRECISION_MS = 60_000;

/** The token of `Authorization: Bearer …`, however "Bearer" is spelled; null when there is none. */
export const bearerToken = (authorization: string | null | undefined) => authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;

/** Resolves the caller from `Authorization: Bearer …` (API key, session or trainer token). */
export async function resolveViewer(db: Db, authorization: string | null | undefined): Promise<Viewer | null> {
  const token = bearerToken(authorization);
  return token ? (await resolveToken(db, token)).value : null;
}

/**
 * The caller a token stands for, and until when its credential is valid if
 * nothing changes (ms since the epoch: the session's or key's expiry, or the
 * organization's maximum key lifetime), so that a cache keeps it no longer.
 * A trainer's token is valid until 0: it depends on its job's lease, checked each time.
 */
export async function resolveToken(db: Db, token: string): Promise<Loaded<Viewer>> {
  const hash = hashToken(token);
  const now = new Date();
  const refused = { value: null, validUntil: 0 };

  if (token.startsWith(TOKEN_PREFIX.session)) {
    const session = await db.session.findUnique({ where: { tokenHash: hash }, include: MEMBERSHIPS });
    const role = session && roleIn(session.user.memberships, session.orgId);
    if (!session || !role || session.expiresAt < now) return refused;
    return {
      value: { kind: "user", userId: session.userId, orgId: session.orgId, role, scopes: null, credentialId: session.id },
      validUntil: session.expiresAt.getTime(),
    };
  }

  const key = await db.apiKey.findUnique({ where: { hash }, include: { ...MEMBERSHIPS, org: { select: { apiKeyMaxDays: true } } } });
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt < now)) return refused;
  if (key.jobId) {
    const job = await db.trainingJob.findUnique({ where: { id: key.jobId }, select: { status: true, leaseExpiresAt: true } });
    // A machine's launch token claims; reports need the token that claim returned.
    return {
      value: job && {
        kind: "trainer",
        orgId: key.orgId,
        jobId: key.jobId,
        tokenId: key.id,
        holdsLease: !key.launchId && holdsLease(job, now),
      },
      validUntil: 0,
    };
  }
  const role = key.user && roleIn(key.user.memberships, key.orgId);
  if (!key.userId || !role) return refused;
  // The organization's maximum key lifetime applies to keys made before it was set, too.
  const endOfLifetime = key.org.apiKeyMaxDays ? key.createdAt.getTime() + key.org.apiKeyMaxDays * 86400_000 : Infinity;
  if (endOfLifetime < now.getTime()) return refused;
  // Shown beside each key so that unused ones can be revoked; written at most once a minute per key.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    await db.apiKey.updateMany({
      where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_PRECISION_MS) } }] },
      data: { lastUsedAt: now },
    });
  }
  return {
    value: { kind: "user", userId: key.userId, orgId: key.orgId, role, scopes: key.scopes as string[], credentialId: key.id },
    validUntil: Math.min(endOfLifetime, key.expiresAt?.getTime() ?? Infinity),
  };
}

// A credential works in one organization (a session's, or the one its API key was made in), with the
// role of its user's membership there; a removed membership ends it, other organizations' stay.
const MEMBERSHIPS = { user: { select: { memberships: { select: { orgId: true, role: true, deactivatedAt: true } } } } } as const;
const roleIn = (memberships: { orgId: string; role: Role; deactivatedAt: Date | null }[], orgId: string) =>
  memberships.find((m) => m.orgId === orgId && !m.deactivatedAt)?.role ?? null;

/** A session (from the SPA's login) may do all its role allows; an API key only what its scopes say. */
export function viewerHasScope(viewer: Viewer | null, scope: ApiKeyScope): boolean {
  if (viewer?.kind !== "user") return false;
  return viewer.scopes === null ? scope !== "worker" : viewer.scopes.includes(scope);
}

/**
 * A session for an email and password. Ten wrong passwords for one email from
 * one address pause sign-in there for up to 15 minutes (password guessing),
 * without locking the user out everywhere else. Every try is counted before the
 * password is checked (one atomic step), so tries sent in parallel cannot pass
 * the limit; a success forgets the count. An unknown email costs the same hash
 * as a known one, so the answer's timing does not tell which emails exist.
 */
export async function login(services: AppServices, email: string, password: string, clientAddress: string | null) {
  const { db, config } = services;
  const normalized = email.trim().toLowerCase();
  const attempts = `${normalized}|${clientAddress ?? "unknown"}`;
  const counted = await services.rateLimits.take("failedLogins", attempts);
  if (!counted.allowed)
    throw new AppError(
      "RATE_LIMITED",
      `Too many wrong passwords for this email: try again in ${Math.ceil(counted.resetSeconds / 60)} minute(s)`,
      "password",
    );
  const user = await db.user.findUnique({ where: { email: normalized } });
  const check = user?.passwordHash
    ? await verifyPassword(password, user.passwordHash, config.passwordHashCost)
    : await verifyAgainstDummy(password, config.passwordHashCost).then(() => null);
  if (!user || !check?.ok) {
    // The failure that starts the pause is recorded once; the refused tries after it stop above.
    if (counted.remaining === 0)
      await audit({ db, viewer: null, clientAddress }, "auth.sign_in_failures_burst", {
        orgId: (user && (await firstOrganization(db, user.id, true))) ?? null,
        actorId: user?.id ?? null,
        after: { email: normalized },
      });
    throw new AppError("UNAUTHENTICATED", "Email or password is wrong", "password");
  }
  const orgId = await firstOrganization(db, user.id);
  if (!orgId) throw new AppError("FORBIDDEN", "This account was deactivated: ask an owner or admin of your organization", "email");
  await services.rateLimits.forget("failedLogins", attempts);
  // A hash made at a lower cost than the configured one is replaced while the password is at hand.
  if (check.outdated) await setPassword(services, user.id, password);
  const token = await createSession(db, user.id, clientAddress, orgId);
  await audit({ db, viewer: null, clientAddress }, "auth.signed_in", { orgId, actorId: user.id, target: { type: "User", id: user.id } });
  return { token, user };
}

/** The organization a sign-in starts in: the first the user joined and still belongs to (`removedToo`: or was removed from); null: none. */
export async function firstOrganization(db: Pick<Db, "membership">, userId: string, removedToo = false): Promise<string | null> {
  const membership = await db.membership.findFirst({
    where: { userId, ...(!removedToo && { deactivatedAt: null }) },
    orderBy: { createdAt: "asc" },
    select: { orgId: true },
  });
  return membership?.orgId ?? null;
}

/**
 * Starts a browser session for a user in one organization (by default their
 * first); returns its token (only the hash is stored).
 */
export async function createSession(db: Pick<Db, "session" | "membership">, userId: string, address: string | null, orgId?: string) {
  const org = orgId ?? (await firstOrganization(db, userId));
  if (!org) throw new AppError("FORBIDDEN", "This account belongs to no organization any more: ask an owner or admin to let you back in");
  const token = newToken("session");
  await db.session.create({
    data: { userId, orgId: org, tokenHash: hashToken(token), address, expiresAt: new Date(Date.now() + SESSION_DAYS * 86400_000) },
  });
  return token;
}

/** Ends the session; its live subscriptions end with it, on every instance. */
export async function logout(services: AppServices, authorization: string | null | undefined) {
  const token = bearerToken(authorization);
  if (!token?.startsWith(TOKEN_PREFIX.session)) return;
  const session = await services.db.session.findUnique({ where: { tokenHash: hashToken(token) }, select: { id: true } });
  if (!session) return;
  await services.db.session.deleteMany({ where: { id: session.id } });
  await endCredentialSessions(services.pubsub, { credentialId: session.id });
}

/**
 * A new API key, for the caller or (owners and admins) for one of the
 * organization's service accounts (`holderId`). The caller grants only the
 * scopes their role allows (and a key minting another, only its own); the
 * organization's maximum lifetime, when set, bounds the expiry and is the default one.
 */
export async function createApiKey(
  db: Db,
  viewer: UserViewer,
  name: string,
  scopes: ApiKeyScope[],
  expiresAt?: Date | null,
  holderId = viewer.userId,
) {
  if (!name.trim()) throw new AppError("VALIDATION", "Give the key a name", "name");
  if (scopes.length === 0) throw new AppError("VALIDATION", "Choose at least one scope", "scopes");
  const refused = scopes.find(
    (scope) => !GRANTABLE_SCOPES[viewer.role].includes(scope) || (viewer.scopes !== null && !viewer.scopes.includes(scope)),
  );
  if (refused)
    throw new AppError("FORBIDDEN", `Your ${viewer.scopes ? "key" : "role"} cannot grant the ${refused.toUpperCase()} scope`, "scopes");
  const now = Date.now();
  if (expiresAt && expiresAt.getTime() <= now) throw new AppError("VALIDATION", "The expiry must be in the future", "expiresAt");
  const { apiKeyMaxDays } = await db.organization.findUniqueOrThrow({ where: { id: viewer.orgId }, select: { apiKeyMaxDays: true } });
  if (apiKeyMaxDays) {
    const latest = new Date(now + apiKeyMaxDays * 86400_000);
    if (expiresAt && expiresAt > latest)
      throw new AppError("VALIDATION", `Keys of this organization live at most ${apiKeyMaxDays} days`, "expiresAt");
    expiresAt ??= latest;
  }
  const key = newToken("apiKey");
  const apiKey = await db.apiKey.create({
    data: { orgId: viewer.orgId, userId: holderId, name: name.trim(), prefix: key.slice(0, 10), hash: hashToken(key), scopes, expiresAt },
  });
  return { key, apiKey };
}

/**
 * A token that lets a trainer report on one job and nothing else, and only
 * while its worker holds the job's lease (resolveViewer checks the job each time).
 * With `launchId` it is a launched machine's token instead: it only claims its
 * job, as often as the provider restarts the machine, until the launch ends.
 */
export async function createTrainerToken(db: Db, orgId: string, jobId: string, launchId: string | null = null) {
  const token = newToken("trainer");
  await db.apiKey.create({
    data: {
      orgId,
      name: `${launchId ? "machine" : "trainer"} for job ${jobId}`,
      prefix: token.slice(0, 10),
      hash: hashToken(token),
      scopes: ["trainer"],
      jobId,
      launchId,
      expiresAt: new Date(Date.now() + 72 * 3600_000),
    },
  });
  return token;
}

export async function setPassword({ db, config }: Pick<AppServices, "db" | "config">, userId: string, password: string) {
  await db.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(password, config.passwordHashCost) } });
}
