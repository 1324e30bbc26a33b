import { cacheExchange, type Cache, type KeyingConfig } from "@urql/exchange-graphcache";
import { possibleTypes, valueTypes } from "./graphql/graphcacheSchema";
import type { JobEventFieldsFragment, JobEventType, MetricPointsAddedSubscription } from "./graphql/graphql";
import { eventMatches, JobEventsQuery } from "./features/jobDetail/jobEvents";
import { mergePoints } from "./hooks/metricPoints";
import { MetricSeriesQuery } from "./hooks/metricSeriesQuery";

// The SPA's normalized cache: an entity with an id is stored once, so a live
// event that carries it (trainingJobUpdated, jobListChanged's job) updates
// every query that shows it. Lists that grow live (a job's event log, its
// metric series) are extended by the subscription updates below.

/**
 * Types without an id (values such as a cost estimate, a mutation's payload) are
 * kept inside the entity or result that holds them; the schema says which
 * (web/src/graphql/graphcacheSchema.ts, generated).
 */
const keys: KeyingConfig = Object.fromEntries(valueTypes.map((type) => [type, () => null]));

/** The arguments of each cached `field` of a job, e.g. every metricSeries a chart asked for. */
function cachedArguments(cache: Cache, jobId: string, field: string) {
  return cache
    .inspectFields({ __typename: "TrainingJob", id: jobId })
    .filter((f) => f.fieldName === field)
    .map((f) => f.arguments ?? {});
}

/** New points go to the end of each live (not zoomed) series of the job that the cache holds. */
function appendMetricPoints(cache: Cache, { jobId, points }: MetricPointsAddedSubscription["metricPointsAdded"]) {
  for (const args of cachedArguments(cache, jobId, "metricSeries")) {
    if (args.fromStep != null || args.toStep != null) continue;
    const variables = {
      id: jobId,
      names: args.names as string[],
      maxPoints: args.maxPoints as number | null,
      fromStep: null,
      toStep: null,
    };
    cache.updateQuery({ query: MetricSeriesQuery, variables }, (data) => {
      if (!data?.job) return data;
      const added = points.filter((p) => variables.names.includes(p.name));
      if (added.length === 0) return data;
      const held = new Map(data.job.metricSeries.map((s) => [s.name, s]));
      const merged = mergePoints(Object.fromEntries([...held].map(([name, s]) => [name, s.points])), added);
      data.job.metricSeries = variables.names
        .filter((name) => merged[name])
        .map((name) => ({
          __typename: "MetricSeries" as const,
          name,
          downsampled: held.get(name)?.downsampled ?? false,
          totalPoints: (held.get(name)?.totalPoints ?? 0) + merged[name].length - (held.get(name)?.points.length ?? 0),
          points: merged[name].map(({ step, value, epoch, wallTime }) => ({
            __typename: "MetricPoint" as const,
            step,
            value,
            epoch: epoch ?? null,
            wallTime,
          })),
        }));
      return data;
    });
  }
}

/** A new event goes on top of each cached log of the job whose filter it passes. */
function appendEvent(cache: Cache, jobId: string, event: JobEventFieldsFragment) {
  for (const args of cachedArguments(cache, jobId, "events")) {
    const types = args.types as JobEventType[] | null;
    const search = args.search as string | null;
    if (!eventMatches(event, types, search)) continue;
    const last = args.last as number;
    cache.updateQuery({ query: JobEventsQuery, variables: { id: jobId, last, types, search } }, (data) => {
      const events = data?.job.events;
      if (!events || events.edges.some((edge) => edge.node.id === event.id)) return data;
      events.edges = [...events.edges, { __typename: "TrainingJobEventsConnectionEdge" as const, node: event }].slice(-last);
      events.totalCount += 1;
      return data;
    });
  }
}

export const liveCacheExchange = () =>
  cacheExchange({
    keys,
    possibleTypes,
    updates: {
      Subscription: {
        metricPointsAdded: (result, _args, cache) =>
          appendMetricPoints(cache, result.metricPointsAdded as MetricPointsAddedSubscription["metricPointsAdded"]),
        jobEventAdded: (result, args, cache) => appendEvent(cache, args.jobId as string, result.jobEventAdded as JobEventFieldsFragment),
      },
    },
  });
