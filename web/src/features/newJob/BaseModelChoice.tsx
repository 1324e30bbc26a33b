import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { BaseModelFactsFragment } from "../../graphql/graphql";
import { formatBytes } from "../../format";
import { FieldMessage } from "../../components/States";

export const BaseModelFacts = graphql(`
  fragment BaseModelFacts on BaseModel {
    id
    title
    source
    backend
    parameters
    parametersSource
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
`);

export const BaseModelsQuery = graphql(`
  query BaseModelChoice($gpuType: String) {
    baseModels {
      ...BaseModelFacts
    }
  }
`);

// Any other Hugging Face model, sized by the size in its name or the one given.
const HubModelQuery = graphql(`
  query HubModelChoice($id: String!, $parameters: Float, $gpuType: String) {
    baseModel(id: $id, parameters: $parameters) {
      ...BaseModelFacts
    }
  }
`);

export type BaseModelInfo = BaseModelFactsFragment;

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

/**
 * The chosen model: a known one, or (for any other id) the server's sizing of it, with its error
 * (a malformed id, a size it cannot read from the name) as `problem`.
 */
export function useChosenBaseModel(models: BaseModelInfo[], id: string, parametersText: string, gpuType: string) {
  const known = models.find((m) => m.id === id) ?? (id ? undefined : models[0]);
  const parameters = Number(parametersText);
  const [result] = useQuery({
    query: HubModelQuery,
    variables: { id, parameters: parametersText.trim() && Number.isFinite(parameters) ? parameters : null, gpuType: gpuType || null },
    pause: Boolean(known) || !id,
  });
  const problem = known ? undefined : result.error?.graphQLErrors[0];
  return {
    model: known ?? result.data?.baseModel ?? null,
    problem: problem ? { message: problem.message, field: String(problem.extensions.field ?? "config.baseModel") } : null,
  };
}

type Props = {
  models: BaseModelInfo[];
  /** The model chosen (null while an unknown id is being sized or cannot be). */
  chosen: BaseModelInfo | null;
  value: string;
  parameters: string;
  gpuName: string | null;
  onChange(id: string): void;
  onParameters(text: string): void;
  error?: string | null;
  parametersError?: string | null;
};

const SIZE_SOURCES: Record<string, string> = {
  MODEL_NAME: "read from the model's name",
  GIVEN: "as you gave it",
};

export function BaseModelChoice({
  models,
  chosen,
  value,
  parameters: parametersText,
  gpuName,
  onChange,
  onParameters,
  error,
  parametersError,
}: Props) {
  const custom = Boolean(value) && !models.some((m) => m.id === value);
  return (
    <div className="field">
      <label htmlFor="base-model">Base model</label>
      <input
        id="base-model"
        list="base-model-suggestions"
        value={value}
        placeholder={models[0]?.id}
        onChange={(e) => onChange(e.target.value.trim())}
        spellCheck={false}
        aria-invalid={Boolean(error)}
        aria-describedby="base-model-message"
      />
      <datalist id="base-model-suggestions">
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.source === "BUILT_IN" ? m.title : `${m.title} (Hugging Face, GPU)`}
          </option>
        ))}
      </datalist>
      <FieldMessage id="base-model-message" error={error}>
        The model the adapter is trained on: a suggestion, or any Hugging Face model id (owner/name). It decides which worker trains it and
        the memory it needs.
      </FieldMessage>
      {custom && (
        <div className="field">
          <label htmlFor="base-model-parameters">Model size (billions of parameters)</label>
          <input
            id="base-model-parameters"
            inputMode="decimal"
            value={parametersText}
            placeholder={chosen?.parametersSource === "MODEL_NAME" ? String(chosen.parameters / 1e9) : "e.g. 7"}
            onChange={(e) => onParameters(e.target.value)}
            aria-invalid={Boolean(parametersError)}
            aria-describedby="base-model-parameters-message"
          />
          <FieldMessage id="base-model-parameters-message" error={parametersError}>
            Tuneloop cannot read the model's files: it sizes the GPU memory, the estimate and the defaults from this. Leave it empty when
            the name says the size (e.g. -7B).
          </FieldMessage>
        </div>
      )}
      {chosen && (
        <div className="base-model-facts" data-testid="base-model-facts" aria-live="polite">
          <p>
            {parameters(chosen.parameters)} parameters
            {SIZE_SOURCES[chosen.parametersSource] && ` (${SIZE_SOURCES[chosen.parametersSource]})`}, context{" "}
            {chosen.contextLength.toLocaleString("en-US")} tokens. Trained by {BACKENDS[chosen.backend] ?? chosen.backend}.
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
