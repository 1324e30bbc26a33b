import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation } from "urql";
import { graphql } from "../../graphql";

const Register = graphql(`
  mutation RegisterModelVersion($input: RegisterModelVersionInput!) {
    registerModelVersion(input: $input) {
      __typename
      ...AppErrorFields
      ... on RegisterModelVersionSuccess {
        data {
          id
          version
          model {
            name
          }
        }
      }
    }
  }
`);

/** Registers a completed job's adapter as a version of a named model. */
export function RegisterVersionForm({ jobId }: { jobId: string }) {
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [result, setResult] = useState<{ ok: boolean; text: string; name?: string } | null>(null);
  const [state, register] = useMutation(Register);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await register({ input: { jobId, name, version: version || null } });
    const outcome = r.data?.registerModelVersion;
    if (outcome?.__typename === "RegisterModelVersionSuccess")
      setResult({ ok: true, text: `Registered ${outcome.data.model.name} ${outcome.data.version}.`, name: outcome.data.model.name });
    else setResult({ ok: false, text: outcome?.__typename === "AppError" ? outcome.message : (r.error?.message ?? "Registration failed") });
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-label="Register as a model version">
      <label className="field">
        <span>Model name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="advisor-voice" required />
      </label>
      <label className="field">
        <span>Version (optional)</span>
        <input value={version} onChange={(e) => setVersion(e.target.value)} placeholder="next minor version" />
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={state.fetching || !name.trim()}>
          Register model version
        </button>
      </div>
      {result && (
        <p role={result.ok ? "status" : "alert"}>
          {result.text} {result.ok && <Link to={`/models?name=${encodeURIComponent(result.name!)}`}>Open in models</Link>}
        </p>
      )}
    </form>
  );
}
