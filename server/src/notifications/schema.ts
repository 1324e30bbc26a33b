import { builder } from "../builder.js";
import { ROLES_THAT } from "../auth/permissions.js";
import { ALERT_LABELS, ALERT_TYPES, type AlertType } from "./alertTypes.js";
import { createChannel, deleteChannel, maskedUrl, sendTestMessage, updateChannel } from "./channels.js";
import { preferencesOf, updatePreferences, type Preferences } from "./preferences.js";
import { audit } from "../audit/service.js";

export const AlertTypeEnum = builder.enumType("AlertType", {
  values: Object.fromEntries(ALERT_TYPES.map((type) => [type, { description: ALERT_LABELS[type] }])) as Record<
    AlertType,
    { description: string }
  >,
});
const ChannelKindEnum = builder.enumType("NotificationChannelKind", {
  values: {
    SLACK: { description: "A Slack-compatible incoming webhook: JSON {text, blocks}." },
    WEBHOOK: { description: "Any HTTPS endpoint; each request is signed per the Standard Webhooks spec." },
    EMAIL: { description: "Email over the server's SMTP (SMTP_URL)." },
  },
});
const DeliveryStatusEnum = builder.enumType("DeliveryStatus", { values: ["PENDING", "DELIVERED", "FAILED"] as const });

builder.prismaObject("Alert", {
  description: "Something the organization was told about: a job finished, failed, stalled or overran; a budget threshold was crossed.",
  fields: (t) => ({
    id: t.exposeID("id"),
    type: t.field({ type: AlertTypeEnum, resolve: (a) => a.type as AlertType }),
    message: t.exposeString("message"),
    jobId: t.exposeID("jobId", { nullable: true }),
    projectId: t.exposeID("projectId", { nullable: true }),
    data: t.field({ type: "JSON", nullable: true, description: "The figures behind the message.", resolve: (a) => a.data }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const Channel = builder.prismaObject("NotificationChannel", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    kind: t.expose("kind", { type: ChannelKindEnum }),
    url: t.string({
      nullable: true,
      description: "Where it posts, shortened: the full URL is a credential.",
      resolve: (c) => maskedUrl(c.url),
    }),
    recipients: t.stringList({ description: "Fixed addresses of an email channel.", resolve: (c) => c.recipients as string[] }),
    events: t.field({ type: [AlertTypeEnum], resolve: (c) => c.events as AlertType[] }),
    enabled: t.exposeBoolean("enabled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("NotificationDelivery", {
  description: "One message to one channel (and address), with its attempts.",
  fields: (t) => ({
    id: t.exposeID("id"),
    event: t.exposeString("event", { description: "The alert type, DAILY_DIGEST or TEST." }),
    channel: t.relation("channel"),
    alert: t.relation("alert", { nullable: true }),
    recipient: t.string({ nullable: true, resolve: (d) => d.recipient || null }),
    title: t.exposeString("title"),
    status: t.expose("status", { type: DeliveryStatusEnum }),
    attempts: t.exposeInt("attempts"),
    lastError: t.exposeString("lastError", { nullable: true }),
    responseCode: t.exposeInt("responseCode", { nullable: true }),
    nextAttemptAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it is tried next; null once delivered or given up.",
      resolve: (d) => (d.status === "PENDING" ? d.nextAttemptAt : null),
    }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const PreferencesRef = builder.objectRef<Preferences>("NotificationPreferences").implement({
  description: "What the signed-in user hears about by email, and through which email channels.",
  fields: (t) => ({
    events: t.field({ type: [AlertTypeEnum], resolve: (p) => p.events }),
    channelIds: t.idList({ resolve: (p) => p.channelIds }),
    dailyDigest: t.exposeBoolean("dailyDigest"),
    isDefault: t.exposeBoolean("isDefault", { description: "True until the user chooses: these are their role's defaults." }),
  }),
});

const ChannelInput = builder.inputType("NotificationChannelInput", {
  fields: (t) => ({
    name: t.string(),
    kind: t.field({ type: ChannelKindEnum, description: "Fixed at creation." }),
    url: t.string({ description: "SLACK and WEBHOOK: the https:// URL to post to." }),
    recipients: t.stringList({ description: "EMAIL: fixed addresses, besides the users who opt in." }),
    events: t.field({ type: [AlertTypeEnum], description: "Alert types this channel carries; all by default." }),
    enabled: t.boolean(),
  }),
});

const DeliveryStatusFilter = builder.inputType("NotificationDeliveryFilter", {
  fields: (t) => ({ status: t.field({ type: DeliveryStatusEnum }), channelId: t.id() }),
});

builder.queryFields((t) => ({
  alerts: t.withAuth({ user: true }).prismaConnection({
    type: "Alert",
    cursor: "id",
    description: "The alert history, newest first.",
    defaultSize: 50,
    maxSize: 200,
    args: { types: t.arg({ type: [AlertTypeEnum] }), jobId: t.arg.id() },
    resolve: (query, _root, { types, jobId }, ctx) =>
      ctx.db.alert.findMany({
        ...query,
        where: { orgId: ctx.viewer.orgId, ...(types?.length && { type: { in: types } }), ...(jobId && { jobId: String(jobId) }) },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      }),
  }),
  notificationChannels: t.withAuth({ user: true }).prismaField({
    type: ["NotificationChannel"],
    resolve: (query, _root, _args, ctx) =>
      ctx.db.notificationChannel.findMany({ ...query, where: { orgId: ctx.viewer.orgId }, orderBy: { createdAt: "asc" } }),
  }),
  notificationDeliveries: t.withAuth({ user: true }).prismaConnection({
    type: "NotificationDelivery",
    cursor: "id",
    description: "The delivery log, newest first.",
    defaultSize: 50,
    maxSize: 200,
    args: { filter: t.arg({ type: DeliveryStatusFilter }) },
    resolve: (query, _root, { filter }, ctx) =>
      ctx.db.notificationDelivery.findMany({
        ...query,
        where: {
          orgId: ctx.viewer.orgId,
          ...(filter?.status && { status: filter.status }),
          ...(filter?.channelId && { channelId: String(filter.channelId) }),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      }),
  }),
  myNotificationPreferences: t.withAuth({ user: true }).field({
    type: PreferencesRef,
    resolve: (_root, _args, ctx) => preferencesOf(ctx, ctx.viewer),
  }),
}));

builder.mutationFields((t) => ({
  createNotificationChannel: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: builder.simpleObject("CreatedNotificationChannel", {
      fields: (f) => ({
        channel: f.field({ type: Channel }),
        signingSecret: f.string({
          nullable: true,
          description: "WEBHOOK channels: the Standard Webhooks secret (whsec_…) to verify signatures. Shown once.",
        }),
      }),
    }),
    errors: { result: { name: "CreateNotificationChannelSuccess" } },
    args: { input: t.arg({ type: ChannelInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const created = await createChannel(ctx, ctx.viewer.orgId, input);
      await audit(ctx, "channel.changed", {
        target: { type: "NotificationChannel", id: created.channel.id },
        after: { name: created.channel.name, kind: created.channel.kind },
      }); // never the URL or secret
      return created;
    },
  }),
  updateNotificationChannel: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: "NotificationChannel",
    errors: { result: { name: "UpdateNotificationChannelSuccess" } },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ChannelInput, required: true }) },
    resolve: async (query, _root, { id, input }, ctx) => {
      const channel = await updateChannel(ctx, ctx.viewer.orgId, String(id), input);
      await audit(ctx, "channel.changed", {
        target: { type: "NotificationChannel", id: channel.id },
        after: { name: channel.name, kind: channel.kind, enabled: channel.enabled },
      });
      return ctx.db.notificationChannel.findUniqueOrThrow({ ...query, where: { id: channel.id } });
    },
  }),
  deleteNotificationChannel: t.withAuth({ role: ROLES_THAT.manage }).field({
    type: "ID",
    errors: { result: { name: "DeleteNotificationChannelSuccess" } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const channel = await deleteChannel(ctx, ctx.viewer.orgId, String(id));
      await audit(ctx, "channel.changed", {
        target: { type: "NotificationChannel", id: channel.id },
        before: { name: channel.name, kind: channel.kind },
        after: null,
      });
      return channel.id;
    },
  }),
  sendTestNotification: t.withAuth({ role: ROLES_THAT.manage }).prismaField({
    type: ["NotificationDelivery"],
    description: "Sends a test message to a channel through the delivery log, with the attempts and retries of a real alert.",
    errors: { result: { name: "SendTestNotificationSuccess" } },
    args: { channelId: t.arg.id({ required: true }) },
    resolve: async (query, _root, { channelId }, ctx) => {
      const queued = await sendTestMessage(ctx, ctx.viewer, String(channelId));
      return ctx.db.notificationDelivery.findMany({
        ...query,
        where: { id: { in: queued.map((d) => d.id) } },
        orderBy: { recipient: "asc" },
      });
    },
  }),
  updateNotificationPreferences: t.withAuth({ role: ROLES_THAT.contribute }).field({
    type: PreferencesRef,
    errors: { result: { name: "UpdateNotificationPreferencesSuccess" } },
    args: { events: t.arg({ type: [AlertTypeEnum] }), channelIds: t.arg.idList(), dailyDigest: t.arg.boolean() },
    resolve: (_root, args, ctx) => updatePreferences(ctx, ctx.viewer, { ...args, channelIds: args.channelIds?.map(String) }),
  }),
}));
