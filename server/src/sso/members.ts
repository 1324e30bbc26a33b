import type { AppServices } from "../context.js";
import type { Role } from "../generated/sqlite/enums.js";
import type { SsoAttempt, SsoSettings } from "../generated/sqlite/client.js";
import { AppError } from "../errors.js";
import { audit } from "../audit/service.js";
import { consumeLink } from "../members/links.js";
import { settingsDomains, settingsRules } from "./settings.js";

// Who a verified identity from the organization's provider is here: a member
// already (signed in as they are), someone invited (they join with the
// invitation's role), or — when the settings allow it — a new member whose
// role the claim → role rules give.

export type SsoIdentity = { email: string; name: string | null; roleValues: string[]; settings: SsoSettings };

/** The first rule whose value the claim holds gives the role; otherwise the default one. */
export function roleFromClaims(settings: Pick<SsoSettings, "roleRules" | "defaultRole">, values: string[]): Role {
  return settingsRules(settings).find((rule) => values.includes(rule.value))?.role ?? settings.defaultRole;
}

/** Returns the user to sign in; creates their account and membership when they join now, all in one transaction. */
export async function joinWithSso(
  services: Pick<AppServices, "db"> & { clientAddress: string | null },
  attempt: SsoAttempt,
  identity: SsoIdentity,
): Promise<string> {
  const { email, settings } = identity;
  const domain = email.slice(email.lastIndexOf("@") + 1);
  if (!settingsDomains(settings).includes(domain))
    throw new AppError("FORBIDDEN", `Accounts of ${domain} may not sign in to this organization with single sign-on`, "email");
  const now = new Date();
  return services.db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email }, include: { memberships: { where: { orgId: attempt.orgId } } } });
    if (user?.serviceAccount) throw new AppError("FORBIDDEN", "Service accounts do not sign in", "email");
    const membership = user?.memberships[0];
    if (membership?.deactivatedAt)
      throw new AppError("FORBIDDEN", "You were removed from this organization: ask an owner or admin to let you back in", "email");
    if (membership) return user!.id;

    const invitation = attempt.invitationId
      ? await tx.accountLink.findUnique({ where: { id: attempt.invitationId } })
      : await tx.accountLink.findFirst({
          where: { orgId: attempt.orgId, kind: "INVITATION", email, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
          orderBy: { createdAt: "desc" },
        });
    if (invitation && invitation.email !== email)
      throw new AppError(
        "FORBIDDEN",
        `This invitation is for ${invitation.email}, but the identity provider signed you in as ${email}`,
        "email",
      );
    if (invitation && (invitation.usedAt || invitation.revokedAt || invitation.expiresAt <= now))
      throw new AppError("CONFLICT", "This invitation can no longer be used: ask for a new one", "token");
    if (!invitation && !settings.createMembers)
      throw new AppError("FORBIDDEN", "You need an invitation to join this organization: ask an owner or admin to invite you", "email");
    if (invitation) await consumeLink(tx, invitation.id);

    const role = invitation?.role ?? roleFromClaims(settings, identity.roleValues);
    const joined =
      user ?? (await tx.user.create({ data: { email, name: identity.name ?? email.slice(0, email.indexOf("@")), passwordHash: null } }));
    await tx.membership.create({ data: { userId: joined.id, orgId: attempt.orgId, role } });
    await audit({ db: tx, viewer: null, clientAddress: services.clientAddress }, "member.joined", {
      orgId: attempt.orgId,
      actorId: joined.id,
      target: invitation ? { type: "AccountLink", id: invitation.id } : { type: "User", id: joined.id },
      after: { email, role, via: "sso", existingAccount: Boolean(user) },
    });
    return joined.id;
  });
}
