import { builder } from "../builder.js";
import { AppError } from "../errors.js";
import { findOwnJob } from "../jobs/service.js";
import { RUNNING_STATUSES } from "../jobs/stateMachine.js";
import { DEFAULT_MAX_POINTS, latestPoints, pointsPage, readSeries, recentStepRate, type MetricPoint, type Series } from "./service.js";

const MetricPointRef = builder.objectRef<MetricPoint>("MetricPoint").implement({
  description: "One value of a series at one training step.",
  fields: (t) => ({
    name: t.exposeString("name"),
    step: t.exposeInt("step"),
    value: t.exposeFloat("value"),
    epoch: t.exposeFloat("epoch", { nullable: true }),
    wallTime: t.exposeFloat("wallTime", { description: "Unix seconds on the trainer's clock." }),
  }),
});

const MetricSeriesRef = builder.objectRef<Series>("MetricSeries").implement({
  fields: (t) => ({
    name: t.exposeString("name"),
    points: t.field({ type: [MetricPointRef], resolve: (s) => s.points, description: "In step order." }),
    totalPoints: t.exposeInt("totalPoints", { description: "Points stored in the range, before downsampling." }),
    downsampled: t.exposeBoolean("downsampled", {
      description: "True when points holds each bucket's minimum and maximum rather than every point.",
    }),
  }),
});

const MetricPointBatch = builder.simpleObject("MetricPointBatch", {
  description: "Points of a job stored together (or replayed together).",
  fields: (t) => ({ jobId: t.id(), points: t.field({ type: [MetricPointRef] }) }),
});

const MAX_SERIES = 20;

builder.prismaObjectFields("TrainingJob", (t) => ({
  metricSeries: t.field({
    type: [MetricSeriesRef],
    authScopes: { user: true },
    select: { id: true },
    description: "Metric history. A long range is downsampled on the server to at most maxPoints points, keeping every spike.",
    args: {
      names: t.arg.stringList({ required: true }),
      maxPoints: t.arg.int({ description: `10–10,000; ${DEFAULT_MAX_POINTS} when left out (a shorter range comes at full resolution).` }),
      fromStep: t.arg.int(),
      toStep: t.arg.int(),
    },
    resolve: async (job, { names, ...options }, ctx) => {
      if (names.length > MAX_SERIES) throw new AppError("VALIDATION", `At most ${MAX_SERIES} series at once`, "names");
      const series: Series[] = [];
      for (const name of new Set(names)) series.push(await readSeries(ctx.db, ctx.provider, job.id, name, options));
      return series;
    },
  }),
  latestMetrics: t.field({
    type: [MetricPointRef],
    authScopes: { user: true },
    select: { id: true },
    description: "The latest point of each series, by name.",
    resolve: (job, _args, ctx) => latestPoints(ctx.db, job.id),
  }),
  etaSeconds: t.float({
    nullable: true,
    authScopes: { user: true },
    select: { id: true, status: true, totalSteps: true, currentStep: true },
    description: "Seconds of training left at the step rate of the last ~50 train_loss points; null when not training or not known yet.",
    resolve: async (job, _args, ctx) => {
      if (!RUNNING_STATUSES.includes(job.status) || !job.totalSteps) return null;
      const rate = await recentStepRate(ctx.db, job.id, "train_loss");
      return rate ? Math.max(0, job.totalSteps - job.currentStep) / rate : null;
    },
  }),
}));

/** Points after `afterStep` as stored now, page by page: what a reconnecting client missed. */
async function* storedPointsAfter(db: Parameters<typeof pointsPage>[0], jobId: string, names: string[] | null, afterStep: number) {
  let after: { name: string; step: number } | null = null;
  for (;;) {
    const page = await pointsPage(db, jobId, names, after, 5000, afterStep + 1);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1];
  }
}

builder.subscriptionFields((t) => ({
  metricPointsAdded: t.withAuth({ user: true }).field({
    type: MetricPointBatch,
    description:
      "New points of the job as they are stored. With afterStep, the points already stored after that step come first, so a client that reconnects misses nothing; (name, step) identifies a point if one arrives twice around the reconnection.",
    args: { jobId: t.arg.id({ required: true }), names: t.arg.stringList(), afterStep: t.arg.int() },
    subscribe: async function* (_root, { jobId, names, afterStep }, ctx) {
      const id = String(jobId);
      await findOwnJob(ctx, ctx.viewer, id);
      const wanted = names?.length ? new Set(names) : null;
      const live = ctx.pubsub.subscribe("job:metrics", id)[Symbol.asyncIterator]();
      // Listen before reading the database, so no point falls between the two.
      let next = live.next();
      try {
        // Points replayed from the database that may also be on their way live.
        const replayed = new Set<string>();
        const key = (p: { name: string; step: number }) => `${p.name}\u0000${p.step}`;
        if (afterStep != null) {
          for await (const points of storedPointsAfter(ctx.db, id, names?.length ? names : null, afterStep)) {
            points.forEach((p) => replayed.add(key(p)));
            yield { jobId: id, points };
          }
        }
        const replayEnded = Date.now();
        for (;;) {
          const { value, done } = await next;
          if (done) return;
          // A point in flight during the replay arrives within moments of it; after that, forget the replay.
          if (replayed.size && Date.now() - replayEnded > 30_000) replayed.clear();
          // Each point is published once, so a replayed point is skipped at most once.
          const points = value.points.filter((p) => (!wanted || wanted.has(p.name)) && !replayed.delete(key(p)));
          if (points.length) yield { jobId: id, points };
          next = live.next();
        }
      } finally {
        await live.return?.();
      }
    },
    resolve: (batch) => batch,
  }),
}));
