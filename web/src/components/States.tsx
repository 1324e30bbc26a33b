import type { ReactNode } from "react";
import type { CombinedError } from "urql";
import { describeError } from "../errors";

// Loading, empty and error states, the same everywhere.

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

export function ErrorMessage({ error, retry }: { error: CombinedError | Error | string | null | undefined; retry?: () => void }) {
  const message = typeof error === "string" ? error : describeError(error ?? null);
  if (!message) return null;
  return (
    <div className="state state-error" role="alert">
      <p>{message}</p>
      {retry && (
        <button type="button" className="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A message under a form field, tied to it with aria-describedby. */
export function FieldMessage({ id, error, children }: { id: string; error?: string | null; children?: ReactNode }) {
  if (error)
    return (
      <p id={id} className="field-error" role="alert">
        {error}
      </p>
    );
  if (!children) return null;
  return (
    <p id={id} className="field-help">
      {children}
    </p>
  );
}

/** The end of a settings form: an error no field owns, the save button, and "Saved" once it is. */
export function SaveActions({ error, label, saving, saved }: { error: string | null; label: string; saving: boolean; saved: boolean }) {
  return (
    <>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? "Saving…" : label}
        </button>
        {saved && (
          <span className="ok-note" role="status">
            Saved
          </span>
        )}
      </div>
    </>
  );
}
