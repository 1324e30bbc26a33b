import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../graphql";
import { mutationError } from "../errors";
import { useSession } from "../session";
import { Dialog } from "./Dialog";
import { FieldMessage } from "./States";

// The organization this session works in, and the others the user belongs to.
// Switching (or creating one) gives a new session token for that organization:
// signing in with it makes a fresh client, so no cached data or subscription of
// the previous organization survives.

const MyOrganizations = graphql(`
  query MyOrganizations {
    me {
      id
      organizations {
        role
        current
        organization {
          id
          name
        }
      }
    }
  }
`);

const SwitchOrganization = graphql(`
  mutation SwitchOrganization($organizationId: ID!) {
    switchOrganization(organizationId: $organizationId) {
      __typename
      ...AppErrorFields
      ... on SwitchOrganizationSuccess {
        data {
          token
        }
      }
    }
  }
`);

const CreateOrganization = graphql(`
  mutation CreateOrganization($name: String!) {
    createOrganization(name: $name) {
      __typename
      ...AppErrorFields
      ... on CreateOrganizationSuccess {
        data {
          token
        }
      }
    }
  }
`);

const NEW = "new";

function NewOrganizationForm({ onCreated }: { onCreated(token: string): void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [result, create] = useMutation(CreateOrganization);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const response = await create({ name });
    const problem = mutationError(response, "createOrganization");
    if (problem) return setError(problem.message);
    const payload = response.data?.createOrganization;
    if (payload?.__typename === "CreateOrganizationSuccess") onCreated(payload.data.token);
  }
  return (
    <form onSubmit={submit} aria-label="New organization" noValidate>
      <p className="muted">You become its admin, and switch to it. Your other organizations stay as they are.</p>
      <div className="field">
        <label htmlFor="new-org-name">Name</label>
        <input
          id="new-org-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={Boolean(error)}
          aria-describedby="new-org-message"
        />
        <FieldMessage id="new-org-message" error={error} />
      </div>
      <button type="submit" className="button button-primary" disabled={result.fetching}>
        {result.fetching ? "Creating…" : "Create organization"}
      </button>
    </form>
  );
}

export function OrganizationSwitcher() {
  const { signIn } = useSession();
  const [{ data }] = useQuery({ query: MyOrganizations });
  const [switching, switchTo] = useMutation(SwitchOrganization);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const memberships = data?.me?.organizations ?? [];
  const current = memberships.find((m) => m.current);
  if (!current) return null;

  async function choose(value: string) {
    if (value === NEW) return setCreating(true);
    const response = await switchTo({ organizationId: value });
    const problem = mutationError(response, "switchOrganization");
    if (problem) return setError(problem.message);
    const payload = response.data?.switchOrganization;
    if (payload?.__typename === "SwitchOrganizationSuccess") signIn(payload.data.token);
  }
  return (
    <>
      <select
        className="org-switcher"
        aria-label="Organization"
        value={current.organization.id}
        disabled={switching.fetching}
        onChange={(e) => void choose(e.target.value)}
      >
        {memberships.map((m) => (
          <option key={m.organization.id} value={m.organization.id}>
            {m.organization.name}
          </option>
        ))}
        <option value={NEW}>New organization…</option>
      </select>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
      <Dialog title="New organization" open={creating} onClose={() => setCreating(false)}>
        <NewOrganizationForm onCreated={signIn} />
      </Dialog>
    </>
  );
}
