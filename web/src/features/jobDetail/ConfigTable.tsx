import { ADVANCED_FIELDS } from "../newJob/jobForm";
import { formatMetric } from "../../format";

const LABELS: Record<string, string> = {
  ...Object.fromEntries(ADVANCED_FIELDS.map((f) => [f.key, f.label])),
  targetModules: "Target modules",
  baseModel: "Base model",
  preset: "Preset",
  gpuType: "GPU",
  pricingTier: "Pricing",
  datasetId: "Dataset",
  backend: "Trainer",
  maxDurationSeconds: "Time limit (s)",
  effectiveBatch: "Effective batch (batch size × accumulation)",
  quantization: "Base model loading",
};

export const configLabel = (key: string) => LABELS[key] ?? key;

/** Examples per optimizer step: what the learning dynamics depend on (null when the config has no batch size). */
export function effectiveBatch(config: Record<string, unknown>): number | null {
  return typeof config.batchSize === "number"
    ? config.batchSize * (typeof config.gradientAccumulationSteps === "number" ? config.gradientAccumulationSteps : 1)
    : null;
}

export function formatConfigValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "number") return formatMetric(value);
  if (value == null) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The resolved hyperparameters the trainer runs with, and the effective batch they make. */
export function ConfigTable({ config }: { config: Record<string, unknown> }) {
  const effective = effectiveBatch(config);
  const rows: [string, unknown][] = Object.entries(config);
  if (effective !== null) rows.splice(rows.findIndex(([key]) => key === "batchSize") + 1, 0, ["effectiveBatch", effective]);
  return (
    <table className="table table-compact">
      <caption className="visually-hidden">Hyperparameters</caption>
      <tbody>
        {rows.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{configLabel(key)}</th>
            <td>
              <code>{formatConfigValue(value)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
