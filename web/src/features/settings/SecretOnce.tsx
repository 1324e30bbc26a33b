import { useId, useState } from "react";

/** A secret the server shows only once (an API key, a webhook's signing secret): copy it now. */
export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone(): void }) {
  const id = useId();
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return (
    <div className="warning secret-once">
      <label htmlFor={id}>{label}</label>
      <p id={`${id}-warning`} className="small">
        Copy it now and keep it somewhere safe: it will not be shown again.
      </p>
      <div className="field-row">
        <input id={id} className="secret" readOnly value={secret} aria-describedby={`${id}-warning`} onFocus={(e) => e.target.select()} />
        <button type="button" className="button" onClick={copy}>
          Copy
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === true && (
        <p className="ok-note small" role="status">
          Copied to the clipboard
        </p>
      )}
      {copied === false && (
        <p className="field-error" role="alert">
          The browser refused to copy: select the text and copy it by hand.
        </p>
      )}
    </div>
  );
}
