import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { BaseModelChoiceQuery } from "../../graphql/graphql";
import { formatBytes } from "../../format";
import { FieldMessage } from "../States";

export const BaseModelsQuery = graphql(`
  query BaseModelChoice($gpuType: String) {
    baseModels {
      id
      title
      source
      backend
      parameters
      contextLength
      defaults {
        maxSeqLength
        targetModules
        batchSize
        gradientAccumulationSteps
      }
      memory(gpuType: $gpuType) {
        weights
        requiredBytes
        fits
        isDefault
      }
    }
  }
`);

export type BaseModelInfo = BaseModelChoiceQuery["baseModels"][number];

const BACKENDS: Record<string, string> = {
  typescript: "the TypeScript engine (CPU, any machine)",
  python: "the python worker (transformers + peft on a GPU)",
};
const WEIGHTS: Record<string, string> = { BF16: "16-bit", INT8: "8-bit", NF4: "4-bit (QLoRA)" };
const parameters = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} billion` : `${(n / 1e6).toFixed(1)} million`);

/** The models a job can start from (built-in demo models, Hugging Face models), with what the choice implies. */
export function useBaseModels(gpuType: string) {
  const [result] = useQuery({ query: BaseModelsQuery, variables: { gpuType: gpuType || null } });
  return result.data?.baseModels ?? [];
}

type Props = { models: BaseModelInfo[]; value: string; gpuName: string | null; onChange(id: string): void; error?: string | null };

export function BaseModelChoice({ models, value, gpuName, onChange, error }: Props) {
  const chosen = models.find((m) => m.id === value) ?? models[0];
  const group = (source: string) => models.filter((m) => m.source === source);
  return (
    <div className="field">
      <label htmlFor="base-model">Base model</label>
      <select
        id="base-model"
        value={chosen?.id ?? ""}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={Boolean(error)}
        aria-describedby="base-model-message"
      >
        <optgroup label="Built-in demo models">
          {group("BUILT_IN").map((m) => (
            <option key={m.id} value={m.id}>
              {m.title}
            </option>
          ))}
        </optgroup>
        <optgroup label="Hugging Face (GPU)">
          {group("HUGGING_FACE").map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
            </option>
          ))}
        </optgroup>
      </select>
      <FieldMessage id="base-model-message" error={error}>
        The model the adapter is trained on; it decides which worker trains it and the memory it needs.
      </FieldMessage>
      {chosen && (
        <div className="base-model-facts" data-testid="base-model-facts" aria-live="polite">
          <p>
            {parameters(chosen.parameters)} parameters, context {chosen.contextLength.toLocaleString("en-US")} tokens. Trained by{" "}
            {BACKENDS[chosen.backend] ?? chosen.backend}.
          </p>
          <p>
            Starts from sequence length {chosen.defaults.maxSeqLength}, LoRA on {chosen.defaults.targetModules.join(", ")}, batch{" "}
            {chosen.defaults.batchSize}
            {chosen.defaults.gradientAccumulationSteps > 1 && ` × ${chosen.defaults.gradientAccumulationSteps} accumulation steps`}.
          </p>
          {chosen.memory.length > 0 && (
            <table className="base-model-memory">
              <caption>GPU memory needed{gpuName ? ` (${gpuName})` : ""}</caption>
              <thead>
                <tr>
                  <th scope="col">Weights</th>
                  <th scope="col">Memory</th>
                  <th scope="col">Fits</th>
                </tr>
              </thead>
              <tbody>
                {chosen.memory.map((m) => (
                  <tr key={m.weights}>
                    <th scope="row">
                      {WEIGHTS[m.weights] ?? m.weights}
                      {m.isDefault && " (used)"}
                    </th>
                    <td>{formatBytes(m.requiredBytes)}</td>
                    <td>{m.fits == null ? "–" : m.fits ? "fits" : "too large"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}
