import { randomBytes } from "node:crypto";
import type { UserContext } from "../context.js";
import type { Role } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { audit } from "../audit/service.js";
import { createApiKey, type ApiKeyScope } from "../auth/service.js";
import { assertMayGrant, assertName, deactivateMember, managedMember } from "./service.js";

// Service accounts: an organization's integrations and fleet (CI, workers).
// Each is a user without password or sessions, with a membership in one
// organization and API keys of its own, so its keys do not depend on the
// person who made them: removing that person leaves them working. Owners and
// admins manage them, giving only roles and scopes they may give.

/** Service accounts have no mailbox: a unique address that can never receive mail (RFC 2606 `.invalid`). */
const addressFor = (name: string) =>
  `${
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 30) || "service"
  }.${randomBytes(4).toString("hex")}@service-account.invalid`;

/** The organization's service accounts; `query`: the selection GraphQL asked for. */
export function serviceAccounts(ctx: UserContext, query: object) {
  return ctx.db.membership.findMany({
    ...query,
    where: { orgId: ctx.viewer.orgId, user: { serviceAccount: true } },
    orderBy: { createdAt: "asc" },
  });
}

export async function createServiceAccount(ctx: UserContext, rawName: string, role: Role) {
  const viewer = ctx.viewer;
  assertMayGrant(viewer, role);
  const name = assertName(rawName);
  return ctx.db.$transaction(async (tx) => {
    const membership = await tx.membership.create({
      data: { role, org: { connect: { id: viewer.orgId } }, user: { create: { name, email: addressFor(name), serviceAccount: true } } },
      include: { user: true },
    });
    await audit({ ...ctx, db: tx }, "service_account.created", { target: { type: "User", id: membership.userId }, after: { name, role } });
    return membership;
  });
}

/** A key held by the service account (any scope the caller may grant, the worker scope included). */
export async function createServiceAccountKey(
  ctx: UserContext,
  serviceAccountId: string,
  name: string,
  scopes: ApiKeyScope[],
  expiresAt?: Date | null,
) {
  const viewer = ctx.viewer;
  const membership = await managedMember(ctx, viewer, serviceAccountId, true);
  if (membership.deactivatedAt) throw new AppError("CONFLICT", "This service account was deactivated", "serviceAccountId");
  const created = await createApiKey(ctx.db, viewer, name, scopes, expiresAt, membership.userId);
  await audit(ctx, "api_key.created", {
    target: { type: "ApiKey", id: created.apiKey.id },
    after: { name: created.apiKey.name, prefix: created.apiKey.prefix, scopes, serviceAccount: membership.user.name },
  });
  return created;
}

/** Its keys are revoked and its live subscriptions end; it stays listed, under its name. */
export async function deactivateServiceAccount(ctx: UserContext, serviceAccountId: string) {
  await deactivateMember(ctx, serviceAccountId, true);
  return ctx.db.membership.findUniqueOrThrow({
    where: { userId_orgId: { userId: serviceAccountId, orgId: ctx.viewer.orgId } },
    include: { user: true },
  });
}
