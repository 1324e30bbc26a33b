import { useState } from "react";
import { LiveMetricChart } from "../../components/charts/LiveMetricChart";
import { MetricsTable, metricLabel } from "./MetricsTable";
import { useSession } from "../../session";
import { downloadWithToken } from "../../download";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";

type Job = Pick<JobDetailFieldsFragment, "id" | "status" | "isFinal" | "latestMetrics">;

export const LOSS_SERIES = [
  { name: "train_loss", label: "Training loss", color: "#2456d6" },
  { name: "val_loss", label: "Validation loss", color: "#d9480f", dashed: true },
];
export const LR_SERIES = [{ name: "learning_rate", label: "Learning rate", color: "#0b7a75" }];

/**
 * The resource chart: GPU utilisation (or, where the device cannot tell it, GPU memory) from a GPU worker;
 * the process's CPU from a worker without a GPU, named as such. Null until the trainer reports one.
 */
export function resourceChart(names: Set<string>) {
  const chart = (name: string, color: string) => ({ title: metricLabel(name), series: [{ name, label: metricLabel(name), color }] });
  if (names.has("gpu_utilization_pct")) return chart("gpu_utilization_pct", "#7048e8");
  if (names.has("gpu_memory_used_mb")) return chart("gpu_memory_used_mb", "#7048e8");
  if (names.has("cpu_percent")) return chart("cpu_percent", "#868e96");
  return null;
}

/** Live loss and learning-rate curves, the latest value of every metric, and the exports. */
export function JobMetrics({ job }: { job: Job }) {
  const { token } = useSession();
  const [exportError, setExportError] = useState<string | null>(null);
  const live = !job.isFinal;
  const resources = resourceChart(new Set(job.latestMetrics.map((p) => p.name)));
  const empty = job.status === "PENDING" || job.status === "QUEUED" ? "The curves start when training does." : "No points reported yet.";

  const exportAs = async (file: "metrics.csv" | "metrics.json") => {
    setExportError(null);
    try {
      await downloadWithToken(`/api/jobs/${job.id}/${file}`, token, `job-${job.id}-${file}`);
    } catch (e) {
      setExportError((e as Error).message);
    }
  };

  return (
    <section className="card chart-card" aria-labelledby="metrics-title">
      <h2 id="metrics-title">
        Metrics
        <span className="chart-tools">
          <button type="button" className="button" onClick={() => exportAs("metrics.csv")}>
            Export CSV
          </button>
          <button type="button" className="button" onClick={() => exportAs("metrics.json")}>
            Export JSON
          </button>
        </span>
      </h2>
      {exportError && (
        <p className="field-error" role="alert">
          {exportError}
        </p>
      )}
      <h3>Loss</h3>
      <LiveMetricChart jobId={job.id} title="Loss" series={LOSS_SERIES} live={live} empty={empty} />
      <h3>Learning rate</h3>
      <LiveMetricChart jobId={job.id} title="Learning rate" series={LR_SERIES} live={live} empty={empty} />
      {resources && (
        <>
          <h3>{resources.title}</h3>
          <LiveMetricChart jobId={job.id} title={resources.title} series={resources.series} live={live} empty={empty} />
        </>
      )}
      <h3>Latest values</h3>
      <MetricsTable points={job.latestMetrics} />
    </section>
  );
}
