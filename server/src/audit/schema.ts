import { builder } from "../builder.js";
import { AUDIT_ACTION_GROUPS, AUDIT_ACTIONS, assertAuditReader, auditWhere } from "./service.js";

builder.prismaObject("AuditEvent", {
  description: "One security- or money-relevant act: who, what, when, from which address, before and after.",
  fields: (t) => ({
    id: t.exposeID("id"),
    action: t.exposeString("action", { description: `One of: ${AUDIT_ACTIONS.map((a) => a.action).join(", ")}.` }),
    actorId: t.exposeID("actorId", { nullable: true }),
    actorEmail: t.exposeString("actorEmail", { nullable: true, description: "The actor's email when the act happened." }),
    targetType: t.exposeString("targetType", {
      nullable: true,
      description: "What was acted on (User, ApiKey, BudgetOverride, ModelVersionEvent…): the record in its own trail.",
    }),
    targetId: t.exposeID("targetId", { nullable: true }),
    address: t.exposeString("address", { nullable: true, description: "The network address the request came from." }),
    before: t.expose("before", { type: "JSON", nullable: true }),
    after: t.expose("after", { type: "JSON", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const AuditActionInfo = builder.objectRef<(typeof AUDIT_ACTIONS)[number]>("AuditActionInfo").implement({
  description: "An action the audit log records, and the group a filter shows it under.",
  fields: (t) => ({
    action: t.exposeString("action", { description: "As in AuditEvent.action and AuditFilter.actions." }),
    group: t.exposeString("group", { description: `One of: ${Object.keys(AUDIT_ACTION_GROUPS).join(", ")}.` }),
  }),
});

const AuditFilterInput = builder.inputType("AuditFilter", {
  fields: (t) => ({
    actions: t.stringList({ description: "Any of these actions." }),
    actorId: t.id(),
    targetType: t.string(),
    targetId: t.id(),
    from: t.field({ type: "DateTime", description: "At or after." }),
    to: t.field({ type: "DateTime", description: "Before." }),
  }),
});

builder.queryFields((t) => ({
  auditActions: t.field({
    type: [AuditActionInfo],
    description: "Every action the audit log records, grouped for filtering.",
    authScopes: { user: true },
    resolve: () => AUDIT_ACTIONS,
  }),
  auditEvents: t.prismaConnection({
    type: "AuditEvent",
    cursor: "id",
    description: "The organization's audit log, newest first (owners, admins and QA). Also as CSV at GET /api/audit.csv.",
    authScopes: { user: true },
    defaultSize: 50,
    maxSize: 500,
    args: { filter: t.arg({ type: AuditFilterInput }) },
    totalCount: (_parent, args, ctx) => {
      assertAuditReader(ctx.viewer);
      return ctx.db.auditEvent.count({ where: auditWhere(ctx.viewer.orgId, toFilter(args.filter)) });
    },
    resolve: (query, _root, args, ctx) => {
      assertAuditReader(ctx.viewer);
      return ctx.db.auditEvent.findMany({
        ...query,
        where: auditWhere(ctx.viewer.orgId, toFilter(args.filter)),
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      });
    },
  }),
}));

const toFilter = (filter: { actorId?: string | number | null; targetId?: string | number | null } | null | undefined) =>
  filter && { ...filter, actorId: filter.actorId?.toString(), targetId: filter.targetId?.toString() };
