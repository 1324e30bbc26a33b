import { formatCount, formatMetric } from "../../format";

type Point = { name: string; step: number; value: number; epoch?: number | null };

const ORDER = [
  "train_loss",
  "val_loss",
  "perplexity",
  "learning_rate",
  "grad_norm",
  "tokens_per_sec",
  "samples_per_sec",
  "gpu_utilization_pct",
  "gpu_memory_used_mb",
  "gpu_memory_total_mb",
  "gpu_memory_allocated_mb",
  "cpu_percent",
  "memory_mb",
  "epoch",
  "eta_seconds",
];
const LABELS: Record<string, string> = {
  train_loss: "Training loss",
  val_loss: "Validation loss",
  perplexity: "Perplexity",
  learning_rate: "Learning rate",
  grad_norm: "Gradient norm",
  tokens_per_sec: "Tokens / second",
  samples_per_sec: "Samples / second",
  memory_mb: "Trainer process memory, RSS (MB)",
  cpu_percent: "Trainer process CPU (% of one core)",
  gpu_utilization_pct: "GPU utilisation (%)",
  gpu_memory_used_mb: "GPU memory used (MB)",
  gpu_memory_total_mb: "GPU memory total (MB)",
  gpu_memory_allocated_mb: "GPU memory allocated by training, peak (MB)",
  eta_seconds: "Trainer's ETA (s)",
  epoch: "Epoch",
};

export const metricLabel = (name: string) => LABELS[name] ?? name;
const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);

/** The latest value of every series the trainer reports. */
export function MetricsTable({ points }: { points: Point[] }) {
  if (points.length === 0) return <p className="muted">No metrics reported yet.</p>;
  const sorted = [...points].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  return (
    <table className="table table-compact">
      <caption className="visually-hidden">Latest metrics</caption>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col" className="num">
            Latest
          </th>
          <th scope="col" className="num">
            At step
          </th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((p) => (
          <tr key={p.name}>
            <th scope="row">{metricLabel(p.name)}</th>
            <td className="num">{formatMetric(p.value)}</td>
            <td className="num">{formatCount(p.step)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
