import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { DatasetOptionsQuery, DatasetPicker } from "../datasets/DatasetPicker";
import { PresetCards } from "./PresetCards";
import { ComputeChoice } from "./ComputeChoice";
import { ComputeQuote } from "./ComputeQuote";
import { AdvancedOptions } from "./AdvancedOptions";
import { BaseModelChoice, useBaseModels, useChosenBaseModel } from "./BaseModelChoice";
import { EstimatePanel, useEstimate } from "./EstimatePanel";
import { ReviewStep } from "./ReviewStep";
import { TemplatePicker } from "./TemplatePicker";
import { ADVANCED_FIELDS, applyTemplate, emptyForm, parseOverrides, settingsOf, toCreateInput, type JobFormState } from "./jobForm";
import { ErrorMessage, FieldMessage, Loading } from "../../components/States";
import { appErrorOf, describeError, errorFor, type FieldError } from "../../errors";
import { usePageTitle } from "../../hooks/usePageTitle";
import { useMe } from "../../components/Layout";

const NewJobOptions = graphql(`
  query NewJobOptions {
    presets {
      id
      title
      explanation
      rank
      alpha
      learningRate
      epochs
      isDefault
    }
    gpuTypes {
      id
      name
      memoryGb
      spotUsdPerHour
      onDemandUsdPerHour
      spotInterruptionsPerHour
    }
  }
`);

const CreateJob = graphql(`
  mutation CreateJob($input: CreateTrainingJobInput!) {
    createTrainingJob(input: $input) {
      __typename
      ...AppErrorFields
      ... on CreateTrainingJobSuccess {
        data {
          id
          status
        }
      }
    }
  }
`);

/** Form fields in page order, to focus the first one the server or the form rejected. */
const FIELD_IDS: Record<string, string> = {
  name: "job-name",
  description: "job-description",
  notes: "job-notes",
  tags: "job-tags",
  clientName: "job-client",
  datasetId: "dataset",
  baseModel: "base-model",
  baseModelParameters: "base-model-parameters",
  gpuType: "gpu-type",
  onDemandAfterPreemptions: "on-demand-after",
};

export function NewJobPage() {
  usePageTitle("New job");
  const navigate = useNavigate();
  const [options, refetchOptions] = useQuery({ query: NewJobOptions, requestPolicy: "cache-first" });
  const [datasets] = useQuery({ query: DatasetOptionsQuery });
  const [form, setForm] = useState<JobFormState>(emptyForm);
  const [templateId, setTemplateId] = useState("");
  const [step, setStep] = useState<"edit" | "review">("edit");
  const [error, setError] = useState<FieldError | null>(null);
  const [created, create] = useMutation(CreateJob);
  const [overrideReason, setOverrideReason] = useState("");
  const me = useMe();
  const headingRef = useRef<HTMLHeadingElement>(null);

  const set = <K extends keyof JobFormState>(key: K, value: JobFormState[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setError((current) => (current && errorFor(current, key as string) ? null : current));
  };

  const { overrides, errors: overrideErrors } = useMemo(() => parseOverrides(form), [form]);
  const hasOverrideErrors = Object.keys(overrideErrors).length > 0;
  const settings = form.datasetId && !hasOverrideErrors ? settingsOf(form, overrides) : null;
  const estimate = useEstimate(settings);

  const gpus = options.data?.gpuTypes ?? [];
  const presets = options.data?.presets ?? [];
  const preset = presets.find((p) => p.id === (form.preset === "CUSTOM" ? "BALANCED" : form.preset));
  const dataset = datasets.data?.datasets.edges.find((e) => e.node.id === form.datasetId)?.node;
  const gpu = gpus.find((g) => g.id === form.gpuType) ?? gpus[0];
  const baseModels = useBaseModels(gpu?.id ?? "");
  const { model: baseModel, problem: baseModelProblem } = useChosenBaseModel(
    baseModels,
    form.baseModel,
    form.baseModelParameters,
    gpu?.id ?? "",
  );

  // The review step and the form share the page: move focus to the new heading.
  useEffect(() => headingRef.current?.focus(), [step]);

  /** The first problem the form can see by itself, before asking the server. */
  function checkLocally(): FieldError | null {
    if (!form.name.trim()) return { code: "VALIDATION", message: "Give the job a name", field: "name" };
    if (!form.datasetId) return { code: "VALIDATION", message: "Choose a dataset, or upload one", field: "datasetId" };
    if (dataset?.status === "INVALID")
      return {
        code: "DATASET_INVALID",
        message: "This dataset failed validation: fix the lines listed below and upload it again",
        field: "datasetId",
      };
    const [key, message] = Object.entries(overrideErrors)[0] ?? [];
    if (key) return { code: "VALIDATION", message: message!, field: `config.${key}` };
    const after = form.onDemandAfterPreemptions.trim();
    if (form.pricingTier === "SPOT" && form.onDemandFallback && after && !/^[1-9]\d*$/.test(after)) {
      return {
        code: "VALIDATION",
        message: "Preemptions before on-demand must be a whole number of at least 1",
        field: "onDemandAfterPreemptions",
      };
    }
    if (estimate.error && estimate.errorField)
      return { code: "VALIDATION", message: describeError(estimate.error)!, field: estimate.errorField };
    return null;
  }

  function showError(problem: FieldError) {
    setError(problem);
    const field = problem.field?.replace(/^(config|settings)\./, "") ?? "";
    // A problem with a form field sends the user back to it; others (budget, approval) are answered on the review.
    if (!FIELD_IDS[field] && !problem.field?.startsWith("config")) return;
    setStep("edit");
    requestAnimationFrame(() => {
      const element = document.getElementById(FIELD_IDS[field] ?? "") ?? document.querySelector<HTMLElement>(`[name="${field}"]`);
      element?.focus();
    });
  }

  function review(event: FormEvent) {
    event.preventDefault();
    const problem = checkLocally();
    if (problem) return showError(problem);
    setError(null);
    setStep("review");
  }

  async function submit(start: boolean) {
    const input = {
      ...toCreateInput(form, overrides, start),
      ...(overrideReason.trim() && { budgetOverrideReason: overrideReason.trim() }),
      ...(templateId && { templateId }),
    };
    const response = await create({ input });
    const result = response.data?.createTrainingJob;
    const appError = appErrorOf(result);
    if (appError) return showError(appError);
    if (result?.__typename === "CreateTrainingJobSuccess") return navigate(`/jobs/${result.data.id}`);
    setError({ code: "NETWORK", message: describeError(response.error) ?? "The job could not be created. Try again.", field: null });
  }

  if (options.error) return <ErrorMessage error={options.error} retry={() => refetchOptions({ requestPolicy: "network-only" })} />;
  if (!options.data) return <Loading label="Loading presets and GPUs…" />;

  const fieldError = (...fields: string[]) => errorFor(error, ...fields);
  // An advanced field's problem: not a number (here), or out of range (the server, on estimate or create).
  const advancedError = (key: string) =>
    overrideErrors[key] ?? fieldError(key) ?? (estimate.errorField === `config.${key}` ? describeError(estimate.error ?? null) : null);
  const generalError =
    error && !error.field
      ? error.message
      : error?.field && !FIELD_IDS[error.field] && !error.field.startsWith("config")
        ? error.message
        : null;

  if (step === "review") {
    return (
      <section className="page page-narrow" aria-labelledby="new-job-title">
        <h1 id="new-job-title" ref={headingRef} tabIndex={-1}>
          Review and start
        </h1>
        <div className="card">
          <ReviewStep
            form={form}
            datasetName={dataset?.name ?? ""}
            gpuName={gpu?.name ?? ""}
            overrides={overrides}
            estimate={estimate.estimate}
          />
          {error && (
            <p className="field-error" role="alert" id="review-error">
              {error.message}
            </p>
          )}
          {error?.field === "budgetOverrideReason" && me?.permissions.canManage && (
            <div className="field">
              <label htmlFor="budget-override">Why this job may go over the budget</label>
              <textarea
                id="budget-override"
                rows={2}
                value={overrideReason}
                onChange={(e) => setOverrideReason(e.target.value)}
                aria-describedby="budget-override-help"
              />
              <p id="budget-override-help" className="field-help">
                As an owner you can let it through; the reason is recorded with the job.
              </p>
            </div>
          )}
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setStep("edit")}>
              Back to edit
            </button>
            <button type="button" className="button" disabled={created.fetching} onClick={() => submit(false)}>
              Save as draft
            </button>
            <button type="button" className="button button-primary" disabled={created.fetching} onClick={() => submit(true)}>
              {created.fetching ? "Starting…" : "Start training"}
            </button>
          </div>
        </div>
      </section>
    );
  }

  return (
    <section className="page" aria-labelledby="new-job-title">
      <h1 id="new-job-title" ref={headingRef} tabIndex={-1}>
        New training job
      </h1>
      <form className="new-job" onSubmit={review} noValidate>
        <div className="new-job-main">
          <section className="card" aria-labelledby="section-data">
            <h2 id="section-data">1. Data</h2>
            <TemplatePicker
              value={templateId}
              onPick={(template) => {
                setTemplateId(template?.id ?? "");
                setForm((current) =>
                  template
                    ? applyTemplate(current, template)
                    : { ...current, preset: "BALANCED", advanced: {}, targetModules: null, extraOverrides: {} },
                );
              }}
            />
            <DatasetPicker value={form.datasetId} onChange={(id) => set("datasetId", id)} error={fieldError("datasetId")} />
          </section>

          <section className="card" aria-labelledby="section-settings">
            <h2 id="section-settings">2. Training settings</h2>
            <BaseModelChoice
              models={baseModels}
              chosen={baseModel}
              value={form.baseModel}
              parameters={form.baseModelParameters}
              gpuName={gpu?.name ?? null}
              onChange={(id) => set("baseModel", id)}
              onParameters={(text) => set("baseModelParameters", text)}
              error={fieldError("baseModel") ?? (baseModelProblem?.field === "config.baseModel" ? baseModelProblem.message : null)}
              parametersError={
                overrideErrors.baseModelParameters ??
                fieldError("baseModelParameters") ??
                (baseModelProblem && baseModelProblem.field !== "config.baseModel" ? baseModelProblem.message : null)
              }
            />
            <PresetCards presets={presets} value={form.preset} onChange={(p) => set("preset", p)} />
            <AdvancedOptions
              values={form.advanced}
              defaults={{
                ...baseModel?.defaults,
                ...(preset && { rank: preset.rank, alpha: preset.alpha, learningRate: preset.learningRate, epochs: preset.epochs }),
              }}
              targetModules={form.targetModules}
              errors={Object.fromEntries([...ADVANCED_FIELDS.map((f) => f.key), "targetModules"].map((key) => [key, advancedError(key)]))}
              onChange={(key, value) => set("advanced", { ...form.advanced, [key]: value })}
              onTargetModules={(modules) => set("targetModules", modules)}
            />
          </section>

          <section className="card" aria-labelledby="section-compute">
            <h2 id="section-compute">3. Compute</h2>
            <ComputeChoice
              gpus={gpus}
              gpuType={form.gpuType || gpus[0]?.id || ""}
              tier={form.pricingTier}
              onGpu={(id) => set("gpuType", id)}
              onTier={(tier) => set("pricingTier", tier)}
              gpuError={fieldError("gpuType")}
              fallback={{
                allowed: form.onDemandFallback,
                afterPreemptions: form.onDemandAfterPreemptions,
                error: fieldError("onDemandAfterPreemptions"),
              }}
              onFallback={(allowed, after) =>
                setForm((current) => ({ ...current, onDemandFallback: allowed, onDemandAfterPreemptions: after }))
              }
            />
            <ComputeQuote settings={settings} />
          </section>

          <section className="card" aria-labelledby="section-details">
            <h2 id="section-details">4. Details</h2>
            <div className="field">
              <label htmlFor="job-name">Name</label>
              <input
                id="job-name"
                value={form.name}
                onChange={(e) => set("name", e.target.value)}
                aria-invalid={Boolean(fieldError("name"))}
                aria-describedby="job-name-message"
                required
              />
              <FieldMessage id="job-name-message" error={fieldError("name")}>
                Something you will recognise in the list, e.g. "Support bot v3 – finance".
              </FieldMessage>
            </div>
            <div className="field">
              <label htmlFor="job-description">Description</label>
              <textarea
                id="job-description"
                rows={2}
                value={form.description}
                onChange={(e) => set("description", e.target.value)}
                aria-invalid={Boolean(fieldError("description"))}
                aria-describedby="job-description-message"
              />
              <FieldMessage id="job-description-message" error={fieldError("description")}>
                What this run is for.
              </FieldMessage>
            </div>
            <div className="form-grid">
              <div className="field">
                <label htmlFor="job-tags">Tags</label>
                <input
                  id="job-tags"
                  value={form.tags}
                  onChange={(e) => set("tags", e.target.value)}
                  aria-invalid={Boolean(fieldError("tags"))}
                  aria-describedby="job-tags-message"
                />
                <FieldMessage id="job-tags-message" error={fieldError("tags")}>
                  Comma-separated, e.g. "finance, experiment". Filter the job list by them.
                </FieldMessage>
              </div>
              <div className="field">
                <label htmlFor="job-client">Client</label>
                <input
                  id="job-client"
                  value={form.clientName}
                  onChange={(e) => set("clientName", e.target.value)}
                  aria-invalid={Boolean(fieldError("clientName"))}
                  aria-describedby="job-client-message"
                />
                <FieldMessage id="job-client-message" error={fieldError("clientName")}>
                  Who the work is for (optional), for attribution and invoices.
                </FieldMessage>
              </div>
            </div>
            <div className="field">
              <label htmlFor="job-notes">Notes</label>
              <textarea
                id="job-notes"
                rows={3}
                value={form.notes}
                onChange={(e) => set("notes", e.target.value)}
                aria-invalid={Boolean(fieldError("notes"))}
                aria-describedby="job-notes-message"
              />
              <FieldMessage id="job-notes-message" error={fieldError("notes")}>
                Anything worth remembering about this run; searchable from the job list.
              </FieldMessage>
            </div>
          </section>
        </div>
        <div className="new-job-side">
          <EstimatePanel state={estimate} hasSettings={Boolean(settings)} />
          {generalError && (
            <p className="field-error" role="alert">
              {generalError}
            </p>
          )}
          <button type="submit" className="button button-primary button-block">
            Review
          </button>
        </div>
      </form>
    </section>
  );
}
