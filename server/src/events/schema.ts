import { builder } from "../builder.js";
import { findOwnJob } from "../jobs/service.js";
import { eventFilterWhere, stageProgressOf, type StageProgress } from "./service.js";
import { isJobEventType, JOB_EVENT_TYPES, type JobEventType } from "./types.js";

// The job's event log: every report received (processed or refused), every
// status change, stalls and lease expiries, newest last.

export const JobEventTypeEnum = builder.enumType("JobEventType", {
  description: "The kinds of entry in a job's event log (server/src/events/types.ts).",
  values: Object.fromEntries(Object.entries(JOB_EVENT_TYPES).map(([type, description]) => [type, { description }])) as Record<
    JobEventType,
    { description: string }
  >,
});

builder.prismaObject("JobEvent", {
  description: "One entry of a job's event log.",
  fields: (t) => ({
    id: t.exposeID("id"),
    // An entry logged before its type was listed reads as unknown.
    type: t.field({ type: JobEventTypeEnum, resolve: (event) => (isJobEventType(event.type) ? event.type : "unknown") }),
    message: t.exposeString("message", { nullable: true }),
    payload: t.expose("payload", { type: "JSON", description: "The report or change as received." }),
    source: t.exposeString("source", { description: "system, user, trainer (GraphQL) or webhook." }),
    receivedAt: t.expose("receivedAt", { type: "DateTime" }),
    processedAt: t.expose("processedAt", { type: "DateTime", nullable: true }),
    processingError: t.exposeString("processingError", {
      nullable: true,
      description: "Why the report was refused; null when it was applied.",
    }),
  }),
});

builder.prismaObjectField("TrainingJob", "events", (t) =>
  t.relatedConnection("events", {
    cursor: "id",
    authScopes: { user: true },
    totalCount: true,
    description: "The event log, oldest first (`last` gives the newest).",
    args: {
      types: t.arg({ type: [JobEventTypeEnum], description: "Only these event types." }),
      search: t.arg.string({ description: "Words in the type, message or error." }),
    },
    query: ({ types, search }, ctx) => ({ where: eventFilterWhere({ types, search }, ctx.provider), orderBy: { id: "asc" } }),
  }),
);

const StageProgressRef = builder.objectRef<StageProgress>("StageProgress").implement({
  description:
    "How far the current stage has gone, for a stage long enough that the trainer reports it (building the demo base model on first use).",
  fields: (t) => ({
    status: t.exposeString("status", { description: "The stage (the job's status) this progress is of." }),
    percent: t.exposeFloat("percent"),
    secondsLeft: t.exposeFloat("secondsLeft", { nullable: true, description: "The trainer's estimate; null until it can tell." }),
    message: t.exposeString("message", { nullable: true }),
    reportedAt: t.expose("reportedAt", { type: "DateTime" }),
  }),
});

builder.prismaObjectField("TrainingJob", "stageProgress", (t) =>
  t.field({
    type: StageProgressRef,
    nullable: true,
    authScopes: { user: true },
    description: "The current stage's own progress, from the trainer's latest report of it; null when it reports none.",
    select: { id: true, status: true },
    resolve: (job, _args, ctx) => stageProgressOf(ctx.db, job),
  }),
);

builder.subscriptionFields((t) => ({
  jobEventAdded: t.withAuth({ user: true }).prismaField({
    type: "JobEvent",
    description: "Each new entry of the job's event log.",
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: async (_root, { jobId }, ctx) => {
      await findOwnJob(ctx, ctx.viewer, String(jobId));
      return ctx.pubsub.subscribe("job:events", String(jobId));
    },
    resolve: (query, payload, _args, ctx) =>
      ctx.db.jobEvent.findUniqueOrThrow({ ...query, where: { id: (payload as unknown as { eventId: number }).eventId } }),
  }),
}));
