import { useMemo, useState } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import type { RetryOverrides } from "../../graphql/graphql";
import { Dialog } from "../../components/Dialog";
import { FieldMessage } from "../../components/States";
import { ADVANCED_FIELDS } from "../newJob/jobForm";
import { configLabel, formatConfigValue } from "./ConfigTable";
import { SettingsDiff } from "./SettingsDiff";
import { appErrorOf, describeError, errorFor, type FieldError } from "../../errors";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";

const RetryJob = graphql(`
  mutation RetryJob($id: ID!, $overrides: RetryOverrides, $applySuggestedFix: Boolean) {
    retryTrainingJob(id: $id, overrides: $overrides, applySuggestedFix: $applySuggestedFix) {
      __typename
      ...AppErrorFields
      ... on RetryTrainingJobSuccess {
        data {
          id
        }
      }
    }
  }
`);

export type ConfigChange = { field: string; from?: unknown; to?: unknown };
export type FailureGuidance = { errorType: string; explanation: string; suggestedChanges: ConfigChange[] };

type Props = {
  job: Pick<JobDetailFieldsFragment, "id" | "name" | "errorMessage" | "config">;
  /** Why the job failed and the fix the server suggests (failed jobs only). */
  guidance?: FailureGuidance | null;
  open: boolean;
  onClose(): void;
};

/** Every change the retry makes: the suggested fix (if applied) under the user's own edits, which win. */
export function plannedChanges(config: Record<string, unknown>, suggested: ConfigChange[], edits: Record<string, unknown>): ConfigChange[] {
  const changes = new Map<string, ConfigChange>(suggested.map((c) => [c.field, c]));
  for (const [field, to] of Object.entries(edits)) changes.set(field, { field, from: config[field], to });
  return [...changes.values()].filter((c) => JSON.stringify(c.from) !== JSON.stringify(c.to));
}

/** The settings the retry will run, as a diff against the failed run, editable before it starts. */
export function RetryDialog({ job, guidance, open, onClose }: Props) {
  const navigate = useNavigate();
  const config = (job.config ?? {}) as Record<string, unknown>;
  const suggested = guidance?.suggestedChanges ?? [];
  const [applyFix, setApplyFix] = useState(suggested.length > 0);
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [error, setError] = useState<FieldError | null>(null);
  const [result, retry] = useMutation(RetryJob);

  const { overrides, problems } = useMemo(() => {
    const overrides: Record<string, unknown> = {};
    const problems: Record<string, string> = {};
    for (const [key, text] of Object.entries(edits)) {
      if (!text.trim()) continue;
      const value = Number(text);
      if (!Number.isFinite(value)) problems[key] = `${configLabel(key)} must be a number`;
      else if (value !== config[key]) overrides[key] = value;
    }
    return { overrides, problems };
  }, [edits, config]);
  const changes = plannedChanges(config, applyFix ? suggested : [], overrides);
  const suggestedValue = (field: string) => suggested.find((c) => c.field === field)?.to;

  async function start() {
    if (Object.keys(problems).length) return;
    setError(null);
    // Each key is one of ADVANCED_FIELDS, a numeric setting of RetryOverrides.
    const typed = overrides as RetryOverrides;
    const response = await retry({ id: job.id, overrides: Object.keys(overrides).length ? typed : null, applySuggestedFix: applyFix });
    const payload = response.data?.retryTrainingJob;
    const appError = appErrorOf(payload);
    if (appError) return setError(appError);
    if (payload?.__typename === "RetryTrainingJobSuccess") {
      onClose();
      navigate(`/jobs/${payload.data.id}`);
      return;
    }
    setError({ code: "NETWORK", message: describeError(response.error) ?? "The retry could not start. Try again.", field: null });
  }

  const fields = ADVANCED_FIELDS.filter((f) => f.key in config);
  return (
    <Dialog title={`Retry “${job.name}”`} open={open} onClose={onClose} wide>
      {guidance ? (
        <p className="notice">
          <strong>{guidance.errorType}:</strong> {guidance.explanation}
        </p>
      ) : (
        job.errorMessage && (
          <p className="notice">
            <strong>Why it stopped:</strong> {job.errorMessage}
          </p>
        )
      )}
      {suggested.length > 0 && (
        <label className="checkbox">
          <input type="checkbox" checked={applyFix} onChange={(e) => setApplyFix(e.target.checked)} />
          Apply the suggested fix
        </label>
      )}
      <p>
        The retry is a new job on the same dataset. Change any setting below (your values win over the suggestion); the diff shows exactly
        what will differ.
      </p>
      <div className="retry-grid">
        {fields.map((field) => {
          const fieldError = problems[field.key] ?? errorFor(error, field.key);
          return (
            <div className="field" key={field.key}>
              <label htmlFor={`retry-${field.key}`}>{field.label}</label>
              <input
                id={`retry-${field.key}`}
                inputMode="decimal"
                placeholder={formatConfigValue(
                  applyFix && suggestedValue(field.key) !== undefined ? suggestedValue(field.key) : config[field.key],
                )}
                value={edits[field.key] ?? ""}
                onChange={(e) => setEdits({ ...edits, [field.key]: e.target.value })}
                aria-invalid={Boolean(fieldError)}
                aria-describedby={`retry-${field.key}-message`}
              />
              <FieldMessage id={`retry-${field.key}-message`} error={fieldError} />
            </div>
          );
        })}
      </div>
      <h3>What the retry will change</h3>
      <SettingsDiff changes={changes} before={config} empty="Nothing: the retry runs the same settings as before." />
      {error && !fields.some((f) => errorFor(error, f.key)) && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose}>
          Keep it stopped
        </button>
        <button
          type="button"
          className="button button-primary"
          onClick={start}
          disabled={result.fetching || Object.keys(problems).length > 0}
        >
          {result.fetching ? "Starting…" : changes.length ? "Retry with these changes" : "Retry with the same settings"}
        </button>
      </div>
    </Dialog>
  );
}
