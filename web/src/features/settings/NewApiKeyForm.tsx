import { useId, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import type { ApiKeyScope } from "../../graphql/graphql";
import { errorFor, mutationError, type FieldError } from "../../errors";
import { FieldMessage } from "../../components/States";
import { CheckboxList, type CheckboxOption } from "./CheckboxList";
import { SecretOnce } from "./SecretOnce";

const CreateApiKey = graphql(`
  mutation CreateApiKey($name: String!, $scopes: [ApiKeyScope!]!, $expiresAt: DateTime) {
    createApiKey(name: $name, scopes: $scopes, expiresAt: $expiresAt) {
      key
      apiKey {
        id
      }
    }
  }
`);

const SCOPES: CheckboxOption<ApiKeyScope>[] = [
  { value: "READ", label: "Read", help: "Queries and live updates: jobs, metrics, models, costs." },
  { value: "WRITE", label: "Write", help: "The changes your role allows: datasets, jobs, models, budgets." },
  { value: "WORKER", label: "Worker", help: "Claim and run training jobs, for a trainer machine (pnpm trainer --token …)." },
];

const today = () => new Date().toISOString().slice(0, 10);

/** Makes an API key acting as the signed-in user within its scopes; the key is shown once. */
export function NewApiKeyForm({ onCreated }: { onCreated(): void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>(["READ"]);
  const [expiresOn, setExpiresOn] = useState("");
  const [error, setError] = useState<FieldError | null>(null);
  const [key, setKey] = useState<string | null>(null);
  const [result, create] = useMutation(CreateApiKey);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    // The key works until the end of the chosen day, in the user's time zone.
    const expiresAt = expiresOn ? new Date(`${expiresOn}T23:59:59`) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      return setError({ code: "VALIDATION", message: "Choose today or a later day", field: "expiresAt" });
    const response = await create({ name, scopes, expiresAt: expiresAt?.toISOString() ?? null });
    const problem = mutationError(response, "createApiKey");
    if (problem) return setError(problem);
    setKey(response.data!.createApiKey.key);
    setName("");
    setExpiresOn("");
    onCreated();
  }

  const nameError = errorFor(error, "name");
  const expiresError = errorFor(error, "expiresAt");
  const scopesError = errorFor(error, "scopes");
  const otherError = error && !nameError && !expiresError && !scopesError ? error.message : null;
  return (
    <form aria-labelledby={`${id}-title`} onSubmit={submit} noValidate>
      <h3 id={`${id}-title`}>New API key</h3>
      {key && <SecretOnce label="Your new API key" secret={key} onDone={() => setKey(null)} />}
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-name`}>Key name</label>
          <input
            id={`${id}-name`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={Boolean(nameError)}
            aria-describedby={`${id}-name-message`}
          />
          <FieldMessage id={`${id}-name-message`} error={nameError}>
            Where it is used, e.g. "CI pipeline" or "GPU box 2".
          </FieldMessage>
        </div>
        <div className="field">
          <label htmlFor={`${id}-expires`}>Expires on (optional)</label>
          <input
            id={`${id}-expires`}
            type="date"
            min={today()}
            value={expiresOn}
            onChange={(e) => setExpiresOn(e.target.value)}
            aria-invalid={Boolean(expiresError)}
            aria-describedby={`${id}-expires-message`}
          />
          <FieldMessage id={`${id}-expires-message`} error={expiresError}>
            Works until the end of that day; empty: until revoked.
          </FieldMessage>
        </div>
      </div>
      <CheckboxList legend="Scopes" options={SCOPES} selected={scopes} onChange={setScopes} error={scopesError} />
      {otherError && (
        <p className="field-error" role="alert">
          {otherError}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={result.fetching}>
          {result.fetching ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}
