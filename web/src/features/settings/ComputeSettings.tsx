import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import type { ComputeProviderName } from "../../graphql/graphql";
import { errorFor, mutationError, type FieldError } from "../../errors";
import { formatDateTime, humanize } from "../../format";
import { ErrorMessage, FieldMessage, Loading, SaveActions } from "../../components/States";

const ComputeSettingsQuery = graphql(`
  query ComputeSettings {
    me {
      id
      organization {
        id
        computeProvider
        serverComputeProviders
        computeCredentials {
          id
          provider
          apiUrl
          namespace
          tokenSet
          tokenLast4
          updatedAt
        }
      }
    }
  }
`);

const SetComputeProvider = graphql(`
  mutation SetComputeProvider($provider: ComputeProviderName!) {
    setComputeProvider(provider: $provider) {
      __typename
      ...AppErrorFields
    }
  }
`);

const SetComputeCredential = graphql(`
  mutation SetComputeCredential($provider: ComputeProviderName!, $apiUrl: String!, $token: String, $namespace: String) {
    setComputeCredential(provider: $provider, apiUrl: $apiUrl, token: $token, namespace: $namespace) {
      __typename
      ...AppErrorFields
    }
  }
`);

const DeleteComputeCredential = graphql(`
  mutation DeleteComputeCredential($provider: ComputeProviderName!) {
    deleteComputeCredential(provider: $provider) {
      __typename
      ...AppErrorFields
    }
  }
`);

const PROVIDERS: { id: ComputeProviderName; text: string }[] = [
  { id: "LOCAL", text: "A trainer process per job on this server (the demo; prices are the GPU catalog's, simulated)." },
  { id: "WORKERS", text: "Nothing is launched: your own workers claim the jobs." },
  { id: "SKYPILOT", text: "A managed job per attempt through a SkyPilot API server (RunPod, the big clouds, Kubernetes)." },
  { id: "KUBERNETES", text: "A batch/v1 Job per attempt on a Kubernetes cluster." },
];
const WITH_CREDENTIALS: ComputeProviderName[] = ["SKYPILOT", "KUBERNETES"];

/** Owners and admins: where the organization's jobs run, and its own provider credentials (the token is never shown again). */
export function ComputeSettings() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ComputeSettingsQuery });
  const [choice, chooseProvider] = useMutation(SetComputeProvider);
  const [problem, setProblem] = useState<FieldError | null>(null);
  const org = data?.me?.organization;
  const refresh = () => refetch({ requestPolicy: "network-only" });

  async function choose(provider: ComputeProviderName) {
    const failure = mutationError(await chooseProvider({ provider }), "setComputeProvider");
    setProblem(failure);
    if (!failure) refresh();
  }

  return (
    <section className="card" aria-labelledby="compute-title">
      <h2 id="compute-title">Compute</h2>
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!org && fetching && <Loading label="Loading compute settings…" />}
      {org && (
        <>
          <fieldset className="choice-grid">
            <legend>Where jobs run</legend>
            {PROVIDERS.map((p) => {
              const available = org.serverComputeProviders.includes(p.id) || org.computeCredentials.some((c) => c.provider === p.id);
              return (
                <label key={p.id} className={`choice-card ${org.computeProvider === p.id ? "choice-card-selected" : ""}`}>
                  <input
                    type="radio"
                    name="compute-provider"
                    value={p.id}
                    checked={org.computeProvider === p.id}
                    disabled={!available || choice.fetching}
                    onChange={() => choose(p.id)}
                  />
                  <span className="choice-title">{humanize(p.id)}</span>
                  <span className="choice-text">
                    {p.text}
                    {!available && " Add its credentials below first."}
                  </span>
                </label>
              );
            })}
          </fieldset>
          {problem && !problem.field?.match(/apiUrl|token|namespace/) && (
            <p className="field-error" role="alert">
              {problem.message}
            </p>
          )}
          {WITH_CREDENTIALS.map((provider) => (
            <CredentialForm
              key={provider}
              provider={provider}
              credential={org.computeCredentials.find((c) => c.provider === provider) ?? null}
              serverHasIt={org.serverComputeProviders.includes(provider)}
              onChange={refresh}
            />
          ))}
        </>
      )}
    </section>
  );
}

type Credential = { apiUrl: string; namespace: string; tokenSet: boolean; tokenLast4: string; updatedAt: string };

function CredentialForm({
  provider,
  credential,
  serverHasIt,
  onChange,
}: {
  provider: ComputeProviderName;
  credential: Credential | null;
  serverHasIt: boolean;
  onChange(): void;
}) {
  const [apiUrl, setApiUrl] = useState(credential?.apiUrl ?? "");
  const [token, setToken] = useState("");
  const [namespace, setNamespace] = useState(credential?.namespace ?? "");
  const [problem, setProblem] = useState<FieldError | null>(null);
  const [saved, setSaved] = useState(false);
  const [result, save] = useMutation(SetComputeCredential);
  const [, remove] = useMutation(DeleteComputeCredential);
  const id = provider.toLowerCase();
  const name = humanize(provider);
  const fieldError = (field: string) => errorFor(problem, field);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const failure = mutationError(
      await save({ provider, apiUrl, token: token || null, namespace: provider === "KUBERNETES" ? namespace : null }),
      "setComputeCredential",
    );
    setProblem(failure);
    if (failure) return;
    setToken("");
    setSaved(true);
    onChange();
  }

  async function clear() {
    const failure = mutationError(await remove({ provider }), "deleteComputeCredential");
    setProblem(failure);
    if (!failure) onChange();
  }

  return (
    <form onSubmit={submit} aria-label={`${name} credentials`} noValidate>
      <h3>{name} credentials</h3>
      <p className="muted small">
        {credential
          ? `Token set (ends in …${credential.tokenLast4}), updated ${formatDateTime(credential.updatedAt)}.`
          : serverHasIt
            ? "Not set: the server's own settings are used."
            : "Not set."}
      </p>
      <div className="field">
        <label htmlFor={`${id}-api-url`}>API server URL</label>
        <input
          id={`${id}-api-url`}
          value={apiUrl}
          onChange={(e) => setApiUrl(e.target.value)}
          aria-invalid={Boolean(fieldError("apiUrl"))}
          aria-describedby={`${id}-api-url-message`}
        />
        <FieldMessage id={`${id}-api-url-message`} error={fieldError("apiUrl")}>
          {provider === "SKYPILOT" ? "What `sky api info` shows." : "The cluster's API server."}
        </FieldMessage>
      </div>
      <div className="field">
        <label htmlFor={`${id}-token`}>API token</label>
        <input
          id={`${id}-token`}
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={Boolean(fieldError("token"))}
          aria-describedby={`${id}-token-message`}
        />
        <FieldMessage id={`${id}-token-message`} error={fieldError("token")}>
          Stored encrypted and never shown again{credential ? "; leave empty to keep the current one" : ""}.
        </FieldMessage>
      </div>
      {provider === "KUBERNETES" && (
        <div className="field">
          <label htmlFor={`${id}-namespace`}>Namespace</label>
          <input
            id={`${id}-namespace`}
            value={namespace}
            onChange={(e) => setNamespace(e.target.value)}
            aria-invalid={Boolean(fieldError("namespace"))}
            aria-describedby={`${id}-namespace-message`}
          />
          <FieldMessage id={`${id}-namespace-message`} error={fieldError("namespace")} />
        </div>
      )}
      <SaveActions
        error={problem && !problem.field ? problem.message : null}
        label={`Save ${name} credentials`}
        saving={result.fetching}
        saved={saved}
      />
      {credential && (
        <button type="button" className="button" onClick={clear}>
          Remove {name} credentials
        </button>
      )}
    </form>
  );
}
