import { useEffect, useMemo, useRef } from "react";
import { useQuery, useSubscription } from "urql";
import { graphql } from "../graphql";
import { useConnection } from "../session";
import { useDebounced } from "./useDebounced";

// Metric history for a chart: a downsampled series sized to the chart (one
// point per pixel, minima and maxima kept by the server), plus the points
// that arrive live. When the live tail grows past the width, the series is
// fetched again, downsampled. After a lost connection, the series is fetched
// again and the subscription resumes after its last step.

export const MetricSeriesQuery = graphql(`
  query MetricSeries($id: ID!, $names: [String!]!, $maxPoints: Int, $fromStep: Int, $toStep: Int) {
    job(id: $id) {
      id
      metricSeries(names: $names, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {
        name
        totalPoints
        downsampled
        points {
          step
          value
          epoch
          wallTime
        }
      }
    }
  }
`);

const MetricPointsAdded = graphql(`
  subscription MetricPointsAdded($jobId: ID!, $names: [String!], $afterStep: Int) {
    metricPointsAdded(jobId: $jobId, names: $names, afterStep: $afterStep) {
      jobId
      points {
        name
        step
        value
        epoch
        wallTime
      }
    }
  }
`);

export type MetricPoint = { step: number; value: number; epoch?: number | null; wallTime: number };
export type SeriesMap = Record<string, MetricPoint[]>;

/** Adds points in step order; a point at a step already held replaces it (a re-sent or corrected report). */
export function mergePoints(series: SeriesMap, points: (MetricPoint & { name: string })[]): SeriesMap {
  const next: SeriesMap = { ...series };
  for (const { name, ...point } of points) {
    const list = next[name] === series[name] ? [...(series[name] ?? [])] : next[name];
    const last = list[list.length - 1];
    if (!last || point.step > last.step) list.push(point);
    else {
      const at = list.findIndex((p) => p.step >= point.step);
      if (list[at].step === point.step) list[at] = point;
      else list.splice(at, 0, point);
    }
    next[name] = list;
  }
  return next;
}

/** Live points received since the subscription started after `from`. */
type Received = { from: number; points: (MetricPoint & { name: string })[] };

export function lastStep(series: SeriesMap): number | null {
  let max: number | null = null;
  for (const points of Object.values(series)) {
    const last = points[points.length - 1];
    if (last && (max === null || last.step > max)) max = last.step;
  }
  return max;
}

type Options = {
  jobId: string;
  names: string[];
  /** About one point per pixel of the chart's width. */
  maxPoints: number;
  /** Follow new points as the trainer reports them. */
  live: boolean;
  /** Only this step range (a zoomed chart); not live. */
  range?: { from: number; to: number } | null;
  /** False: ask nothing (a zoom not yet in use). */
  enabled?: boolean;
};

export function useMetricSeries({ jobId, names, maxPoints, live, range, enabled = true }: Options) {
  const namesKey = names.join(",");
  // Widths change by a pixel while resizing: ask again only for a real change.
  const points = Math.max(10, Math.min(10_000, Math.round(maxPoints / 50) * 50 || 50));
  const variables = useMemo(
    () => ({ id: jobId, names: namesKey.split(","), maxPoints: points, fromStep: range?.from ?? null, toStep: range?.to ?? null }),
    [jobId, namesKey, points, range?.from, range?.to],
  );
  const [result, refetch] = useQuery({ query: MetricSeriesQuery, variables, requestPolicy: "cache-and-network", pause: !enabled });
  // urql keeps the previous job's data while another job's loads: never show it as this job's.
  const fetched = result.data?.job.id === jobId ? result.data.job.metricSeries : undefined;
  const fetchedSeries = useMemo(() => Object.fromEntries((fetched ?? []).map((s) => [s.name, s.points])) as SeriesMap, [fetched]);

  // Resume after the last step fetched (not the last received: that would resubscribe on every point).
  const afterStep = useMemo(() => lastStep(fetchedSeries) ?? -1, [fetchedSeries]);
  const following = enabled && live && !range && Boolean(fetched);
  // urql may run this reducer more than once per event: it must stay pure.
  const [{ data: received }] = useSubscription(
    { query: MetricPointsAdded, variables: { jobId, names: variables.names, afterStep }, pause: !following },
    (previous: Received | undefined, event): Received => ({
      from: afterStep,
      points: [...(previous?.from === afterStep ? previous.points : []), ...event.metricPointsAdded.points],
    }),
  );
  const tail = received?.from === afterStep ? received.points : null;
  const series = useMemo(() => (tail ? mergePoints(fetchedSeries, tail) : fetchedSeries), [fetchedSeries, tail]);

  // Too many live points for the width: let the server downsample again (once per fetched series).
  const refetchedFor = useRef<unknown>(null);
  const appended = tail?.length ?? 0;
  useEffect(() => {
    if (!following || appended <= points || refetchedFor.current === fetched) return;
    refetchedFor.current = fetched;
    refetch({ requestPolicy: "network-only" });
  }, [following, appended, points, refetch, fetched]);

  // The run ended: read the whole series once more, downsampled as a whole.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live && enabled) refetch({ requestPolicy: "network-only" });
    wasLive.current = live;
  }, [live, enabled, refetch]);

  // Back from a lost connection: fetch what was missed, then follow again from there.
  const { reconnects } = useConnection();
  useEffect(() => {
    if (reconnects > 0 && enabled) refetch({ requestPolicy: "network-only" });
  }, [reconnects, refetch, enabled]);

  return {
    series,
    error: result.error,
    loading: !fetched && result.fetching,
    refetch: () => refetch({ requestPolicy: "network-only" }),
  };
}

/**
 * The whole run, downsampled and live, and, while the chart is zoomed, the
 * zoomed steps fetched in detail: `shown` is what the chart draws.
 */
export function useZoomableMetricSeries({ zoom, ...options }: Omit<Options, "range"> & { zoom: { from: number; to: number } | null }) {
  const overview = useMetricSeries(options);
  const range = useDebounced(zoom, 300);
  const detail = useMetricSeries({ ...options, live: false, range, enabled: options.enabled !== false && Boolean(zoom && range) });
  const shown = zoom && range && Object.keys(detail.series).length ? detail.series : overview.series;
  return { ...overview, shown };
}
