import { builder } from "../builder.js";
import { ROLES_THAT, hasRole } from "./permissions.js";
import { AppError } from "../errors.js";
import type { Context } from "../context.js";
import type { Prisma } from "../generated/sqlite/client.js";
import { API_KEY_SCOPES, createApiKey, login, logout } from "./service.js";
import { endCredentialSessions } from "./liveConnections.js";
import { audit } from "../audit/service.js";

export const RoleEnum = builder.enumType("Role", { values: ["ENGINEER", "OWNER", "QA", "ADMIN"] as const });
export const ApiKeyScopeEnum = builder.enumType("ApiKeyScope", {
  values: API_KEY_SCOPES.map((s) => s.toUpperCase()) as ["READ", "WRITE", "WORKER"],
  description: "READ: queries and subscriptions. WRITE: mutations the key's user may do. WORKER: claim and run training jobs.",
});

const OrganizationRef = builder.prismaObject("Organization", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    slug: t.exposeString("slug"),
    apiKeyMaxLifetimeDays: t.exposeInt("apiKeyMaxDays", {
      nullable: true,
      description: "The longest an API key may live, in days; null: no limit.",
    }),
  }),
});

/** What User's per-organization fields (role, organization, deactivatedAt) select: one query for a list of users. */
export const MEMBERSHIPS_SEEN = { memberships: { include: { org: true }, orderBy: { createdAt: "asc" } } } as const;
type SeenMembership = Prisma.MembershipGetPayload<{ include: { org: true } }>;

/**
 * A user's membership where they are seen: the viewer's organization (or, without a viewer, the
 * first they joined). Loaded here when a resolver returned the user without the selection above.
 */
export async function membershipSeen(user: { id: string }, ctx: Context): Promise<SeenMembership> {
  const memberships =
    (user as { memberships?: SeenMembership[] }).memberships ??
    (await ctx.db.membership.findMany({ where: { userId: user.id }, ...MEMBERSHIPS_SEEN.memberships }));
  const membership = memberships.find((m) => m.orgId === ctx.viewer?.orgId) ?? memberships[0];
  if (!membership) throw new AppError("NOT_FOUND", "This user belongs to no organization");
  return membership;
}

const UserRef = builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    name: t.exposeString("name"),
    role: t.field({
      type: RoleEnum,
      description: "Their role in the organization you are working in.",
      select: MEMBERSHIPS_SEEN,
      resolve: async (user, _args, ctx) => (await membershipSeen(user, ctx)).role,
    }),
    organization: t.field({
      type: OrganizationRef,
      description: "The organization you are working in (switchOrganization changes it).",
      select: MEMBERSHIPS_SEEN,
      resolve: async (user, _args, ctx) => (await membershipSeen(user, ctx)).org,
    }),
  }),
});

builder.prismaObjectField("Organization", "members", (t) =>
  t.field({
    type: [UserRef],
    authScopes: { user: true },
    description: "The organization's people (not its service accounts), removed ones included, by name (the job list filters by creator).",
    select: (_args, _ctx, nestedSelection) => ({
      memberships: {
        where: { user: { serviceAccount: false } },
        orderBy: { user: { name: "asc" } },
        select: { user: nestedSelection(true) },
      },
    }),
    resolve: (org) => org.memberships.map((m) => m.user),
  }),
);

export const ApiKeyRef = builder.prismaObject("ApiKey", {
  description: "An API key. The secret itself is shown once, when it is created.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    prefix: t.exposeString("prefix", { description: "The first characters of the key, to recognise it." }),
    scopes: t.stringList({ resolve: (k) => (k.scopes as string[]).map((s) => s.toUpperCase()) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
  }),
});

builder.queryFields((t) => ({
  me: t.prismaField({
    type: "User",
    nullable: true,
    description: "The signed-in user, or null.",
    resolve: (query, _root, _args, ctx) =>
      ctx.viewer?.kind === "user" ? ctx.db.user.findUnique({ ...query, where: { id: ctx.viewer.userId } }) : null,
  }),
  apiKeys: t.withAuth({ user: true }).prismaField({
    type: ["ApiKey"],
    resolve: (query, _root, _args, ctx) =>
      ctx.db.apiKey.findMany({ ...query, where: { orgId: ctx.viewer.orgId, jobId: null }, orderBy: { createdAt: "desc" } }),
  }),
}));

export const CreatedApiKeyRef = builder.simpleObject("CreatedApiKey", {
  fields: (f) => ({
    key: f.string({ description: "The secret. It is not stored and cannot be shown again." }),
    apiKey: f.field({ type: ApiKeyRef }),
  }),
});

const LoginPayload = builder.simpleObject("LoginPayload", {
  fields: (t) => ({ token: t.string({ description: "Send as `Authorization: Bearer <token>`." }) }),
});

builder.mutationFields((t) => ({
  login: t.field({
    type: LoginPayload,
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, { email, password }, ctx) => ({ token: (await login(ctx, email, password, ctx.clientAddress)).token }),
  }),
  logout: t.boolean({
    resolve: async (_root, _args, ctx) => {
      await logout(ctx, ctx.authorization);
      return true;
    },
  }),
  createApiKey: t.withAuth({ role: ROLES_THAT.contribute }).field({
    type: CreatedApiKeyRef,
    args: {
      name: t.arg.string({ required: true }),
      scopes: t.arg({ type: [ApiKeyScopeEnum], required: true }),
      expiresAt: t.arg({ type: "DateTime" }),
    },
    resolve: async (_root, args, ctx) => {
      const scopes = args.scopes.map((s) => s.toLowerCase() as (typeof API_KEY_SCOPES)[number]);
      const created = await createApiKey(ctx.db, ctx.viewer, args.name, scopes, args.expiresAt);
      await audit(ctx, "api_key.created", {
        target: { type: "ApiKey", id: created.apiKey.id },
        after: { name: created.apiKey.name, prefix: created.apiKey.prefix, scopes },
      });
      return created;
    },
  }),
  revokeApiKey: t.withAuth({ role: ROLES_THAT.contribute }).prismaField({
    type: "ApiKey",
    errors: { result: { name: "RevokeApiKeySuccess" } },
    description: "Revokes one of your keys (owners and admins: any key of the organization); its live subscriptions end at once.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const viewer = ctx.viewer;
      const anyKey = hasRole(viewer, ROLES_THAT.manage);
      const key = await ctx.db.apiKey.findFirst({
        where: { id: String(id), orgId: viewer.orgId, jobId: null, ...(!anyKey && { userId: viewer.userId }) },
      });
      if (!key) throw new AppError("NOT_FOUND", "API key not found", "id");
      const revoked = await ctx.db.apiKey.update({ ...query, where: { id: key.id }, data: { revokedAt: key.revokedAt ?? new Date() } });
      await endCredentialSessions(ctx.pubsub, { credentialId: key.id });
      if (!key.revokedAt)
        await audit(ctx, "api_key.revoked", { target: { type: "ApiKey", id: key.id }, before: { name: key.name, prefix: key.prefix } });
      return revoked;
    },
  }),
  setApiKeyMaxLifetime: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "Organization",
    description:
      "The longest an API key of the organization may live, in days (null: no limit). Keys older than that are refused from then on.",
    errors: { result: { name: "SetApiKeyMaxLifetimeSuccess" } },
    args: { days: t.arg.int({ required: false }) },
    resolve: async (query, _root, { days }, ctx) => {
      if (days != null && (days < 1 || days > 3650))
        throw new AppError("VALIDATION", "Between 1 and 3650 days, or null for no limit", "days");
      const before = await ctx.db.organization.findUniqueOrThrow({ where: { id: ctx.viewer.orgId }, select: { apiKeyMaxDays: true } });
      const org = await ctx.db.organization.update({ ...query, where: { id: ctx.viewer.orgId }, data: { apiKeyMaxDays: days ?? null } });
      await audit(ctx, "api_key.policy_changed", {
        target: { type: "Organization", id: ctx.viewer.orgId },
        before,
        after: { apiKeyMaxDays: days ?? null },
      });
      return org;
    },
  }),
}));
