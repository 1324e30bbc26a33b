import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { Preset, PricingTier } from "../../graphql/graphql";
import { humanize } from "../../format";

const TemplatesQuery = graphql(`
  query Templates {
    templates {
      id
      name
      description
      preset
      config
      gpuType
      pricingTier
      notes
      dataset {
        id
      }
      createdBy {
        name
      }
    }
  }
`);

export type TemplateChoice = {
  id: string;
  name: string;
  preset: Preset;
  config: unknown;
  gpuType?: string | null;
  pricingTier?: PricingTier | null;
  notes?: string | null;
  dataset?: { id: string } | null;
};

/** Start from a saved configuration: it fills the preset and advanced settings. */
export function TemplatePicker({ value, onPick }: { value: string; onPick(template: TemplateChoice | null): void }) {
  const [{ data, error }] = useQuery({ query: TemplatesQuery });
  if (error || !data || data.templates.length === 0) return null;
  const current = data.templates.find((t) => t.id === value);
  return (
    <div className="field template-picker">
      <label htmlFor="template">Start from a template</label>
      <select
        id="template"
        value={value}
        onChange={(e) => onPick(data.templates.find((t) => t.id === e.target.value) ?? null)}
        aria-describedby="template-help"
      >
        <option value="">No template</option>
        {data.templates.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name} ({humanize(t.preset)})
          </option>
        ))}
      </select>
      <p id="template-help" className="field-help">
        {current
          ? current.description || `Saved by ${current.createdBy.name}.`
          : "A template fills in the preset, advanced settings, dataset, GPU, pricing and notes; you can still change them."}
      </p>
    </div>
  );
}
