import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { RoleEnum } from "../auth/schema.js";
import { SignedIn } from "../members/schema.js";
import { AppError } from "../errors.js";
import { usableLink } from "../members/links.js";
import { normalizeEmail } from "../members/service.js";
import { CALLBACK_PATH, publicBase, readSsoSettings, settingsDomains, settingsRules, startPath, updateSsoSettings } from "./settings.js";
import { completeSsoSignIn, enabledSettings } from "./signIn.js";
import { discover } from "./provider.js";

const SsoRoleRule = builder.simpleObject("SsoRoleRule", {
  description: "A claim value and the role it gives a member who joins through single sign-on.",
  fields: (t) => ({ value: t.string(), role: t.field({ type: RoleEnum }) }),
});

builder.prismaObject("SsoSettings", {
  description: "The organization's single sign-on (OpenID Connect) settings.",
  fields: (t) => ({
    enabled: t.exposeBoolean("enabled"),
    issuer: t.exposeString("issuer", { description: "The identity provider's issuer URL." }),
    clientId: t.exposeString("clientId"),
    clientSecretSet: t.boolean({
      description: "Whether a client secret is stored. The secret itself is never returned.",
      resolve: (s) => s.clientSecret !== null,
    }),
    allowedDomains: t.stringList({ description: "Email domains whose people may sign in this way.", resolve: settingsDomains }),
    roleClaim: t.exposeString("roleClaim", { description: "The claim the role rules read, e.g. groups." }),
    roleRules: t.field({
      type: [SsoRoleRule],
      description: "In order: the first rule whose value the claim holds gives a new member's role.",
      resolve: settingsRules,
    }),
    defaultRole: t.expose("defaultRole", { type: RoleEnum, description: "A new member's role when no rule matches." }),
    createMembers: t.exposeBoolean("createMembers", {
      description: "A first sign-in creates the member; otherwise it needs a pending invitation.",
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const SsoRoleRuleInput = builder.inputType("SsoRoleRuleInput", {
  fields: (t) => ({ value: t.string({ required: true }), role: t.field({ type: RoleEnum, required: true }) }),
});

const SsoSettingsInput = builder.inputType("SsoSettingsInput", {
  fields: (t) => ({
    enabled: t.boolean({ required: true }),
    issuer: t.string({ required: true }),
    clientId: t.string({ required: true }),
    clientSecret: t.string({
      description: "Null or left out: keep the stored secret. An empty string removes it (a public client, PKCE alone).",
    }),
    allowedDomains: t.stringList({ required: true }),
    roleClaim: t.string({ required: true }),
    roleRules: t.field({ type: [SsoRoleRuleInput], required: true }),
    defaultRole: t.field({ type: RoleEnum, required: true }),
    createMembers: t.boolean({ required: true }),
  }),
});

builder.queryFields((t) => ({
  ssoSettings: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "SsoSettings",
    nullable: true,
    description: "The organization's single sign-on settings (owners and admins); null until they are saved.",
    resolve: (query, _root, _args, ctx) => readSsoSettings(ctx, query),
  }),
  ssoRedirectUri: t.withAuth({ role: ROLES_THAT.manage }).string({
    description: "The redirect URI to register with the identity provider.",
    resolve: (_root, _args, ctx) => publicBase(ctx) + CALLBACK_PATH,
  }),
  ssoStart: t.string({
    description:
      "Where the browser goes to sign in with single sign-on, found by organization slug, email domain or invitation token. Errors say why it cannot.",
    args: { organization: t.arg.string(), email: t.arg.string(), invitationToken: t.arg.string() },
    resolve: async (_root, { organization, email, invitationToken }, ctx) => {
      let slug = organization?.trim().toLowerCase() || null;
      if (invitationToken) {
        const invitation = await usableLink(ctx.db, "INVITATION", invitationToken);
        slug = (await ctx.db.organization.findUniqueOrThrow({ where: { id: invitation.orgId! }, select: { slug: true } })).slug;
      } else if (!slug && email) {
        const domain = normalizeEmail(email).split("@")[1];
        const matches = (
          await ctx.db.ssoSettings.findMany({ where: { enabled: true }, include: { org: { select: { slug: true } } } })
        ).filter((s) => settingsDomains(s).includes(domain));
        if (matches.length === 0)
          throw new AppError(
            "NOT_FOUND",
            `No organization here signs in ${domain} accounts with single sign-on: enter your organization instead`,
            "email",
          );
        if (matches.length > 1)
          throw new AppError(
            "VALIDATION",
            `Several organizations sign in ${domain} accounts: enter your organization instead`,
            "organization",
          );
        slug = matches[0].org.slug;
      }
      if (!slug) throw new AppError("VALIDATION", "Enter your organization or your work email", "organization");
      // Reaching the provider now lets the sign-in page show a misconfiguration, rather than the browser meeting it.
      await discover(ctx.keys, (await enabledSettings(ctx.db, slug)).settings);
      return startPath(slug) + (invitationToken ? `?invitation=${encodeURIComponent(invitationToken)}` : "");
    },
  }),
}));

builder.mutationFields((t) => ({
  updateSsoSettings: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "SsoSettings",
    errors: { result: { name: "UpdateSsoSettingsSuccess" } },
    description: "Saves the organization's single sign-on settings (owners and admins). A rule may give only roles the caller may give.",
    args: { input: t.arg({ type: SsoSettingsInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) =>
      updateSsoSettings(ctx, { ...input, roleRules: input.roleRules.map((r) => ({ value: r.value, role: r.role })) }),
  }),
  completeSsoSignIn: t.field({
    type: SignedIn,
    errors: { result: { name: "CompleteSsoSignInSuccess" } },
    description: "Takes the outcome of a single sign-on with the one-time code the sign-in page received: a session, or why it failed.",
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, { code }, ctx) => ({ token: await completeSsoSignIn(ctx, code) }),
  }),
}));
