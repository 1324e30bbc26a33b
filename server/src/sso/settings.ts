import { z } from "zod";
import type { Context, UserContext } from "../context.js";
import type { Role } from "../generated/sqlite/enums.js";
import type { SsoSettings } from "../generated/sqlite/client.js";
import { AppError } from "../errors.js";
import { audit } from "../audit/service.js";
import { assertMayGrant } from "../members/service.js";
import { encryptSecret } from "../compute/secrets.js";
import { discover, isLoopback } from "./provider.js";

// An organization's single sign-on settings. Owners and admins edit them; the
// client secret is stored encrypted like the compute credentials, and written,
// never read back (the API says only whether it is set).

export type SsoRoleRule = { value: string; role: Role };

export type SsoSettingsInput = {
  enabled: boolean;
  issuer: string;
  clientId: string;
  /** null or omitted: keep the stored secret; "": remove it (a public client). */
  clientSecret?: string | null;
  allowedDomains: string[];
  roleClaim: string;
  roleRules: SsoRoleRule[];
  defaultRole: Role;
  createMembers: boolean;
};

/** The browser path that starts single sign-on for an organization (sso/routes.ts). */
export const startPath = (orgSlug: string) => `/auth/sso/${encodeURIComponent(orgSlug)}/start`;
/** The redirect URI to register with the identity provider. */
export const CALLBACK_PATH = "/auth/sso/callback";

/** The server's public base URL, as the browser and the identity provider reach it. */
export function publicBase(ctx: Pick<Context, "config" | "listeningUrl">): string {
  return (ctx.config.publicUrl ?? ctx.listeningUrl ?? `http://${ctx.config.host}:${ctx.config.port}`).replace(/\/$/, "");
}

const domainPattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function checkIssuer(raw: string): string {
  const issuer = raw.trim();
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new AppError("VALIDATION", "Enter the issuer as a URL, e.g. https://login.example.com/realms/acme", "issuer");
  }
  // Plain http only on this machine (a local test or development provider): anywhere else tokens would cross the network in clear.
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname)))
    throw new AppError("VALIDATION", "The issuer must be an https:// URL", "issuer");
  if (url.search || url.hash) throw new AppError("VALIDATION", "The issuer URL has no query or fragment", "issuer");
  return issuer;
}

function checkDomains(domains: string[]): string[] {
  const cleaned = [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/^@/, "")).filter(Boolean))];
  // Without a domain, anyone the provider knows (e.g. any Google account) could reach the organization.
  if (cleaned.length === 0) throw new AppError("VALIDATION", "Add at least one email domain, e.g. example.com", "allowedDomains");
  const bad = cleaned.find((d) => !domainPattern.test(d));
  if (bad) throw new AppError("VALIDATION", `"${bad}" is not a domain name`, "allowedDomains");
  return cleaned;
}

const ruleSchema = z
  .array(z.object({ value: z.string().trim().min(1).max(200), role: z.enum(["ENGINEER", "OWNER", "QA", "ADMIN"]) }))
  .max(50);

export async function readSsoSettings(ctx: UserContext, query: { select?: object; include?: object } = {}) {
  return ctx.db.ssoSettings.findUnique({ ...query, where: { orgId: ctx.viewer.orgId } });
}

/** Saves the settings (a role a rule gives must be one the caller may give) and records the change, never the secret. */
export async function updateSsoSettings(ctx: UserContext, input: SsoSettingsInput) {
  const viewer = ctx.viewer;
  const issuer = checkIssuer(input.issuer);
  const clientId = input.clientId.trim();
  if (!clientId || clientId.length > 300)
    throw new AppError("VALIDATION", "Enter the client id the identity provider gave this application", "clientId");
  if (input.clientSecret && input.clientSecret.length > 1000)
    throw new AppError("VALIDATION", "The client secret is too long", "clientSecret");
  const allowedDomains = checkDomains(input.allowedDomains);
  const roleClaim = input.roleClaim.trim();
  if (!/^[A-Za-z0-9_:./-]{1,100}$/.test(roleClaim))
    throw new AppError("VALIDATION", "Enter a claim name such as groups or roles", "roleClaim");
  const rules = ruleSchema.safeParse(input.roleRules);
  if (!rules.success) throw new AppError("VALIDATION", "Each rule needs a claim value and a role (at most 50 rules)", "roleRules");
  for (const rule of rules.data) assertMayGrant(viewer, rule.role, "roleRules");
  assertMayGrant(viewer, input.defaultRole, "defaultRole");

  const before = await ctx.db.ssoSettings.findUnique({ where: { orgId: viewer.orgId } });
  const clientSecret =
    input.clientSecret == null
      ? (before?.clientSecret ?? null)
      : input.clientSecret
        ? encryptSecret(input.clientSecret, ctx.keys.computeSecrets)
        : null;
  const data = {
    enabled: input.enabled,
    issuer,
    clientId,
    clientSecret,
    allowedDomains,
    roleClaim,
    roleRules: rules.data,
    defaultRole: input.defaultRole,
    createMembers: input.createMembers,
  };
  // Reading the provider's discovery document now shows a wrong issuer URL here, not at someone's sign-in.
  if (input.enabled) await discover(ctx.keys, { ...(before ?? { orgId: viewer.orgId, updatedAt: new Date() }), ...data });
  const saved = await ctx.db.ssoSettings.upsert({ where: { orgId: viewer.orgId }, create: { orgId: viewer.orgId, ...data }, update: data });
  await audit(ctx, "sso.settings_changed", {
    target: { type: "SsoSettings", id: viewer.orgId },
    before: before && described(before),
    after: described(saved),
  });
  return saved;
}

/** What the audit log keeps of the settings: everything but the secret, of which only whether it is set. */
function described({ clientSecret, orgId: _orgId, updatedAt: _updatedAt, ...rest }: SsoSettings) {
  return { ...rest, clientSecretSet: clientSecret !== null };
}

export const settingsDomains = (settings: Pick<SsoSettings, "allowedDomains">) => settings.allowedDomains as string[];
export const settingsRules = (settings: Pick<SsoSettings, "roleRules">) => settings.roleRules as SsoRoleRule[];
