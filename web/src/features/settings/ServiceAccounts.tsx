import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import type { ApiKeyScope, Role } from "../../graphql/graphql";
import { mutationError } from "../../errors";
import { humanize } from "../../format";
import { ErrorMessage, FieldMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { RoleSelect } from "./RoleSelect";
import { SecretOnce } from "./SecretOnce";

const ServiceAccountsQuery = graphql(`
  query ServiceAccounts {
    serviceAccounts {
      id
      name
      role
      deactivatedAt
      apiKeys {
        id
        revokedAt
      }
    }
  }
`);

const CreateServiceAccount = graphql(`
  mutation CreateServiceAccount($name: String!, $role: Role!) {
    createServiceAccount(name: $name, role: $role) {
      __typename
      ...AppErrorFields
    }
  }
`);

const CreateServiceAccountKey = graphql(`
  mutation CreateServiceAccountKey($serviceAccountId: ID!, $name: String!, $scopes: [ApiKeyScope!]!) {
    createServiceAccountKey(serviceAccountId: $serviceAccountId, name: $name, scopes: $scopes) {
      __typename
      ...AppErrorFields
      ... on CreateServiceAccountKeySuccess {
        data {
          key
        }
      }
    }
  }
`);

const DeactivateServiceAccount = graphql(`
  mutation DeactivateServiceAccount($serviceAccountId: ID!) {
    deactivateServiceAccount(serviceAccountId: $serviceAccountId) {
      __typename
      ...AppErrorFields
    }
  }
`);

/** What a key is for: a worker of the fleet claims jobs; an integration reads, or reads and writes. */
const KEY_KINDS: { label: string; scopes: ApiKeyScope[] }[] = [
  { label: "Worker", scopes: ["WORKER"] },
  { label: "Read", scopes: ["READ"] },
  { label: "Read and write", scopes: ["READ", "WRITE"] },
];

/** Owners and admins: the organization's identities for CI and the worker fleet, whose keys outlive any person. */
export function ServiceAccounts() {
  // The roles offered come with the viewer's permissions: nothing to offer before they arrive.
  const me = useMe();
  return me ? <ServiceAccountsWith roles={me.permissions.grantableRoles} /> : <Loading label="Loading service accounts…" />;
}

function ServiceAccountsWith({ roles }: { roles: Role[] }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ServiceAccountsQuery });
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(roles[0]);
  const [problem, setProblem] = useState<{ message: string; field?: string | null } | null>(null);
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const [created, create] = useMutation(CreateServiceAccount);
  const [, createKey] = useMutation(CreateServiceAccountKey);
  const [, deactivate] = useMutation(DeactivateServiceAccount);
  const refresh = () => refetch({ requestPolicy: "network-only" });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const failure = mutationError(await create({ name, role }), "createServiceAccount");
    setProblem(failure);
    if (!failure) setName("");
    refresh();
  }
  async function newKey(account: { id: string; name: string }, kind: (typeof KEY_KINDS)[number]) {
    const response = await createKey({
      serviceAccountId: account.id,
      name: `${account.name} ${kind.label.toLowerCase()}`,
      scopes: kind.scopes,
    });
    const failure = mutationError(response, "createServiceAccountKey");
    setProblem(failure);
    const payload = response.data?.createServiceAccountKey;
    if (payload?.__typename === "CreateServiceAccountKeySuccess") setSecret({ name: account.name, key: payload.data.key });
    refresh();
  }
  async function remove(id: string) {
    setProblem(mutationError(await deactivate({ serviceAccountId: id }), "deactivateServiceAccount"));
    refresh();
  }

  const accounts = data?.serviceAccounts ?? [];
  return (
    <section className="card" aria-labelledby="service-accounts-title">
      <h2 id="service-accounts-title">Service accounts</h2>
      <p className="muted">
        Identities of the organization for CI and the worker fleet: their API keys keep working when the person who made them leaves. Revoke
        a key under API keys.
      </p>
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!data && fetching && <Loading label="Loading service accounts…" />}
      {secret && <SecretOnce label={`New key of ${secret.name}`} secret={secret.key} onDone={() => setSecret(null)} />}
      {accounts.length > 0 && (
        <div className="table-wrap">
          <table className="table table-compact">
            <caption className="visually-hidden">Service accounts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Active keys</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id}>
                  <td>{a.name}</td>
                  <td>{humanize(a.role)}</td>
                  <td>{a.apiKeys.filter((k) => !k.revokedAt).length}</td>
                  <td>
                    {a.deactivatedAt ? (
                      "Deactivated"
                    ) : (
                      <div className="field-row">
                        {KEY_KINDS.map((kind) => (
                          <button key={kind.label} type="button" className="button" onClick={() => void newKey(a, kind)}>
                            New {kind.label.toLowerCase()} key<span className="visually-hidden"> for {a.name}</span>
                          </button>
                        ))}
                        <button type="button" className="button button-quiet" onClick={() => void remove(a.id)}>
                          Deactivate<span className="visually-hidden"> {a.name}</span>
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form className="field-row" onSubmit={submit} aria-label="New service account" noValidate>
        <div className="field">
          <label htmlFor="sa-name">Name</label>
          <input
            id="sa-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={problem?.field === "name"}
            aria-describedby="sa-message"
          />
        </div>
        <div className="field">
          <label htmlFor="sa-role">Role</label>
          <RoleSelect id="sa-role" roles={roles} value={role} onChange={setRole} />
        </div>
        <button type="submit" className="button button-primary" disabled={created.fetching}>
          Create service account
        </button>
        <FieldMessage id="sa-message" error={problem?.message} />
      </form>
    </section>
  );
}
