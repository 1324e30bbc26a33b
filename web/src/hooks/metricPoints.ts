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

export function lastStep(series: SeriesMap): number | null {
  let max: number | null = null;
  for (const points of Object.values(series)) {
    const last = points[points.length - 1];
    if (last && (max === null || last.step > max)) max = last.step;
  }
  return max;
}
