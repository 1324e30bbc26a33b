import { randomBytes } from "node:crypto";
import type { UserContext } from "../context.js";
import type { Db } from "../db/client.js";
import { AppError } from "../errors.js";
import { audit } from "../audit/service.js";
import { createSession } from "../auth/service.js";
import { endCredentialSessions } from "../auth/liveConnections.js";

// Several organizations per person. A credential works in exactly one: a
// session in the one it was started for, an API key in the one it was made in.
// Switching starts a session for the other organization and ends the current
// one (with its live subscriptions), so nothing opened in one organization can
// read another.

export function assertOrgName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100)
    throw new AppError("VALIDATION", "Enter an organization name of 1 to 100 characters", "organization");
  return trimmed;
}

const slugOf = (name: string) =>
  name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "org";

/** A slug for a new organization: its name's, with a random suffix when that one is taken. */
export async function freeSlug(db: Pick<Db, "organization">, name: string): Promise<string> {
  const slug = slugOf(name);
  return (await db.organization.findUnique({ where: { slug }, select: { id: true } })) ? `${slug}-${randomBytes(3).toString("hex")}` : slug;
}

function assertSession(ctx: UserContext) {
  if (ctx.viewer.scopes !== null)
    throw new AppError("FORBIDDEN", "An API key stays in the organization it was made for: sign in to change organizations");
  return ctx.viewer;
}

/** The organizations the caller works in (active memberships), the current one marked by the resolver. */
export function myMemberships(db: Db, userId: string) {
  return db.membership.findMany({
    where: { userId, deactivatedAt: null },
    include: { org: true },
    orderBy: { createdAt: "asc" },
  });
}

/** A session in another organization of the caller's; the current session ends. Returns the new session's token. */
export async function switchOrganization(ctx: UserContext, orgId: string) {
  const viewer = assertSession(ctx);
  const membership = await ctx.db.membership.findUnique({ where: { userId_orgId: { userId: viewer.userId, orgId } } });
  if (!membership || membership.deactivatedAt)
    throw new AppError("NOT_FOUND", "You are not a member of this organization", "organizationId");
  const token = await createSession(ctx.db, viewer.userId, ctx.clientAddress, orgId);
  await ctx.db.session.deleteMany({ where: { id: viewer.credentialId } });
  await endCredentialSessions(ctx.pubsub, { credentialId: viewer.credentialId });
  return token;
}

/** A new organization with the caller as its admin; returns a session in it (the current one ends, as when switching). */
export async function createOrganization(ctx: UserContext, rawName: string) {
  const viewer = assertSession(ctx);
  const name = assertOrgName(rawName);
  const token = await ctx.db.$transaction(async (tx) => {
    const org = await tx.organization.create({ data: { name, slug: await freeSlug(tx, name) } });
    await tx.membership.create({ data: { userId: viewer.userId, orgId: org.id, role: "ADMIN" } });
    await audit({ ...ctx, db: tx }, "organization.created", {
      orgId: org.id,
      target: { type: "Organization", id: org.id },
      after: { name, slug: org.slug },
    });
    return createSession(tx, viewer.userId, ctx.clientAddress, org.id);
  });
  await ctx.db.session.deleteMany({ where: { id: viewer.credentialId } });
  await endCredentialSessions(ctx.pubsub, { credentialId: viewer.credentialId });
  return token;
}
