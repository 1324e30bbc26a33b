import { Fragment, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { MetricChart, type ChartSeries, type StepRange } from "../../components/charts/MetricChart";
import { compareRows, highlighted, toCsv, toJson, toPdfRequest } from "./compareRows";
import { useComparedRun } from "./useComparedRun";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { useElementWidth } from "../../hooks/useElementWidth";
import { usePageTitle } from "../../hooks/usePageTitle";
import { downloadWithToken, saveBlob } from "../../download";
import { useSession } from "../../session";

export const RUN_COLORS = ["#2456d6", "#d9480f", "#2b8a3e", "#862e9c"];

export function ComparePage() {
  usePageTitle("Compare runs");
  const [search] = useSearchParams();
  const idsKey = [...new Set((search.get("ids") ?? "").split(",").filter(Boolean))].join(",");
  const ids = idsKey ? idsKey.split(",") : [];
  const [ref, width] = useElementWidth<HTMLDivElement>(800);
  const [zoom, setZoom] = useState<StepRange | null>(null);
  const [pdfError, setPdfError] = useState<string | null>(null);
  const { token } = useSession();
  const valid = ids.length >= 2 && ids.length <= 4;
  // Hooks run the same number of times on every render: one slot per possible run, the unused ones idle.
  const slot = (i: number) => (valid ? ids[i] : undefined);
  const options = { maxPoints: width, zoom };
  const runs = [
    useComparedRun(slot(0), options),
    useComparedRun(slot(1), options),
    useComparedRun(slot(2), options),
    useComparedRun(slot(3), options),
  ].slice(0, ids.length);
  const error = runs.find((run) => run.error)?.error;
  const loaded = runs.flatMap((run) => (run.job ? [run.job] : []));
  // The table and chart wait for every run, so that columns and colours do not shift.
  const jobs = loaded.length === runs.length ? loaded : [];
  const rows = compareRows(jobs);
  const series: ChartSeries[] = jobs.flatMap((job, i) => [
    { key: `${job.id}-train`, label: `${job.name} (training)`, color: RUN_COLORS[i], points: runs[i].shown.train_loss ?? [] },
    { key: `${job.id}-val`, label: `${job.name} (validation)`, color: RUN_COLORS[i], dashed: true, points: runs[i].shown.val_loss ?? [] },
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
  const exportPdf = async () => {
    setPdfError(null);
    try {
      await downloadWithToken("/api/compare/report.pdf", token, `tuneloop-compare-${stamp}.pdf`, toPdfRequest(jobs, rows));
    } catch (e) {
      setPdfError((e as Error).message);
    }
  };
  return (
    <section className="page" aria-labelledby="compare-title">
      <div className="page-header">
        <h1 id="compare-title">Compare runs</h1>
        <div className="page-actions">
          <button
            type="button"
            className="button"
            disabled={!jobs.length}
            onClick={() => saveBlob(new Blob([toCsv(jobs, rows)], { type: "text/csv" }), `tuneloop-compare-${stamp}.csv`)}
          >
            Export CSV
          </button>
          <button
            type="button"
            className="button"
            disabled={!jobs.length}
            onClick={() =>
              saveBlob(
                new Blob([JSON.stringify(toJson(jobs, rows), null, 2)], { type: "application/json" }),
                `tuneloop-compare-${stamp}.json`,
              )
            }
          >
            Export JSON
          </button>
          <button type="button" className="button" disabled={!jobs.length} onClick={exportPdf}>
            Export PDF
          </button>
        </div>
      </div>
      {pdfError && (
        <p className="field-error" role="alert">
          {pdfError}
        </p>
      )}
      {error && <ErrorMessage error={error} retry={() => runs.forEach((run) => run.retry())} />}
      {!error && !jobs.length && <Loading label="Loading the runs…" />}
      {jobs.length > 0 && (
        <>
          <section className="card chart-card" aria-labelledby="compare-chart-title">
            <h2 id="compare-chart-title">Loss curves</h2>
            <p className="muted small">Solid: training loss. Dashed: validation loss. One colour per run.</p>
            <div ref={ref} className="chart-slot" data-testid="compare-chart" data-points={series.reduce((n, s) => n + s.points.length, 0)}>
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
                {rows.map((row, index) => {
                  const marks = highlighted(row);
                  const best = row.mode === "min" || row.mode === "max";
                  return (
                    <Fragment key={row.label}>
                      {row.section !== rows[index - 1]?.section && (
                        <tr className="compare-section">
                          <th scope="rowgroup" colSpan={jobs.length + 1}>
                            {row.section}
                          </th>
                        </tr>
                      )}
                      <tr>
                        <th scope="row">{row.label}</th>
                        {row.values.map((value, i) => (
                          <td key={jobs[i].id} className={marks[i] ? (best ? "best" : "differs") : undefined}>
                            {row.label === "Status" ? <StatusBadge status={jobs[i].status} /> : row.format(value)}
                            {marks[i] && best && <span className="visually-hidden"> (best)</span>}
                          </td>
                        ))}
                      </tr>
                    </Fragment>
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
