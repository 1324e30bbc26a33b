import type { AppServices, Context, UserContext } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { audit } from "../audit/service.js";
import { endCredentialSessions } from "../auth/liveConnections.js";
import { createSession, firstOrganization } from "../auth/service.js";
import { assertOrgName, freeSlug } from "./organizations.js";
import { verifyPassword } from "../auth/tokens.js";
import { consumeLink, linkExpiry, linkUrl, newLinkToken, usableLink } from "./links.js";
import { sendAccountMail } from "./mail.js";
import { assertName, assertPassword, normalizeEmail } from "./service.js";

// What every member does for themselves: name, password, sessions, and the
// first-run setup that creates the organization and its first admin.

export async function updateMyName(ctx: UserContext, name: string) {
  return ctx.db.user.update({ where: { id: ctx.viewer.userId }, data: { name: assertName(name) } });
}

/** Needs the current password; signs out every other session. */
export async function changeMyPassword(ctx: UserContext, currentPassword: string, newPassword: string) {
  const viewer = ctx.viewer;
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: viewer.userId } });
  if (!user.passwordHash || !(await verifyPassword(currentPassword, user.passwordHash, ctx.config.passwordHashCost)).ok)
    throw new AppError("UNAUTHENTICATED", "The current password is wrong", "currentPassword");
  const passwordHash = await assertPassword(ctx, newPassword);
  await ctx.db.user.update({ where: { id: user.id }, data: { passwordHash } });
  await endSessionsOf(ctx, user.id, viewer.credentialId);
  await audit(ctx, "auth.password_changed", { target: { type: "User", id: user.id } });
}

export async function mySessions(ctx: UserContext) {
  return ctx.db.session.findMany({ where: { userId: ctx.viewer.userId, expiresAt: { gt: new Date() } }, orderBy: { createdAt: "desc" } });
}

export async function endMySession(ctx: UserContext, sessionId: string) {
  const { count } = await ctx.db.session.deleteMany({ where: { id: sessionId, userId: ctx.viewer.userId } });
  if (count === 0) throw notFound("Session", "sessionId");
  await endCredentialSessions(ctx.pubsub, { credentialId: sessionId });
}

/** Ends every session of the caller, this one included (API keys stay: revoke them one by one). */
export async function signOutEverywhere(ctx: UserContext) {
  const count = await endSessionsOf(ctx, ctx.viewer.userId);
  await audit(ctx, "auth.signed_out_everywhere", { target: { type: "User", id: ctx.viewer.userId }, after: { sessionsEnded: count } });
  return count;
}

/** Deletes a user's sessions and closes the subscriptions opened with them; returns how many. */
async function endSessionsOf(ctx: Context, userId: string, exceptId?: string) {
  const sessions = await ctx.db.session.findMany({ where: { userId, ...(exceptId && { id: { not: exceptId } }) }, select: { id: true } });
  await ctx.db.session.deleteMany({ where: { id: { in: sessions.map((s) => s.id) } } });
  for (const session of sessions) await endCredentialSessions(ctx.pubsub, { credentialId: session.id });
  return sessions.length;
}

/**
 * Emails a reset link valid 15 minutes when the email belongs to an active
 * member. The caller learns nothing either way: the answer and its timing are
 * the same (the mail goes out after the answer).
 */
export async function requestPasswordReset(ctx: Context, rawEmail: string) {
  const email = normalizeEmail(rawEmail);
  const user = await ctx.db.user.findUnique({ where: { email } });
  // Service accounts have no password to reset (nor a mailbox).
  const orgId = user && !user.serviceAccount && (await firstOrganization(ctx.db, user.id));
  if (!orgId || !(await ctx.rateLimits.take("passwordResetMails", email)).allowed) return;
  const { token, tokenHash } = newLinkToken();
  await ctx.db.accountLink.create({ data: { kind: "PASSWORD_RESET", tokenHash, orgId, email, expiresAt: linkExpiry("PASSWORD_RESET") } });
  const text = `Someone asked to reset the password of your Tuneloop account.\n\nChoose a new password within 15 minutes (the link works once):\n${linkUrl(ctx.config, "PASSWORD_RESET", token, ctx.listeningUrl)}\n\nIf it was not you, ignore this email: your password stays as it is.`;
  void sendAccountMail(ctx.config, email, "Reset your Tuneloop password", text);
}

/** Sets the new password, signs out every session, and returns a fresh one. */
export async function resetPassword(ctx: Context, token: string, password: string) {
  const link = await usableLink(ctx.db, "PASSWORD_RESET", token);
  const passwordHash = await assertPassword(ctx, password);
  const userId = await ctx.db.$transaction(async (tx) => {
    await consumeLink(tx, link.id);
    const user = await tx.user.findUnique({ where: { email: link.email! } });
    const orgId = user && (await firstOrganization(tx, user.id));
    if (!user || !orgId) throw new AppError("FORBIDDEN", "This account was deactivated", "token");
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await audit({ db: tx, viewer: null, clientAddress: ctx.clientAddress }, "auth.password_reset", {
      orgId,
      actorId: user.id,
      target: { type: "User", id: user.id },
    });
    return user.id;
  });
  await endSessionsOf(ctx, userId);
  return createSession(ctx.db, userId, ctx.clientAddress);
}

export const setupRequired = async (services: Pick<AppServices, "db">) => (await services.db.organization.count()) === 0;

/**
 * A fresh setup link while the server has no organization (printed at start
 * and by `pnpm tuneloop setup`); earlier unused ones stop working. Null once
 * an organization exists.
 */
export async function createSetupLink(
  services: Pick<AppServices, "db" | "config">,
  preset: { orgName?: string; email?: string } = {},
  baseUrl?: string,
) {
  if (!(await setupRequired(services))) return null;
  const email = preset.email ? normalizeEmail(preset.email) : null;
  const { token, tokenHash } = newLinkToken();
  await services.db.$transaction([
    services.db.accountLink.updateMany({ where: { kind: "SETUP", usedAt: null, revokedAt: null }, data: { revokedAt: new Date() } }),
    services.db.accountLink.create({
      data: { kind: "SETUP", tokenHash, orgName: preset.orgName?.trim() || null, email, expiresAt: linkExpiry("SETUP") },
    }),
  ]);
  return linkUrl(services.config, "SETUP", token, baseUrl);
}

/** What the setup page shows before the form is filled in. */
export async function setupLinkPreset(ctx: Context, token: string) {
  const link = await usableLink(ctx.db, "SETUP", token);
  return { orgName: link.orgName, email: link.email };
}

/** Creates the first organization and its admin from a setup link; returns a session token. */
export async function completeSetup(
  ctx: Context,
  token: string,
  input: { organization: string; name: string; email: string; password: string },
) {
  const link = await usableLink(ctx.db, "SETUP", token);
  const orgName = assertOrgName(input.organization);
  const name = assertName(input.name);
  const email = normalizeEmail(input.email);
  const passwordHash = await assertPassword(ctx, input.password);
  return ctx.db.$transaction(async (tx) => {
    await consumeLink(tx, link.id);
    if ((await tx.organization.count()) > 0) throw new AppError("CONFLICT", "This server is already set up: sign in instead", "token");
    const org = await tx.organization.create({ data: { name: orgName, slug: await freeSlug(tx, orgName) } });
    const user = await tx.user.create({ data: { email, name, passwordHash, memberships: { create: { orgId: org.id, role: "ADMIN" } } } });
    await audit({ db: tx, viewer: null, clientAddress: ctx.clientAddress }, "setup.completed", {
      orgId: org.id,
      actorId: user.id,
      target: { type: "Organization", id: org.id },
      after: { organization: orgName, admin: email },
    });
    return createSession(tx, user.id, ctx.clientAddress, org.id);
  });
}
