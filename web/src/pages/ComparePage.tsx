import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../graphql";
import { MetricChart, type ChartSeries, type StepRange } from "../components/charts/MetricChart";
import { compareRows, highlighted, toCsv, toJson, type ComparedJob } from "../components/compare/compareRows";
import { Empty, ErrorMessage, Loading } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { useElementWidth } from "../hooks/useElementWidth";
import { useDebounced } from "../hooks/useDebounced";
import { usePageTitle } from "../hooks/usePageTitle";
import { saveBlob } from "../download";

export const ComparedJobFields = graphql(`
  fragment ComparedJobFields on TrainingJob {
    id
    name
    status
    preset
    gpuType
    pricingTier
    config
    latestLoss
    latestValLoss
    latestPerplexity
    actualCostUsd
    actualDurationSec
    billableSeconds
    metricSeries(names: ["train_loss", "val_loss"], maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {
      name
      points {
        step
        value
      }
    }
  }
`);

// Up to four jobs in one request; the third and fourth only when chosen.
const CompareQuery = graphql(`
  query Compare($a: ID!, $b: ID!, $c: ID!, $d: ID!, $withC: Boolean!, $withD: Boolean!, $maxPoints: Int!, $fromStep: Int, $toStep: Int) {
    a: job(id: $a) {
      ...ComparedJobFields
    }
    b: job(id: $b) {
      ...ComparedJobFields
    }
    c: job(id: $c) @include(if: $withC) {
      ...ComparedJobFields
    }
    d: job(id: $d) @include(if: $withD) {
      ...ComparedJobFields
    }
  }
`);

export const RUN_COLORS = ["#2456d6", "#d9480f", "#2b8a3e", "#862e9c"];

export function ComparePage() {
  usePageTitle("Compare runs");
  const [search] = useSearchParams();
  const idsKey = [...new Set((search.get("ids") ?? "").split(",").filter(Boolean))].join(",");
  const ids = idsKey ? idsKey.split(",") : [];
  const [ref, width] = useElementWidth<HTMLDivElement>(800);
  const [zoom, setZoom] = useState<StepRange | null>(null);
  const range = useDebounced(zoom, 300);
  const valid = ids.length >= 2 && ids.length <= 4;
  const variables = useMemo(() => {
    const ids = idsKey.split(",");
    return {
      a: ids[0] ?? "",
      b: ids[1] ?? "",
      c: ids[2] ?? ids[0] ?? "",
      d: ids[3] ?? ids[0] ?? "",
      withC: ids.length > 2,
      withD: ids.length > 3,
      maxPoints: Math.max(50, Math.min(2000, Math.round(width / 50) * 50)),
      fromStep: range?.from ?? null,
      toStep: range?.to ?? null,
    };
  }, [idsKey, width, range?.from, range?.to]);
  const [{ data, error, fetching }, refetch] = useQuery({ query: CompareQuery, variables, pause: !valid });

  const jobs: ComparedJob[] = useMemo(
    () =>
      data
        ? [data.a, data.b, data.c, data.d]
            .filter((job): job is NonNullable<typeof job> => Boolean(job))
            .map((job) => ({ ...job, series: Object.fromEntries(job.metricSeries.map((s) => [s.name, s.points])) }))
        : [],
    [data],
  );
  const rows = useMemo(() => compareRows(jobs), [jobs]);
  const series: ChartSeries[] = jobs.flatMap((job, i) => [
    { key: `${job.id}-train`, label: `${job.name} (training)`, color: RUN_COLORS[i], points: job.series.train_loss ?? [] },
    { key: `${job.id}-val`, label: `${job.name} (validation)`, color: RUN_COLORS[i], dashed: true, points: job.series.val_loss ?? [] },
  ]);

  if (!valid) {
    return (
      <section className="page">
        <h1>Compare runs</h1>
        <Empty title="Choose 2 to 4 jobs to compare">
          <p>
            Tick them in the <Link to="/jobs">jobs list</Link>, then press Compare.
          </p>
        </Empty>
      </section>
    );
  }

  const stamp = new Date().toISOString().slice(0, 10);
  return (
    <section className="page" aria-labelledby="compare-title">
      <div className="page-header">
        <h1 id="compare-title">Compare runs</h1>
        <div className="page-actions">
          <button type="button" className="button" disabled={!jobs.length} onClick={() => saveBlob(new Blob([toCsv(jobs, rows)], { type: "text/csv" }), `tuneloop-compare-${stamp}.csv`)}>
            Export CSV
          </button>
          <button
            type="button"
            className="button"
            disabled={!jobs.length}
            onClick={() => saveBlob(new Blob([JSON.stringify(toJson(jobs, rows), null, 2)], { type: "application/json" }), `tuneloop-compare-${stamp}.json`)}
          >
            Export JSON
          </button>
        </div>
      </div>
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!data && fetching && <Loading label="Loading the runs…" />}
      {jobs.length > 0 && (
        <>
          <section className="card chart-card" aria-labelledby="compare-chart-title">
            <h2 id="compare-chart-title">Loss curves</h2>
            <p className="muted small">Solid: training loss. Dashed: validation loss. One colour per run.</p>
            <div ref={ref} className="chart-slot">
              {series.some((s) => s.points.length) ? (
                <MetricChart title="Loss curves" series={series} width={width} zoom={zoom} onZoom={setZoom} height={320} />
              ) : (
                <p className="muted">None of these runs has reported a loss yet.</p>
              )}
            </div>
          </section>
          <div className="table-wrap">
            <table className="table compare-table">
              <caption className="visually-hidden">Side-by-side comparison; the best value of each result row is highlighted</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Measure</span>
                  </th>
                  {jobs.map((job, i) => (
                    <th scope="col" key={job.id}>
                      <span className="compare-swatch" style={{ background: RUN_COLORS[i] }} aria-hidden="true" />
                      <Link to={`/jobs/${job.id}`}>{job.name}</Link>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => {
                  const marks = highlighted(row);
                  return (
                    <tr key={row.label}>
                      <th scope="row">{row.label}</th>
                      {row.values.map((value, i) => (
                        <td key={jobs[i].id} className={marks[i] ? (row.mode === "min" ? "best" : "differs") : undefined}>
                          {row.label === "Status" ? <StatusBadge status={jobs[i].status} /> : row.format(value)}
                          {marks[i] && row.mode === "min" && <span className="visually-hidden"> (best)</span>}
                        </td>
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
