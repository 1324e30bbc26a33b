import { useMemo } from "react";
import { VictoryAxis, VictoryChart, VictoryLine, VictoryTooltip, createContainer } from "victory";
import { formatMetric } from "../../format";

// A line chart of metric series against the training step, with a tooltip
// per step (voronoi on x) and zoom on the step axis (wheel, drag to pan, or
// the buttons, for keyboards). Zooming reports the step range so the caller
// can ask the server for that range in detail.

const ZoomVoronoiContainer = createContainer<"zoom", "voronoi">("zoom", "voronoi");

export type ChartSeries = {
  key: string;
  label: string;
  color: string;
  dashed?: boolean;
  points: { step: number; value: number }[];
};

export type StepRange = { from: number; to: number };

type Props = {
  title: string;
  series: ChartSeries[];
  width: number;
  height?: number;
  zoom: StepRange | null;
  onZoom(range: StepRange | null): void;
  logScale?: boolean;
};

const AXIS_STYLE = {
  axis: { stroke: "#c3c9d2" },
  tickLabels: { fontSize: 11, fill: "#5b6472", padding: 4, fontFamily: "system-ui, sans-serif" },
  grid: { stroke: "#eef0f3" },
  ticks: { stroke: "#c3c9d2", size: 3 },
};

export function stepExtent(series: ChartSeries[]): StepRange | null {
  let from = Infinity;
  let to = -Infinity;
  for (const s of series) {
    if (!s.points.length) continue;
    from = Math.min(from, s.points[0].step);
    to = Math.max(to, s.points[s.points.length - 1].step);
  }
  return Number.isFinite(from) ? { from, to: Math.max(to, from + 1) } : null;
}

/** Zooms the range in (factor < 1) or out around its middle, kept inside `full`. */
export function scaleRange(range: StepRange, full: StepRange, factor: number): StepRange | null {
  const middle = (range.from + range.to) / 2;
  const half = Math.max(2, ((range.to - range.from) * factor) / 2);
  const from = Math.max(full.from, Math.round(middle - half));
  const to = Math.min(full.to, Math.round(middle + half));
  return from <= full.from && to >= full.to ? null : { from, to };
}

export function MetricChart({ title, series, width, height = 260, zoom, onZoom, logScale }: Props) {
  const visible = series.filter((s) => s.points.length > 0);
  const full = stepExtent(visible);
  const data = useMemo(() => visible.map((s) => ({ ...s, data: s.points.map((p) => ({ x: p.step, y: p.value })) })), [visible]);
  const labelOf = Object.fromEntries(series.map((s) => [s.key, s.label]));

  if (!full) return null;
  const domain = zoom ? { x: [zoom.from, zoom.to] as [number, number] } : undefined;
  return (
    <div className="chart">
      <div className="chart-tools" role="group" aria-label={`${title} zoom`}>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => onZoom(scaleRange(zoom ?? full, full, 0.5))}
          aria-label={`Zoom in on ${title}`}
        >
          +
        </button>
        <button
          type="button"
          className="button button-quiet"
          disabled={!zoom}
          onClick={() => onZoom(zoom && scaleRange(zoom, full, 2))}
          aria-label={`Zoom out of ${title}`}
        >
          −
        </button>
        <button type="button" className="button button-quiet" disabled={!zoom} onClick={() => onZoom(null)}>
          Reset zoom
        </button>
        {zoom && (
          <span className="muted">
            steps {zoom.from}–{zoom.to}
          </span>
        )}
      </div>
      <VictoryChart
        width={width}
        height={height}
        padding={{ top: 12, right: 16, bottom: 36, left: 56 }}
        scale={{ x: "linear", y: logScale ? "log" : "linear" }}
        domain={domain}
        containerComponent={
          <ZoomVoronoiContainer
            title={title}
            desc={`${title}: ${visible.map((s) => s.label).join(", ")} by training step`}
            responsive={false}
            zoomDimension="x"
            zoomDomain={domain}
            onZoomDomainChange={(d) => {
              const [from, to] = d.x as [number, number];
              onZoom(from <= full.from && to >= full.to ? null : { from: Math.floor(from), to: Math.ceil(to) });
            }}
            minimumZoom={{ x: 2 }}
            voronoiDimension="x"
            voronoiBlacklist={[]}
            labels={({ datum }: { datum: { x: number; y: number; childName?: string } }) =>
              `${labelOf[datum.childName ?? ""] ?? ""} ${formatMetric(datum.y)} · step ${datum.x}`
            }
            labelComponent={
              <VictoryTooltip
                constrainToVisibleArea
                cornerRadius={4}
                flyoutStyle={{ fill: "#1b1f27", stroke: "none" }}
                style={{ fill: "#fff", fontSize: 11, fontFamily: "system-ui, sans-serif" }}
                flyoutPadding={{ top: 4, bottom: 4, left: 8, right: 8 }}
              />
            }
          />
        }
      >
        <VictoryAxis
          style={{ ...AXIS_STYLE, axisLabel: { fontSize: 11, fill: "#5b6472", padding: 24, fontFamily: "system-ui, sans-serif" } }}
          tickFormat={(t: number) => (Number.isInteger(t) ? String(t) : "")}
          label="step"
        />
        <VictoryAxis dependentAxis style={AXIS_STYLE} tickFormat={(t: number) => formatMetric(t)} />
        {data.map((s) => (
          <VictoryLine
            key={s.key}
            name={s.key}
            data={s.data}
            style={{ data: { stroke: s.color, strokeWidth: 2, strokeDasharray: s.dashed ? "5,4" : undefined } }}
          />
        ))}
      </VictoryChart>
      <ul className="legend">
        {series.map((s) => (
          <li key={s.key} style={{ color: s.color }}>
            <span className={`legend-swatch ${s.dashed ? "legend-swatch-dashed" : ""}`} style={{ background: s.color }} />
            <span style={{ color: "var(--text)" }}>{s.label}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
