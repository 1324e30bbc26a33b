import { useEffect, useMemo, useRef } from "react";
import { useQuery, useSubscription } from "urql";
import { MetricSeriesQuery } from "./metricSeriesQuery";
import { graphql } from "../graphql";
import { useConnection } from "../session";
import { useDebounced } from "./useDebounced";
import { lastStep, type SeriesMap } from "./metricPoints";

// Metric history for a chart: a downsampled series sized to the chart (one
// point per pixel, minima and maxima kept by the server), to which the cache
// appends the points that arrive live (cache.ts). When the live points make
// it much longer than the width, the series is fetched again, downsampled.
// After a lost connection, the series is fetched again and the subscription
// resumes after the last step held.

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
  const series = useMemo(() => Object.fromEntries((fetched ?? []).map((s) => [s.name, s.points])) as SeriesMap, [fetched]);

  // Resume after the last step held when the subscription starts (not after each point: that would resubscribe on every one).
  const following = enabled && live && !range && Boolean(fetched);
  const { reconnects } = useConnection();
  const start = `${jobId}|${namesKey}|${reconnects}|${following}`;
  const resume = useRef({ start: "", afterStep: -1 });
  if (resume.current.start !== start) resume.current = { start, afterStep: lastStep(series) ?? -1 };
  useSubscription({
    query: MetricPointsAdded,
    variables: { jobId, names: variables.names, afterStep: resume.current.afterStep },
    pause: !following,
  });

  // Too many live points for the width: let the server downsample again.
  const longest = Math.max(0, ...Object.values(series).map((points) => points.length));
  const overfull = following && longest > 2 * points;
  useEffect(() => {
    if (overfull) refetch({ requestPolicy: "network-only" });
  }, [overfull, refetch]);

  // The run ended: read the whole series once more, downsampled as a whole.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live && enabled) refetch({ requestPolicy: "network-only" });
    wasLive.current = live;
  }, [live, enabled, refetch]);

  // Back from a lost connection: fetch what was missed, then follow again from there.
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
