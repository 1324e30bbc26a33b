import { useId, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import type { DatasetDetailsFieldsFragment } from "../../graphql/graphql";
import { appErrorOf, describeError, errorFor, type FieldError } from "../../errors";
import { FieldMessage } from "../../components/States";
import { formatBytes } from "../../format";

const UploadDataset = graphql(`
  mutation UploadDataset($name: String!, $file: Upload!) {
    uploadDataset(name: $name, file: $file) {
      __typename
      ...AppErrorFields
      ... on UploadDatasetSuccess {
        data {
          ...DatasetDetailsFields
        }
      }
    }
  }
`);

const MAX_BYTES = 50 * 1024 * 1024;

/**
 * Uploads a JSON Lines file. The server stores even an invalid file, with its
 * report, so the caller shows the errors by line from the returned dataset.
 * A group rather than a <form>: it also sits inside the new-job form.
 */
export function DatasetUpload({ onUploaded }: { onUploaded(dataset: DatasetDetailsFieldsFragment): void }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<FieldError | null>(null);
  const [result, upload] = useMutation(UploadDataset);
  // A new key empties the file input after an upload (its value cannot be set).
  const [inputKey, setInputKey] = useState(0);

  async function submit() {
    setError(null);
    if (!file) return setError({ code: "VALIDATION", message: "Choose a .jsonl file to upload", field: "file" });
    if (file.size > MAX_BYTES)
      return setError({
        code: "VALIDATION",
        message: `The file is ${formatBytes(file.size)}; the limit is ${formatBytes(MAX_BYTES)}`,
        field: "file",
      });
    if (!name.trim()) return setError({ code: "VALIDATION", message: "Give the dataset a name", field: "name" });
    const response = await upload({ name: name.trim(), file });
    const payload = response.data?.uploadDataset;
    const appError = appErrorOf(payload);
    if (appError) return setError(appError);
    if (payload?.__typename === "UploadDatasetSuccess") {
      setFile(null);
      setName("");
      setInputKey((k) => k + 1);
      onUploaded(payload.data);
      return;
    }
    setError({ code: "NETWORK", message: describeError(response.error) ?? "The upload failed. Try again.", field: null });
  }

  const fileError = errorFor(error, "file");
  const nameError = errorFor(error, "name");
  const otherError = error && !fileError && !nameError ? error.message : null;
  return (
    <div className="upload" role="group" aria-label="Upload a dataset">
      <div className="field">
        <label htmlFor={`${id}-file`}>JSON Lines file</label>
        <input
          key={inputKey}
          id={`${id}-file`}
          type="file"
          accept=".jsonl,.json,application/jsonl,application/x-ndjson"
          onChange={(e) => {
            const chosen = e.target.files?.[0] ?? null;
            setFile(chosen);
            if (chosen && !name) setName(chosen.name.replace(/\.(jsonl?|ndjson)$/i, ""));
          }}
          aria-invalid={Boolean(fileError)}
          aria-describedby={`${id}-file-message`}
        />
        <FieldMessage id={`${id}-file-message`} error={fileError}>
          One chat per line: <code>{'{"messages":[{"role":"user","content":"…"},{"role":"assistant","content":"…"}]}'}</code>
        </FieldMessage>
      </div>
      <div className="field">
        <label htmlFor={`${id}-name`}>Dataset name</label>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              void submit();
            }
          }}
          aria-invalid={Boolean(nameError)}
          aria-describedby={`${id}-name-message`}
        />
        <FieldMessage id={`${id}-name-message`} error={nameError} />
      </div>
      {otherError && (
        <p className="field-error" role="alert">
          {otherError}
        </p>
      )}
      <button type="button" className="button" disabled={result.fetching} onClick={submit}>
        {result.fetching ? "Uploading and validating…" : "Upload and validate"}
      </button>
    </div>
  );
}
