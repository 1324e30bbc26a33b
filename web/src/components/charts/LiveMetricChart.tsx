import { useState } from "react";
import { MetricChart, type StepRange } from "./MetricChart";
import { useZoomableMetricSeries } from "../../hooks/useMetricSeries";
import { useElementWidth } from "../../hooks/useElementWidth";
import { ErrorMessage, Loading } from "../States";

export type SeriesDef = { name: string; label: string; color: string; dashed?: boolean };

type Props = { jobId: string; title: string; series: SeriesDef[]; live: boolean; logScale?: boolean; empty: string };

/**
 * A chart of one job's series: the whole run downsampled to the chart's width
 * and growing live, or, when zoomed, the zoomed steps fetched in detail.
 */
export function LiveMetricChart({ jobId, title, series, live, logScale, empty }: Props) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const [zoom, setZoom] = useState<StepRange | null>(null);
  const names = series.map((s) => s.name);
  const { shown, ...overview } = useZoomableMetricSeries({ jobId, names, maxPoints: width, live, zoom });
  const hasPoints = Object.values(overview.series).some((points) => points.length > 0);

  return (
    <div
      ref={ref}
      className="chart-slot"
      data-testid={`chart-${names.join("-")}`}
      data-points={Object.values(shown).reduce((n, p) => n + p.length, 0)}
    >
      {overview.error && <ErrorMessage error={overview.error} retry={overview.refetch} />}
      {overview.loading && <Loading label={`Loading ${title.toLowerCase()}…`} />}
      {!overview.loading && !overview.error && !hasPoints && <p className="muted chart-empty">{empty}</p>}
      {hasPoints && (
        <MetricChart
          title={title}
          width={width}
          zoom={zoom}
          onZoom={setZoom}
          logScale={logScale}
          series={series.map((s) => ({ key: s.name, label: s.label, color: s.color, dashed: s.dashed, points: shown[s.name] ?? [] }))}
        />
      )}
    </div>
  );
}
