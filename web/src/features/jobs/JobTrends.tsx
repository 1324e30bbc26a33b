import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { Preset } from "../../graphql/graphql";
import { formatDuration, formatUsd, humanize } from "../../format";
import { ErrorMessage } from "../../components/States";
import { PRESET_OPTIONS } from "./jobListParams";

const JobTrendsQuery = graphql(`
  query JobTrends($months: Int) {
    jobTrends(months: $months) {
      month
      preset
      jobs
      completed
      failed
      successRate
      averageCostUsd
      averageDurationSec
      averageQualityScore
    }
  }
`);

type SortKey = "month" | "jobs" | "successRate" | "averageCostUsd" | "averageDurationSec" | "averageQualityScore";
/** A missing value counts as the lowest. */
const compare = (a: string | number | null | undefined, b: string | number | null | undefined) =>
  a == null ? (b == null ? 0 : -1) : b == null ? 1 : typeof a === "string" ? a.localeCompare(String(b)) : a - (b as number);

const percent = (rate: number | null | undefined) => (rate == null ? "—" : `${Math.round(rate * 100)}%`);

/** Month by month (all presets, or one): how many jobs, how many succeeded, what they cost, how long they took, how good they were. */
export function JobTrends() {
  const [preset, setPreset] = useState<Preset | "">("");
  const [{ data, error }, refetch] = useQuery({ query: JobTrendsQuery, variables: { months: 12 } });
  const [order, setOrder] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: "month", dir: 1 });
  const rows = (data?.jobTrends ?? [])
    .filter((r) => (preset ? r.preset === preset : r.preset == null))
    .sort((a, b) => order.dir * compare(a[order.key], b[order.key]));
  const sortBy = (key: SortKey) =>
    setOrder((current) => ({ key, dir: current.key === key ? (-current.dir as 1 | -1) : key === "month" ? 1 : -1 }));
  const header = (key: SortKey, label: string, numeric = true) => (
    <th
      scope="col"
      className={numeric ? "num" : undefined}
      aria-sort={order.key === key ? (order.dir === 1 ? "ascending" : "descending") : "none"}
    >
      <button type="button" className="sort-button" onClick={() => sortBy(key)}>
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {order.key === key ? (order.dir === 1 ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
  return (
    <section className="card" aria-labelledby="trends-title">
      <h2 id="trends-title">Trends by month</h2>
      <label className="inline-field">
        Preset{" "}
        <select value={preset} onChange={(e) => setPreset(e.target.value as Preset | "")} aria-label="Trends for preset">
          <option value="">All presets</option>
          {PRESET_OPTIONS.map((p) => (
            <option key={p} value={p}>
              {humanize(p)}
            </option>
          ))}
        </select>
      </label>
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {data && rows.length === 0 && <p className="muted">No jobs in the last 12 months{preset && " with this preset"}.</p>}
      {rows.length > 0 && (
        <table className="table table-compact trends-table">
          <caption className="visually-hidden">Jobs per month: success rate, average cost, duration and quality score</caption>
          <thead>
            <tr>
              {header("month", "Month", false)}
              {header("jobs", "Jobs")}
              {header("successRate", "Success rate", false)}
              {header("averageCostUsd", "Average cost")}
              {header("averageDurationSec", "Average duration")}
              {header("averageQualityScore", "Average quality")}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.month}-${r.preset ?? "all"}`}>
                <th scope="row">{r.month}</th>
                <td className="num">{r.jobs}</td>
                <td>
                  <span className="trend-bar" aria-hidden="true">
                    <span style={{ width: `${Math.round((r.successRate ?? 0) * 100)}%` }} />
                  </span>{" "}
                  {percent(r.successRate)}{" "}
                  <span className="muted small">
                    ({r.completed} of {r.completed + r.failed})
                  </span>
                </td>
                <td className="num">{r.averageCostUsd == null ? "—" : formatUsd(r.averageCostUsd)}</td>
                <td className="num">{formatDuration(r.averageDurationSec)}</td>
                <td className="num">{r.averageQualityScore == null ? "—" : `${r.averageQualityScore.toFixed(0)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
