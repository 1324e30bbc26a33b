import { z } from "zod";
import type { AppServices, Context, UserContext, UserViewer } from "../context.js";
import type { Role } from "../generated/sqlite/enums.js";
import { AppError, notFound } from "../errors.js";
import { audit } from "../audit/service.js";
import { createSession } from "../auth/service.js";
import { hashPassword, verifyPassword } from "../auth/tokens.js";
import { consumeLink, linkExpiry, linkUrl, newLinkToken, usableLink } from "./links.js";
import { sendAccountMail } from "./mail.js";
import { endAccess } from "./access.js";
import { endCredentialSessions } from "../auth/liveConnections.js";

// Members of an organization: invitations, roles, deactivation. A person may
// belong to several organizations (one Membership each); everything here acts
// on the membership in the caller's organization. Owners and admins manage
// members; each may grant only the roles their own allows.

/** The roles each role may give (to a member, an invitation, a service account or a single sign-on rule). */
export const GRANTABLE: Record<Role, Role[]> = {
  ADMIN: ["ENGINEER", "QA", "OWNER", "ADMIN"],
  OWNER: ["ENGINEER", "QA", "OWNER"],
  ENGINEER: [],
  QA: [],
};
/** Roles that manage members: an organization always keeps at least one active such member. */
const MANAGER_ROLES: Role[] = ["OWNER", "ADMIN"];

export function assertMayGrant(viewer: UserViewer, role: Role, field = "role") {
  if (!GRANTABLE[viewer.role].includes(role))
    throw new AppError("FORBIDDEN", `Your role (${viewer.role}) cannot give the ${role} role`, field);
}

export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!z.email().safeParse(normalized).success) throw new AppError("VALIDATION", "Enter a valid email address", "email");
  return normalized;
}

/** Checks a new password and returns its hash. */
export async function assertPassword({ config }: Pick<AppServices, "config">, password: string): Promise<string> {
  if (password.length < 10) throw new AppError("VALIDATION", "Use at least 10 characters", "password");
  if (password.length > 200) throw new AppError("VALIDATION", "Use at most 200 characters", "password");
  return hashPassword(password, config.passwordHashCost);
}

export function assertName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw new AppError("VALIDATION", "Enter a name of 1 to 100 characters", "name");
  return trimmed;
}

async function sendInvitation(
  ctx: Context,
  email: string,
  token: string,
  orgName: string,
  role: Role,
  inviter: string,
  hasAccount: boolean,
) {
  const url = linkUrl(ctx.config, "INVITATION", token, ctx.listeningUrl);
  const how = hasAccount
    ? "Accept within 7 days with the password of your Tuneloop account (the link works once):"
    : "Accept within 7 days (the link works once):";
  const sent = await sendAccountMail(
    ctx.config,
    email,
    `${inviter} invited you to ${orgName} on Tuneloop`,
    `${inviter} invited you to join ${orgName} on Tuneloop as ${role.toLowerCase()}.\n\n${how}\n${url}\n\nIf you did not expect this, ignore this email.`,
  );
  // Without a mail server the inviter is shown the link once, to pass on.
  return { emailSent: sent, link: sent ? null : url };
}

/** Someone who already has an account (in another organization) is invited like anyone else: accepting adds a membership. */
export async function inviteMember(ctx: UserContext, rawEmail: string, role: Role) {
  const viewer = ctx.viewer;
  assertMayGrant(viewer, role);
  const email = normalizeEmail(rawEmail);
  const existing = await ctx.db.user.findUnique({ where: { email }, include: { memberships: { where: { orgId: viewer.orgId } } } });
  const membership = existing?.memberships[0];
  if (membership)
    throw new AppError(
      "CONFLICT",
      membership.deactivatedAt
        ? "This person was removed from the organization: let them back in instead"
        : "This person is already a member",
      "email",
    );
  const pending = await ctx.db.accountLink.findFirst({
    where: { orgId: viewer.orgId, kind: "INVITATION", email, usedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
  });
  if (pending) throw new AppError("CONFLICT", "This email already has a pending invitation: re-send it instead", "email");
  const { token, tokenHash } = newLinkToken();
  const invitation = await ctx.db.accountLink.create({
    data: {
      kind: "INVITATION",
      tokenHash,
      orgId: viewer.orgId,
      email,
      role,
      createdById: viewer.userId,
      expiresAt: linkExpiry("INVITATION"),
    },
    include: { org: true, createdBy: true },
  });
  await audit(ctx, "member.invited", { target: { type: "AccountLink", id: invitation.id }, after: { email, role } });
  return { invitation, ...(await sendInvitation(ctx, email, token, invitation.org!.name, role, invitation.createdBy!.name, !!existing)) };
}

async function pendingInvitation(ctx: Context, viewer: UserViewer, id: string) {
  const invitation = await ctx.db.accountLink.findFirst({ where: { id, orgId: viewer.orgId, kind: "INVITATION" }, include: { org: true } });
  if (!invitation) throw notFound("Invitation");
  if (invitation.usedAt) throw new AppError("CONFLICT", "This invitation was already accepted", "id");
  assertMayGrant(viewer, invitation.role!, "id");
  return invitation;
}

/** A new link (the old one stops working: only hashes are kept) valid 7 days from now. */
export async function resendInvitation(ctx: UserContext, id: string) {
  const viewer = ctx.viewer;
  const old = await pendingInvitation(ctx, viewer, id);
  const { token, tokenHash } = newLinkToken();
  const invitation = await ctx.db.accountLink.update({
    where: { id },
    data: { tokenHash, revokedAt: null, expiresAt: linkExpiry("INVITATION") },
  });
  await audit(ctx, "member.invitation_resent", { target: { type: "AccountLink", id }, after: { email: old.email } });
  const inviter = await ctx.db.user.findUniqueOrThrow({ where: { id: viewer.userId } });
  const hasAccount = (await ctx.db.user.count({ where: { email: old.email! } })) > 0;
  return { invitation, ...(await sendInvitation(ctx, old.email!, token, old.org!.name, old.role!, inviter.name, hasAccount)) };
}

export async function revokeInvitation(ctx: UserContext, id: string) {
  const viewer = ctx.viewer;
  const old = await pendingInvitation(ctx, viewer, id);
  const invitation = await ctx.db.accountLink.update({ where: { id }, data: { revokedAt: old.revokedAt ?? new Date() } });
  await audit(ctx, "member.invitation_revoked", { target: { type: "AccountLink", id }, before: { email: old.email, role: old.role } });
  return invitation;
}

/**
 * Joins the invitation's organization and returns a session there. A new
 * person sets a name and password; someone who already has an account (in
 * another organization) proves it is them with their password, and gains a membership.
 */
export async function acceptInvitation(ctx: Context, token: string, rawName: string, password: string) {
  const link = await usableLink(ctx.db, "INVITATION", token);
  const existing = await ctx.db.user.findUnique({ where: { email: link.email! } });
  if (existing) {
    // A wrong password here counts as a failed sign-in, under the same limit.
    const attempts = `${existing.email}|${ctx.clientAddress ?? "unknown"}`;
    const counted = await ctx.rateLimits.take("failedLogins", attempts);
    if (!counted.allowed)
      throw new AppError(
        "RATE_LIMITED",
        `Too many wrong passwords for this email: try again in ${Math.ceil(counted.resetSeconds / 60)} minute(s)`,
        "password",
      );
    if (!(existing.passwordHash && (await verifyPassword(password, existing.passwordHash, ctx.config.passwordHashCost)).ok)) {
      throw new AppError("UNAUTHENTICATED", "This email already has a Tuneloop account: enter its password to join", "password");
    }
    await ctx.rateLimits.forget("failedLogins", attempts);
  }
  const name = existing ? existing.name : assertName(rawName);
  const passwordHash = existing ? null : await assertPassword(ctx, password);
  return ctx.db.$transaction(async (tx) => {
    await consumeLink(tx, link.id);
    const user = existing ?? (await tx.user.create({ data: { email: link.email!, name, passwordHash } }));
    if (await tx.membership.findUnique({ where: { userId_orgId: { userId: user.id, orgId: link.orgId! } } }))
      throw new AppError("CONFLICT", "You are already a member of this organization: sign in instead", "token");
    await tx.membership.create({ data: { userId: user.id, orgId: link.orgId!, role: link.role! } });
    await audit({ db: tx, viewer: null, clientAddress: ctx.clientAddress }, "member.joined", {
      orgId: link.orgId!,
      actorId: user.id,
      target: { type: "AccountLink", id: link.id },
      after: { email: user.email, role: link.role, existingAccount: !!existing },
    });
    return createSession(tx, user.id, ctx.clientAddress, link.orgId!);
  });
}

/** A member (or, with `serviceAccount`, a service account) of the caller's organization whom the caller may manage. */
export async function managedMember(ctx: Context, viewer: UserViewer, userId: string, serviceAccount = false) {
  const membership = await ctx.db.membership.findFirst({
    where: { userId, orgId: viewer.orgId, user: { serviceAccount } },
    include: { user: true },
  });
  const field = serviceAccount ? "serviceAccountId" : "userId";
  if (!membership) throw notFound(serviceAccount ? "Service account" : "Member", field);
  assertMayGrant(viewer, membership.role, field);
  return membership;
}

/** Refuses a change that would leave the organization without an active owner or admin (a person, not a service account). */
async function assertKeepsAManager(ctx: Context, orgId: string, userId: string) {
  const others = await ctx.db.membership.count({
    where: { orgId, userId: { not: userId }, role: { in: MANAGER_ROLES }, deactivatedAt: null, user: { serviceAccount: false } },
  });
  if (others === 0)
    throw new AppError("CONFLICT", "This is the organization's last owner or admin: give someone else that role first", "userId");
}

/** The new role applies from the member's next request (the role is read with each credential). */
export async function changeMemberRole(ctx: UserContext, userId: string, role: Role) {
  const viewer = ctx.viewer;
  const membership = await managedMember(ctx, viewer, userId);
  assertMayGrant(viewer, role);
  if (MANAGER_ROLES.includes(membership.role) && !MANAGER_ROLES.includes(role) && !membership.deactivatedAt)
    await assertKeepsAManager(ctx, viewer.orgId, userId);
  await ctx.db.membership.update({ where: { id: membership.id }, data: { role } });
  if (membership.role !== role)
    await audit(ctx, "member.role_changed", { target: { type: "User", id: userId }, before: { role: membership.role }, after: { role } });
  return membership.user;
}

/**
 * Removes a member (or a service account) from the organization: they can no
 * longer work in it, their sessions and API keys there end now, and so do
 * their open subscriptions there. Their other organizations are not touched,
 * nor are service-account keys they made. What they created stays and keeps their name.
 */
export async function deactivateMember(ctx: UserContext, userId: string, serviceAccount = false) {
  const viewer = ctx.viewer;
  if (userId === viewer.userId) throw new AppError("VALIDATION", "You cannot remove yourself: ask another owner or admin", "userId");
  const membership = await managedMember(ctx, viewer, userId, serviceAccount);
  if (membership.deactivatedAt) return membership.user;
  if (MANAGER_ROLES.includes(membership.role) && !serviceAccount) await assertKeepsAManager(ctx, viewer.orgId, userId);
  const action = serviceAccount ? "service_account.deactivated" : "member.deactivated";
  await ctx.db.$transaction(async (tx) => {
    await tx.membership.update({ where: { id: membership.id }, data: { deactivatedAt: new Date() } });
    await endAccess(tx, userId, viewer.orgId);
    await audit({ ...ctx, db: tx }, action, {
      target: { type: "User", id: userId },
      before: { active: true, role: membership.role },
      after: { active: false },
    });
  });
  await endCredentialSessions(ctx.pubsub, { userId, orgId: viewer.orgId });
  return membership.user;
}

/** Lets a deactivated member work in the organization again; their old API keys stay revoked. */
export async function reactivateMember(ctx: UserContext, userId: string) {
  const viewer = ctx.viewer;
  const membership = await managedMember(ctx, viewer, userId);
  if (!membership.deactivatedAt) return membership.user;
  await ctx.db.membership.update({ where: { id: membership.id }, data: { deactivatedAt: null } });
  await audit(ctx, "member.reactivated", { target: { type: "User", id: userId }, before: { active: false }, after: { active: true } });
  return membership.user;
}
