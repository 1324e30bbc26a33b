import { z } from "zod";
import type { Context, Viewer } from "../context.js";
import type { Role } from "../generated/sqlite/enums.js";
import { AppError, notFound } from "../errors.js";
import { audit } from "../audit/service.js";
import { createSession } from "../auth/service.js";
import { hashPassword } from "../auth/tokens.js";
import { consumeLink, linkExpiry, linkUrl, newLinkToken, usableLink } from "./links.js";
import { sendAccountMail } from "./mail.js";
import { endAccess } from "./access.js";
import { endCredentialSessions } from "../auth/liveConnections.js";

// Members of an organization: invitations, roles, deactivation. Owners and
// admins manage members; each may grant only the roles their own allows.

type Member = Extract<Viewer, { kind: "user" }>;

const GRANTABLE: Record<Role, Role[]> = { ADMIN: ["ENGINEER", "QA", "OWNER", "ADMIN"], OWNER: ["ENGINEER", "QA", "OWNER"], ENGINEER: [], QA: [] };
/** Roles that manage members: an organization always keeps at least one active such member. */
const MANAGER_ROLES: Role[] = ["OWNER", "ADMIN"];

export function assertMember(viewer: Viewer | null): asserts viewer is Member {
  if (viewer?.kind !== "user") throw new AppError("UNAUTHENTICATED", "Sign in first");
}

function assertMayGrant(viewer: Member, role: Role, field = "role") {
  if (!GRANTABLE[viewer.role].includes(role)) throw new AppError("FORBIDDEN", `Your role (${viewer.role}) cannot give the ${role} role`, field);
}

export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!z.email().safeParse(normalized).success) throw new AppError("VALIDATION", "Enter a valid email address", "email");
  return normalized;
}

export async function assertPassword(password: string): Promise<string> {
  if (password.length < 10) throw new AppError("VALIDATION", "Use at least 10 characters", "password");
  if (password.length > 200) throw new AppError("VALIDATION", "Use at most 200 characters", "password");
  return hashPassword(password);
}

export function assertName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw new AppError("VALIDATION", "Enter a name of 1 to 100 characters", "name");
  return trimmed;
}

async function sendInvitation(ctx: Context, email: string, token: string, orgName: string, role: Role, inviter: string) {
  const url = linkUrl(ctx.config, "INVITATION", token);
  const sent = await sendAccountMail(ctx.config, email, `${inviter} invited you to ${orgName} on Tuneloop`, `${inviter} invited you to join ${orgName} on Tuneloop as ${role.toLowerCase()}.\n\nAccept within 7 days (the link works once):\n${url}\n\nIf you did not expect this, ignore this email.`);
  // Without a mail server the inviter is shown the link once, to pass on.
  return { emailSent: sent, link: sent ? null : url };
}

export async function inviteMember(ctx: Context, rawEmail: string, role: Role) {
  const viewer = ctx.viewer;
  assertMember(viewer);
  assertMayGrant(viewer, role);
  const email = normalizeEmail(rawEmail);
  const existing = await ctx.db.user.findUnique({ where: { email } });
  if (existing) throw new AppError("CONFLICT", existing.orgId === viewer.orgId ? "This person is already a member" : "This email already has an account in another organization", "email");
  const pending = await ctx.db.accountLink.findFirst({ where: { orgId: viewer.orgId, kind: "INVITATION", email, usedAt: null, revokedAt: null, expiresAt: { gt: new Date() } } });
  if (pending) throw new AppError("CONFLICT", "This email already has a pending invitation: re-send it instead", "email");
  const { token, tokenHash } = newLinkToken();
  const invitation = await ctx.db.accountLink.create({
    data: { kind: "INVITATION", tokenHash, orgId: viewer.orgId, email, role, createdById: viewer.userId, expiresAt: linkExpiry("INVITATION") },
    include: { org: true, createdBy: true },
  });
  await audit(ctx, "member.invited", { target: { type: "AccountLink", id: invitation.id }, after: { email, role } });
  return { invitation, ...(await sendInvitation(ctx, email, token, invitation.org!.name, role, invitation.createdBy!.name)) };
}

async function pendingInvitation(ctx: Context, viewer: Member, id: string) {
  const invitation = await ctx.db.accountLink.findFirst({ where: { id, orgId: viewer.orgId, kind: "INVITATION" }, include: { org: true } });
  if (!invitation) throw notFound("Invitation");
  if (invitation.usedAt) throw new AppError("CONFLICT", "This invitation was already accepted", "id");
  assertMayGrant(viewer, invitation.role!, "id");
  return invitation;
}

/** A new link (the old one stops working: only hashes are kept) valid 7 days from now. */
export async function resendInvitation(ctx: Context, id: string) {
  const viewer = ctx.viewer;
  assertMember(viewer);
  const old = await pendingInvitation(ctx, viewer, id);
  const { token, tokenHash } = newLinkToken();
  const invitation = await ctx.db.accountLink.update({ where: { id }, data: { tokenHash, revokedAt: null, expiresAt: linkExpiry("INVITATION") } });
  await audit(ctx, "member.invitation_resent", { target: { type: "AccountLink", id }, after: { email: old.email } });
  const inviter = await ctx.db.user.findUniqueOrThrow({ where: { id: viewer.userId } });
  return { invitation, ...(await sendInvitation(ctx, old.email!, token, old.org!.name, old.role!, inviter.name)) };
}

export async function revokeInvitation(ctx: Context, id: string) {
  const viewer = ctx.viewer;
  assertMember(viewer);
  const old = await pendingInvitation(ctx, viewer, id);
  const invitation = await ctx.db.accountLink.update({ where: { id }, data: { revokedAt: old.revokedAt ?? new Date() } });
  await audit(ctx, "member.invitation_revoked", { target: { type: "AccountLink", id }, before: { email: old.email, role: old.role } });
  return invitation;
}

/** Creates the invited member with a name and password; returns a session token. */
export async function acceptInvitation(ctx: Context, token: string, rawName: string, password: string) {
  const link = await usableLink(ctx.db, "INVITATION", token);
  const name = assertName(rawName);
  const passwordHash = await assertPassword(password);
  return ctx.db.$transaction(async (tx) => {
    await consumeLink(tx, link.id);
    if (await tx.user.findUnique({ where: { email: link.email! } })) throw new AppError("CONFLICT", "This email already has an account: sign in instead", "token");
    const user = await tx.user.create({ data: { orgId: link.orgId!, email: link.email!, name, role: link.role!, passwordHash } });
    await audit({ db: tx, viewer: null, clientAddress: ctx.clientAddress }, "member.joined", { orgId: user.orgId, actorId: user.id, target: { type: "AccountLink", id: link.id }, after: { email: user.email, role: user.role } });
    return createSession(tx, user.id, ctx.clientAddress);
  });
}

async function managedMember(ctx: Context, viewer: Member, userId: string) {
  const user = await ctx.db.user.findFirst({ where: { id: userId, orgId: viewer.orgId } });
  if (!user) throw notFound("Member", "userId");
  assertMayGrant(viewer, user.role, "userId");
  return user;
}

/** Refuses a change that would leave the organization without an active owner or admin. */
async function assertKeepsAManager(ctx: Context, orgId: string, userId: string) {
  const others = await ctx.db.user.count({ where: { orgId, id: { not: userId }, role: { in: MANAGER_ROLES }, deactivatedAt: null } });
  if (others === 0) throw new AppError("CONFLICT", "This is the organization's last owner or admin: give someone else that role first", "userId");
}

/** The new role applies from the member's next request (the role is read with each credential). */
export async function changeMemberRole(ctx: Context, userId: string, role: Role) {
  const viewer = ctx.viewer;
  assertMember(viewer);
  const user = await managedMember(ctx, viewer, userId);
  assertMayGrant(viewer, role);
  if (MANAGER_ROLES.includes(user.role) && !MANAGER_ROLES.includes(role) && !user.deactivatedAt) await assertKeepsAManager(ctx, viewer.orgId, user.id);
  const updated = await ctx.db.user.update({ where: { id: user.id }, data: { role } });
  if (user.role !== role) await audit(ctx, "member.role_changed", { target: { type: "User", id: user.id }, before: { role: user.role }, after: { role } });
  return updated;
}

/**
 * Removes a member from work: they can no longer sign in, their sessions and
 * API keys end now, and so do their open subscriptions. What they created stays
 * and keeps their name.
 */
export async function deactivateMember(ctx: Context, userId: string) {
  const viewer = ctx.viewer;
  assertMember(viewer);
  if (userId === viewer.userId) throw new AppError("VALIDATION", "You cannot remove yourself: ask another owner or admin", "userId");
  const user = await managedMember(ctx, viewer, userId);
  if (user.deactivatedAt) return user;
  if (MANAGER_ROLES.includes(user.role)) await assertKeepsAManager(ctx, viewer.orgId, user.id);
  const updated = await ctx.db.$transaction(async (tx) => {
    const deactivated = await tx.user.update({ where: { id: user.id }, data: { deactivatedAt: new Date() } });
    await endAccess(tx, user.id);
    await audit({ ...ctx, db: tx }, "member.deactivated", { target: { type: "User", id: user.id }, before: { active: true, role: user.role }, after: { active: false } });
    return deactivated;
  });
  await endCredentialSessions(ctx.pubsub, { userId: user.id });
  return updated;
}

/** Lets a deactivated member sign in again; their old API keys stay revoked. */
export async function reactivateMember(ctx: Context, userId: string) {
  const viewer = ctx.viewer;
  assertMember(viewer);
  const user = await managedMember(ctx, viewer, userId);
  if (!user.deactivatedAt) return user;
  const updated = await ctx.db.user.update({ where: { id: user.id }, data: { deactivatedAt: null } });
  await audit(ctx, "member.reactivated", { target: { type: "User", id: user.id }, before: { active: false }, after: { active: true } });
  return updated;
}
