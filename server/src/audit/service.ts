import type { Prisma } from "../generated/sqlite/client.js";
import type { Db } from "../db/client.js";
import type { UserViewer, Viewer } from "../context.js";
import { AppError } from "../errors.js";
import { hasRole, ROLES_THAT } from "../auth/permissions.js";

// The audit log: one append-only record per security- or money-relevant act.
// Nothing here updates or deletes a record.

/** Every act the log records, by the group the settings page filters it under (served as `auditActions`). */
export const AUDIT_ACTION_GROUPS = {
  "Sign-ins": [
    "auth.signed_in",
    "auth.sign_in_failures_burst",
    "auth.sso_sign_in_failed",
    "auth.password_changed",
    "auth.password_reset",
    "auth.signed_out_everywhere",
  ],
  Members: [
    "setup.completed",
    "organization.created",
    "member.invited",
    "member.invitation_resent",
    "member.invitation_revoked",
    "member.joined",
    "member.role_changed",
    "member.deactivated",
    "member.reactivated",
  ],
  "API keys": ["service_account.created", "service_account.deactivated", "api_key.created", "api_key.revoked", "api_key.policy_changed"],
  Money: ["budget.changed", "budget.overridden", "job.cost_approved", "report.deal_recorded"],
  Models: ["model.approved", "model.rejected", "model.deployed", "model.retired", "quality_gate.overridden", "quality.settings_changed"],
  Settings: ["provider.settings_changed", "channel.changed", "sso.settings_changed"],
} as const;
export type AuditAction = (typeof AUDIT_ACTION_GROUPS)[keyof typeof AUDIT_ACTION_GROUPS][number];
export const AUDIT_ACTIONS: { action: AuditAction; group: string }[] = Object.entries(AUDIT_ACTION_GROUPS).flatMap(([group, actions]) =>
  actions.map((action) => ({ action, group })),
);

/** Enough of a request's context to say who did it and from where. */
export type AuditSource = { db: Pick<Db, "user" | "auditEvent">; viewer: Viewer | null; clientAddress: string | null };

export type AuditRecord = {
  /** Defaults to the viewer's organization. */
  orgId?: string | null;
  /** Defaults to the viewer when it is a user. */
  actorId?: string | null;
  target?: { type: string; id: string } | null;
  before?: unknown;
  after?: unknown;
};

const json = (value: unknown) => (value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue));

/** Appends one record. Callers pass their own transaction client when the act is written in one. */
export async function audit(source: AuditSource, action: AuditAction, record: AuditRecord = {}) {
  const actorId = record.actorId !== undefined ? record.actorId : source.viewer?.kind === "user" ? source.viewer.userId : null;
  const actor = actorId ? await source.db.user.findUnique({ where: { id: actorId }, select: { email: true } }) : null;
  await source.db.auditEvent.create({
    data: {
      orgId: record.orgId !== undefined ? record.orgId : (source.viewer?.orgId ?? null),
      actorId,
      actorEmail: actor?.email ?? null,
      action,
      targetType: record.target?.type ?? null,
      targetId: record.target?.id ?? null,
      address: source.clientAddress,
      before: json(record.before),
      after: json(record.after),
    },
  });
}

/** Owners and admins read the log, and QA too (they answer for what shipped). */
export function assertAuditReader(viewer: Viewer | null): asserts viewer is UserViewer {
  if (viewer?.kind !== "user") throw new AppError("UNAUTHENTICATED", "Sign in or send an API key");
  if (!hasRole(viewer, ROLES_THAT.review)) throw new AppError("FORBIDDEN", "Only owners, admins and QA read the audit log");
}

export type AuditFilter = {
  actions?: string[] | null;
  actorId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  from?: Date | null;
  to?: Date | null;
};

export function auditWhere(orgId: string, filter: AuditFilter | null | undefined): Prisma.AuditEventWhereInput {
  return {
    orgId,
    ...(filter?.actions?.length && { action: { in: filter.actions } }),
    ...(filter?.actorId && { actorId: filter.actorId }),
    ...(filter?.targetType && { targetType: filter.targetType }),
    ...(filter?.targetId && { targetId: filter.targetId }),
    ...((filter?.from || filter?.to) && { createdAt: { ...(filter.from && { gte: filter.from }), ...(filter.to && { lt: filter.to }) } }),
  };
}
