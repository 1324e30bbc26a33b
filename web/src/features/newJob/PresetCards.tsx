import type { Preset } from "../../graphql/graphql";
import { formatMetric } from "../../format";

export type PresetInfo = {
  id: Preset;
  title: string;
  explanation: string;
  rank: number;
  alpha: number;
  learningRate: number;
  epochs: number;
  isDefault: boolean;
};

/** The presets as a radio group of cards, each with what it is for. */
export function PresetCards({ presets, value, onChange }: { presets: PresetInfo[]; value: Preset; onChange(preset: Preset): void }) {
  return (
    <fieldset className="choice-grid">
      <legend>Preset</legend>
      {presets.map((preset) => (
        <label key={preset.id} className={`choice-card ${value === preset.id ? "choice-card-selected" : ""}`}>
          <input type="radio" name="preset" value={preset.id} checked={value === preset.id} onChange={() => onChange(preset.id)} />
          <span className="choice-title">
            {preset.title}
            {preset.isDefault && <span className="badge badge-neutral">Recommended</span>}
          </span>
          <span className="choice-facts">
            r={preset.rank} · α={preset.alpha} · lr={formatMetric(preset.learningRate)} · {preset.epochs} epochs
          </span>
          <span className="choice-text">{preset.explanation}</span>
        </label>
      ))}
    </fieldset>
  );
}
