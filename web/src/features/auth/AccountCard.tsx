import type { FormEvent, ReactNode } from "react";
import { useLocation } from "react-router-dom";
import { FieldMessage } from "../../components/States";

// The signed-out pages reached from a link (setup, invitation, password reset):
// the sign-in page's card, and the token the link carries in its #fragment.

export function useLinkToken(): string {
  return new URLSearchParams(useLocation().hash.slice(1)).get("token") ?? "";
}

export type FormError = { message: string; field?: string | null } | null;

export function AccountCard({
  title,
  error,
  busy,
  submitLabel,
  onSubmit,
  children,
}: {
  title: string;
  error: FormError;
  busy: boolean;
  submitLabel: string;
  onSubmit(): void;
  children: ReactNode;
}) {
  return (
    <main className="login" id="main">
      <form
        className="card login-card"
        noValidate
        aria-labelledby="account-title"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          onSubmit();
        }}
      >
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Tuneloop
        </div>
        <h1 id="account-title">{title}</h1>
        {children}
        {error && !error.field && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {submitLabel}
        </button>
      </form>
    </main>
  );
}

/** A labelled input whose error is the form's error when it names this field (or `alsoFor`). */
export function AccountField({
  id,
  label,
  type = "text",
  value,
  onChange,
  error,
  autoComplete,
  help,
  alsoFor = [],
}: {
  id: string;
  label: string;
  type?: string;
  value: string;
  onChange(value: string): void;
  error: FormError;
  autoComplete?: string;
  help?: string;
  alsoFor?: string[];
}) {
  const mine = error?.field && (error.field === id || alsoFor.includes(error.field)) ? error.message : null;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        autoComplete={autoComplete}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={Boolean(mine)}
        aria-describedby={`${id}-message`}
      />
      <FieldMessage id={`${id}-message`} error={mine}>
        {help}
      </FieldMessage>
    </div>
  );
}
