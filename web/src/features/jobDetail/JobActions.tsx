import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import { Dialog } from "../../components/Dialog";
import { FieldMessage } from "../../components/States";
import { RetryDialog, type FailureGuidance } from "./RetryDialog";
import { errorFor, mutationError, type FieldError } from "../../errors";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";

const StartJob = graphql(`
  mutation StartJob($id: ID!) {
    startTrainingJob(id: $id) {
      __typename
      ...AppErrorFields
      ... on StartTrainingJobSuccess {
        data {
          id
          status
        }
      }
    }
  }
`);

const CancelJob = graphql(`
  mutation CancelJob($id: ID!, $reason: String) {
    cancelTrainingJob(id: $id, reason: $reason) {
      __typename
      ...AppErrorFields
      ... on CancelTrainingJobSuccess {
        data {
          id
          status
        }
      }
    }
  }
`);

const SaveTemplate = graphql(`
  mutation SaveJobAsTemplate($jobId: ID!, $name: String!, $description: String) {
    saveJobAsTemplate(jobId: $jobId, name: $name, description: $description) {
      __typename
      ...AppErrorFields
      ... on SaveJobAsTemplateSuccess {
        data {
          id
          name
        }
      }
    }
  }
`);

type Job = Pick<JobDetailFieldsFragment, "id" | "name" | "status" | "isFinal" | "errorMessage" | "config">;

function CancelDialog({ job, open, onClose }: { job: Job; open: boolean; onClose(): void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<FieldError | null>(null);
  const [result, cancel] = useMutation(CancelJob);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const problem = mutationError(await cancel({ id: job.id, reason: reason.trim() || null }), "cancelTrainingJob");
    setError(problem);
    if (!problem) onClose();
  }
  return (
    <Dialog title={`Cancel “${job.name}”?`} open={open} onClose={onClose}>
      <form onSubmit={submit}>
        <p>The job stops within seconds. Time used so far is billed; the last checkpoint is kept.</p>
        <div className="field">
          <label htmlFor="cancel-reason">Reason (optional)</label>
          <input id="cancel-reason" value={reason} onChange={(e) => setReason(e.target.value)} aria-describedby="cancel-reason-message" />
          <FieldMessage id="cancel-reason-message" error={error?.message}>
            Shown in the job's event log.
          </FieldMessage>
        </div>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            Keep running
          </button>
          <button type="submit" className="button button-danger" disabled={result.fetching}>
            {result.fetching ? "Cancelling…" : "Cancel job"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function TemplateDialog({ job, open, onClose }: { job: Job; open: boolean; onClose(saved: string | null): void }) {
  const [name, setName] = useState(job.name);
  const [description, setDescription] = useState("");
  const [error, setError] = useState<FieldError | null>(null);
  const [result, save] = useMutation(SaveTemplate);
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setError({ code: "VALIDATION", message: "Give the template a name", field: "name" });
    const problem = mutationError(
      await save({ jobId: job.id, name: name.trim(), description: description.trim() || null }),
      "saveJobAsTemplate",
    );
    setError(problem);
    if (!problem) onClose(name.trim());
  }
  const nameError = errorFor(error, "name");
  return (
    <Dialog title="Save as template" open={open} onClose={() => onClose(null)}>
      <form onSubmit={submit} noValidate>
        <p>Keeps this job's preset and settings under a name, to start new jobs from on the New job page.</p>
        <div className="field">
          <label htmlFor="template-name">Template name</label>
          <input
            id="template-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={Boolean(nameError)}
            aria-describedby="template-name-message"
          />
          <FieldMessage id="template-name-message" error={nameError}>
            e.g. "Production – high quality finance".
          </FieldMessage>
        </div>
        <div className="field">
          <label htmlFor="template-description">Description (optional)</label>
          <input id="template-description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        {error && !nameError && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="button" onClick={() => onClose(null)}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={result.fetching}>
            Save template
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** What a user may do with the job now: start, cancel, retry, keep as template. */
export function JobActions({
  job,
  canWrite,
  guidance,
  downloads,
}: {
  job: Job;
  canWrite: boolean;
  guidance?: FailureGuidance | null;
  downloads?: ReactNode;
}) {
  const [dialog, setDialog] = useState<"cancel" | "retry" | "template" | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<FieldError | null>(null);
  const [starting, startJob] = useMutation(StartJob);
  const close = () => setDialog(null);
  if (!canWrite) return <div className="job-actions">{downloads}</div>;
  return (
    <div className="job-actions">
      {downloads}
      {job.status === "PENDING" && (
        <button
          type="button"
          className="button button-primary"
          disabled={starting.fetching}
          onClick={async () => setError(mutationError(await startJob({ id: job.id }), "startTrainingJob"))}
        >
          Start
        </button>
      )}
      {!job.isFinal && (
        <button type="button" className="button button-danger-quiet" onClick={() => setDialog("cancel")}>
          Cancel job
        </button>
      )}
      {(job.status === "FAILED" || job.status === "CANCELLED") && (
        <button type="button" className="button button-primary" onClick={() => setDialog("retry")}>
          Retry…
        </button>
      )}
      <button type="button" className="button" onClick={() => setDialog("template")}>
        Save as template
      </button>
      {error && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
      {message && (
        <p className="ok-note" role="status">
          {message}
        </p>
      )}
      {dialog === "cancel" && <CancelDialog job={job} open onClose={close} />}
      {dialog === "retry" && <RetryDialog job={job} guidance={guidance} open onClose={close} />}
      {dialog === "template" && (
        <TemplateDialog
          job={job}
          open
          onClose={(saved) => {
            close();
            if (saved) setMessage(`Saved as template “${saved}”.`);
          }}
        />
      )}
    </div>
  );
}
