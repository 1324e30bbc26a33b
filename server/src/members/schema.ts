import { builder } from "../builder.js";
import { ApiKeyRef, ApiKeyScopeEnum, CreatedApiKeyRef, MEMBERSHIPS_SEEN, membershipSeen, RoleEnum } from "../auth/schema.js";
import type { ApiKeyScope } from "../auth/service.js";
import { createOrganization, myMemberships, switchOrganization } from "./organizations.js";
import { createServiceAccount, createServiceAccountKey, deactivateServiceAccount, serviceAccounts } from "./serviceAccounts.js";
import { AppError } from "../errors.js";
import type { UserViewer } from "../context.js";
import { hasRole, roleAllows, ROLES_THAT } from "../auth/permissions.js";
import {
  GRANTABLE,
  acceptInvitation,
  changeMemberRole,
  deactivateMember,
  inviteMember,
  reactivateMember,
  resendInvitation,
  revokeInvitation,
} from "./service.js";
import {
  changeMyPassword,
  completeSetup,
  endMySession,
  mySessions,
  requestPasswordReset,
  resetPassword,
  setupLinkPreset,
  setupRequired,
  signOutEverywhere,
  updateMyName,
} from "./account.js";

/** What the viewer may do here, from the same role lists the mutations' rules use: the web offers only these. */
const PermissionsRef = builder.objectRef<{ viewer: UserViewer | null }>("Permissions").implement({
  description: "What you may do in the organization you are working in (the mutations' own rules decide; these say so ahead).",
  fields: (t) => ({
    canTrain: t.boolean({
      description: "Create and run training jobs, datasets, templates and model versions.",
      resolve: ({ viewer }) => roleAllows(viewer, ROLES_THAT.train),
    }),
    canContribute: t.boolean({
      description: "Change anything at all: run validation, share reports.",
      resolve: ({ viewer }) => roleAllows(viewer, ROLES_THAT.contribute),
    }),
    canReview: t.boolean({
      description: "Score review answers, approve or reject model versions.",
      resolve: ({ viewer }) => roleAllows(viewer, ROLES_THAT.review),
    }),
    canManage: t.boolean({
      description: "Manage the organization: members, budgets, settings, spending over a budget.",
      resolve: ({ viewer }) => roleAllows(viewer, ROLES_THAT.manage),
    }),
    canReadAuditLog: t.boolean({
      description: "Read the audit log (a read-only key too).",
      resolve: ({ viewer }) => hasRole(viewer, ROLES_THAT.review),
    }),
    grantableRoles: t.field({
      type: [RoleEnum],
      description: "The roles you may give to members, invitations, service accounts and single sign-on rules.",
      resolve: ({ viewer }) => (viewer ? GRANTABLE[viewer.role] : []),
    }),
  }),
});

builder.prismaObjectFields("User", (t) => ({
  permissions: t.field({
    type: PermissionsRef,
    description: "What you may do in the organization you are working in (only on `me`: nothing for anyone else).",
    resolve: (user, _args, ctx) => ({ viewer: ctx.viewer?.kind === "user" && ctx.viewer.userId === user.id ? ctx.viewer : null }),
  }),
  deactivatedAt: t.field({
    type: "DateTime",
    nullable: true,
    description: "When an owner or admin removed the member from the organization you are working in; null while active.",
    select: MEMBERSHIPS_SEEN,
    resolve: async (user, _args, ctx) => (await membershipSeen(user, ctx)).deactivatedAt,
  }),
  organizations: t.field({
    type: [MembershipRef],
    description: "The organizations you work in, with your role in each (only on `me`: empty for anyone else).",
    resolve: (user, _args, ctx) => (ctx.viewer?.kind === "user" && ctx.viewer.userId === user.id ? myMemberships(ctx.db, user.id) : []),
  }),
}));

const MembershipRef = builder.prismaObject("Membership", {
  description: "Your place in one organization.",
  fields: (t) => ({
    organization: t.relation("org"),
    role: t.expose("role", { type: RoleEnum }),
    current: t.boolean({
      description: "The organization this session works in.",
      resolve: (m, _args, ctx) => m.orgId === ctx.viewer?.orgId,
    }),
  }),
});

const ServiceAccountRef = builder.prismaObject("Membership", {
  variant: "ServiceAccount",
  description: "An identity of the organization for integrations and workers: its API keys do not depend on any person.",
  fields: (t) => ({
    id: t.exposeID("userId"),
    name: t.string({ select: { user: { select: { name: true } } }, resolve: (m) => m.user.name }),
    role: t.expose("role", { type: RoleEnum }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    deactivatedAt: t.expose("deactivatedAt", { type: "DateTime", nullable: true }),
    apiKeys: t.field({
      type: [ApiKeyRef],
      select: { orgId: true, user: { select: { apiKeys: { orderBy: { createdAt: "desc" } } } } },
      resolve: (m) => m.user.apiKeys.filter((k) => k.orgId === m.orgId),
    }),
  }),
});

const InvitationStatus = builder.enumType("InvitationStatus", { values: ["PENDING", "ACCEPTED", "REVOKED", "EXPIRED"] as const });

const InvitationRef = builder.prismaObject("AccountLink", {
  name: "Invitation",
  description: "An invitation to join the organization: a single-use link valid 7 days.",
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.string({ resolve: (l) => l.email ?? "" }),
    role: t.field({ type: RoleEnum, resolve: (l) => l.role ?? "ENGINEER" }),
    status: t.field({
      type: InvitationStatus,
      resolve: (l) => (l.usedAt ? "ACCEPTED" : l.revokedAt ? "REVOKED" : l.expiresAt <= new Date() ? "EXPIRED" : "PENDING"),
    }),
    invitedBy: t.relation("createdBy", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("Session", {
  description: "A signed-in browser session of the current user.",
  fields: (t) => ({
    id: t.exposeID("id"),
    address: t.exposeString("address", { nullable: true, description: "The address it signed in from." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    current: t.boolean({
      description: "The session making this request.",
      resolve: (s, _args, ctx) => ctx.viewer?.kind === "user" && ctx.viewer.credentialId === s.id,
    }),
  }),
});

const InvitationSent = builder.simpleObject("InvitationSent", {
  fields: (t) => ({
    invitation: t.field({ type: InvitationRef }),
    emailSent: t.boolean({ description: "Whether the mail server took the invitation email." }),
    link: t.string({ nullable: true, description: "Only when no email could be sent: the link to pass on yourself. Shown once." }),
  }),
});
export const SignedIn = builder.simpleObject("SignedIn", {
  fields: (t) => ({ token: t.string({ description: "A session token: send as `Authorization: Bearer <token>`." }) }),
});
const SetupPreset = builder.simpleObject("SetupPreset", {
  fields: (t) => ({ orgName: t.string({ nullable: true }), email: t.string({ nullable: true }) }),
});

const result = (name: string) => ({ errors: { result: { name } } }) as const;

builder.queryFields((t) => ({
  setupRequired: t.boolean({
    description: "True on a fresh server without an organization: follow the setup link printed at start.",
    resolve: (_root, _args, ctx) => setupRequired(ctx),
  }),
  setupLink: t.field({
    type: SetupPreset,
    description: "What a setup link was made with (organization name, email), or an error if it cannot be used.",
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, { token }, ctx) => setupLinkPreset(ctx, token),
  }),
  invitations: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: ["AccountLink"],
    description: "The organization's invitations not yet accepted, newest first (owners and admins).",
    resolve: (query, _root, _args, ctx) =>
      ctx.db.accountLink.findMany({
        ...query,
        where: { orgId: ctx.viewer.orgId, kind: "INVITATION", usedAt: null },
        orderBy: { createdAt: "desc" },
      }),
  }),
  serviceAccounts: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: [ServiceAccountRef],
    description: "The organization's service accounts, deactivated ones included (owners and admins).",
    resolve: (query, _root, _args, ctx) => serviceAccounts(ctx, query),
  }),
  mySessions: t.withAuth({ user: true }).prismaField({ type: ["Session"], resolve: (_query, _root, _args, ctx) => mySessions(ctx) }),
}));

builder.mutationFields((t) => ({
  completeSetup: t.field({
    type: SignedIn,
    ...result("CompleteSetupSuccess"),
    description: "Creates the first organization and its admin from the setup link; signs them in.",
    args: {
      token: t.arg.string({ required: true }),
      organization: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      email: t.arg.string({ required: true }),
      password: t.arg.string({ required: true }),
    },
    resolve: async (_root, { token, ...input }, ctx) => ({ token: await completeSetup(ctx, token, input) }),
  }),
  inviteMember: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: InvitationSent,
    ...result("InviteMemberSuccess"),
    args: { email: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: (_root, { email, role }, ctx) => inviteMember(ctx, email, role),
  }),
  resendInvitation: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: InvitationSent,
    ...result("ResendInvitationSuccess"),
    description: "Sends a new link valid 7 days; the earlier link stops working.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => resendInvitation(ctx, String(id)),
  }),
  revokeInvitation: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: InvitationRef,
    ...result("RevokeInvitationSuccess"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => revokeInvitation(ctx, String(id)),
  }),
  acceptInvitation: t.field({
    type: SignedIn,
    ...result("AcceptInvitationSuccess"),
    description: "Joins the organization with a name and password; signs in.",
    args: { token: t.arg.string({ required: true }), name: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, { token, name, password }, ctx) => ({ token: await acceptInvitation(ctx, token, name, password) }),
  }),
  changeMemberRole: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "User",
    ...result("ChangeMemberRoleSuccess"),
    description: "Takes effect on the member's next request. The last owner or admin keeps their role.",
    args: { userId: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: (_query, _root, { userId, role }, ctx) => changeMemberRole(ctx, String(userId), role),
  }),
  deactivateMember: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "User",
    ...result("DeactivateMemberSuccess"),
    description: "Removes a member: their sessions and API keys end now; what they created stays, under their name.",
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_query, _root, { userId }, ctx) => deactivateMember(ctx, String(userId)),
  }),
  reactivateMember: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "User",
    ...result("ReactivateMemberSuccess"),
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_query, _root, { userId }, ctx) => reactivateMember(ctx, String(userId)),
  }),
  updateMyName: t.withAuth({ user: true }).prismaField({
    type: "User",
    ...result("UpdateMyNameSuccess"),
    args: { name: t.arg.string({ required: true }) },
    resolve: (_query, _root, { name }, ctx) => updateMyName(ctx, name),
  }),
  changeMyPassword: t.withAuth({ user: true }).boolean({
    ...result("ChangeMyPasswordSuccess"),
    description: "Needs the current password; every other session of yours is signed out.",
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: async (_root, { currentPassword, newPassword }, ctx) => {
      if (ctx.viewer.scopes !== null) throw new AppError("FORBIDDEN", "Change your password from a signed-in session, not with an API key");
      await changeMyPassword(ctx, currentPassword, newPassword);
      return true;
    },
  }),
  endMySession: t.withAuth({ user: true }).boolean({
    ...result("EndMySessionSuccess"),
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: async (_root, { sessionId }, ctx) => {
      await endMySession(ctx, String(sessionId));
      return true;
    },
  }),
  signOutEverywhere: t.withAuth({ user: true }).int({
    description: "Ends every session of yours, this one included; returns how many ended.",
    resolve: (_root, _args, ctx) => signOutEverywhere(ctx),
  }),
  switchOrganization: t.withAuth({ user: true }).field({
    type: SignedIn,
    ...result("SwitchOrganizationSuccess"),
    description:
      "Starts a session in another organization you belong to; this session ends (and its subscriptions). Sessions only: an API key stays in its organization.",
    args: { organizationId: t.arg.id({ required: true }) },
    resolve: async (_root, { organizationId }, ctx) => ({ token: await switchOrganization(ctx, String(organizationId)) }),
  }),
  createOrganization: t.withAuth({ user: true }).field({
    type: SignedIn,
    ...result("CreateOrganizationSuccess"),
    description: "Creates an organization with you as its admin and starts a session in it (this session ends).",
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => ({ token: await createOrganization(ctx, name) }),
  }),
  createServiceAccount: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: ServiceAccountRef,
    ...result("CreateServiceAccountSuccess"),
    description: "An identity for an integration or the worker fleet, with a role you may give.",
    args: { name: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (query, _root, { name, role }, ctx) =>
      ctx.db.membership.findUniqueOrThrow({ ...query, where: { id: (await createServiceAccount(ctx, name, role)).id } }),
  }),
  createServiceAccountKey: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: CreatedApiKeyRef,
    ...result("CreateServiceAccountKeySuccess"),
    description:
      "An API key held by the service account: WORKER for the fleet's workers, READ/WRITE for integrations. Revoke it with revokeApiKey.",
    args: {
      serviceAccountId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      scopes: t.arg({ type: [ApiKeyScopeEnum], required: true }),
      expiresAt: t.arg({ type: "DateTime" }),
    },
    resolve: (_root, args, ctx) =>
      createServiceAccountKey(
        ctx,
        String(args.serviceAccountId),
        args.name,
        args.scopes.map((s) => s.toLowerCase() as ApiKeyScope),
        args.expiresAt,
      ),
  }),
  deactivateServiceAccount: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: ServiceAccountRef,
    ...result("DeactivateServiceAccountSuccess"),
    description: "Revokes every key of the service account now; its live subscriptions end.",
    args: { serviceAccountId: t.arg.id({ required: true }) },
    resolve: async (query, _root, { serviceAccountId }, ctx) =>
      ctx.db.membership.findUniqueOrThrow({ ...query, where: { id: (await deactivateServiceAccount(ctx, String(serviceAccountId))).id } }),
  }),
  requestPasswordReset: t.boolean({
    ...result("RequestPasswordResetSuccess"),
    description: "Emails a reset link valid 15 minutes if the address belongs to a member. Always answers true.",
    args: { email: t.arg.string({ required: true }) },
    resolve: async (_root, { email }, ctx) => {
      await requestPasswordReset(ctx, email);
      return true;
    },
  }),
  resetPassword: t.field({
    type: SignedIn,
    ...result("ResetPasswordSuccess"),
    description: "Sets a new password from an emailed link; every session is signed out and a new one starts.",
    args: { token: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, { token, password }, ctx) => ({ token: await resetPassword(ctx, token, password) }),
  }),
}));
