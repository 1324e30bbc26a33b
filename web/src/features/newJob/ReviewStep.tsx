import type { JobFormState } from "./jobForm";
import { parseTags } from "./jobForm";
import { configLabel, formatConfigValue } from "../jobDetail/ConfigTable";
import { EstimateFigures, type EstimateState } from "./EstimatePanel";
import { humanize } from "../../format";

type Props = {
  form: JobFormState;
  datasetName: string;
  gpuName: string;
  overrides: Record<string, unknown>;
  estimate: EstimateState["estimate"];
};

/** Everything the job will run with, read back before it starts. */
export function ReviewStep({ form, datasetName, gpuName, overrides, estimate }: Props) {
  const changed = Object.entries(overrides);
  return (
    <div className="review">
      <dl className="review-list">
        <div>
          <dt>Name</dt>
          <dd>{form.name}</dd>
        </div>
        {form.description.trim() && (
          <div>
            <dt>Description</dt>
            <dd>{form.description}</dd>
          </div>
        )}
        <div>
          <dt>Dataset</dt>
          <dd>{datasetName}</dd>
        </div>
        <div>
          <dt>Preset</dt>
          <dd>{humanize(form.preset)}</dd>
        </div>
        <div>
          <dt>Settings set here or by the template (the preset decides the rest)</dt>
          <dd>
            {changed.length === 0 ? (
              "None"
            ) : (
              <ul className="plain-list">
                {changed.map(([key, value]) => (
                  <li key={key}>
                    {configLabel(key)}: <code>{formatConfigValue(value)}</code>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
        <div>
          <dt>Compute</dt>
          <dd>
            {gpuName}, {form.pricingTier === "SPOT" ? "spot (interruptible, resumes from checkpoints)" : "on-demand (never interrupted)"}
            {form.pricingTier === "SPOT" &&
              form.onDemandFallback &&
              (form.onDemandAfterPreemptions.trim()
                ? `; on-demand after ${form.onDemandAfterPreemptions.trim()} preemptions`
                : "; on-demand when no spot is left")}
          </dd>
        </div>
        {parseTags(form.tags).length > 0 && (
          <div>
            <dt>Tags</dt>
            <dd>{parseTags(form.tags).join(", ")}</dd>
          </div>
        )}
        {form.clientName.trim() && (
          <div>
            <dt>Client</dt>
            <dd>{form.clientName}</dd>
          </div>
        )}
        {form.notes.trim() && (
          <div>
            <dt>Notes</dt>
            <dd className="pre-wrap">{form.notes}</dd>
          </div>
        )}
      </dl>
      {estimate && (
        <div className="review-estimate">
          <h3>Expected cost and duration</h3>
          <EstimateFigures estimate={estimate} />
        </div>
      )}
    </div>
  );
}
