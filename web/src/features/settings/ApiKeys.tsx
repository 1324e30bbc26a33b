import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { mutationError } from "../../errors";
import { formatDateTime, humanize } from "../../format";
import { ConfirmActions, Dialog } from "../../components/Dialog";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { NewApiKeyForm } from "./NewApiKeyForm";

const ApiKeysQuery = graphql(`
  query ApiKeys {
    apiKeys {
      id
      name
      prefix
      scopes
      createdAt
      expiresAt
      lastUsedAt
      revokedAt
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      __typename
      ...AppErrorFields
      ... on RevokeApiKeySuccess {
        data {
          id
          revokedAt
        }
      }
    }
  }
`);

type ApiKey = { id: string; name: string; prefix: string; revokedAt?: string | null; expiresAt?: string | null };

function keyState(key: ApiKey): string | null {
  if (key.revokedAt) return `Revoked ${formatDateTime(key.revokedAt)}`;
  if (key.expiresAt && new Date(key.expiresAt).getTime() < Date.now()) return "Expired";
  return null;
}

function ConfirmRevoke({ apiKey, onClose, onRevoked }: { apiKey: ApiKey; onClose(): void; onRevoked(): void }) {
  const [error, setError] = useState<string | null>(null);
  const [result, revoke] = useMutation(RevokeApiKey);
  async function confirm() {
    const problem = mutationError(await revoke({ id: apiKey.id }), "revokeApiKey");
    if (problem) return setError(problem.message);
    onRevoked();
    onClose();
  }
  return (
    <ConfirmActions
      error={error}
      keepLabel="Keep key"
      confirmLabel="Revoke key"
      busyLabel="Revoking…"
      busy={result.fetching}
      onConfirm={confirm}
      onClose={onClose}
    >
      <p>
        Scripts and workers sending the key that starts with <code>{apiKey.prefix}</code> are refused from now on. This cannot be undone.
      </p>
    </ConfirmActions>
  );
}

/** The organization's API keys and what each may do; new keys and revocation. */
export function ApiKeys() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ApiKeysQuery });
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const refresh = () => refetch({ requestPolicy: "network-only" });
  const keys = data?.apiKeys ?? [];
  return (
    <section className="card" aria-labelledby="api-keys-title">
      <h2 id="api-keys-title">API keys</h2>
      <p className="muted">
        For scripts, the CLI and trainer machines: send one as <code>Authorization: Bearer …</code>. A key acts as the user who made it,
        within its scopes.
      </p>
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!data && fetching && <Loading label="Loading API keys…" />}
      {data && keys.length === 0 && <Empty title="No API keys yet" />}
      {keys.length > 0 && (
        <div className="table-wrap">
          <table className="table table-compact">
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => {
                const state = keyState(key);
                return (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{key.scopes.map(humanize).join(", ")}</td>
                    <td>{formatDateTime(key.createdAt)}</td>
                    <td>{key.expiresAt ? formatDateTime(key.expiresAt) : "Never"}</td>
                    <td>{key.lastUsedAt ? formatDateTime(key.lastUsedAt) : "Not yet"}</td>
                    <td>
                      {state ?? (
                        <button
                          type="button"
                          className="button button-danger-quiet"
                          aria-label={`Revoke ${key.name}`}
                          onClick={() => setRevoking(key)}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Dialog title={`Revoke “${revoking?.name}”?`} open={revoking !== null} onClose={() => setRevoking(null)}>
        {revoking && <ConfirmRevoke apiKey={revoking} onClose={() => setRevoking(null)} onRevoked={refresh} />}
      </Dialog>
      <NewApiKeyForm onCreated={refresh} />
    </section>
  );
}
