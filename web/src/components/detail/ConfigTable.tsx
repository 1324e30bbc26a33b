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
};

export const configLabel = (key: string) => LABELS[key] ?? key;

export function formatConfigValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "number") return formatMetric(value);
  if (value == null) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The resolved hyperparameters the trainer runs with. */
export function ConfigTable({ config }: { config: Record<string, unknown> }) {
  return (
    <table className="table table-compact">
      <caption className="visually-hidden">Hyperparameters</caption>
      <tbody>
        {Object.entries(config).map(([key, value]) => (
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
