import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { mutationError } from "../../errors";
import { formatDateTime } from "../../format";
import { useSession } from "../../session";
import { FieldMessage, SaveActions } from "../../components/States";

const MySessionsQuery = graphql(`
  query MySessions {
    mySessions {
      id
      address
      createdAt
      current
    }
  }
`);
const UpdateMyName = graphql(`
  mutation UpdateMyName($name: String!) {
    updateMyName(name: $name) {
      __typename
      ...AppErrorFields
      ... on UpdateMyNameSuccess {
        data {
          id
          name
        }
      }
    }
  }
`);
const ChangeMyPassword = graphql(`
  mutation ChangeMyPassword($currentPassword: String!, $newPassword: String!) {
    changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword) {
      __typename
      ...AppErrorFields
    }
  }
`);
const EndMySession = graphql(`
  mutation EndMySession($sessionId: ID!) {
    endMySession(sessionId: $sessionId) {
      __typename
      ...AppErrorFields
    }
  }
`);
const SignOutEverywhere = graphql(`
  mutation SignOutEverywhere {
    signOutEverywhere
  }
`);

function NameForm({ name }: { name: string }) {
  const [value, setValue] = useState(name);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [result, update] = useMutation(UpdateMyName);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const problem = mutationError(await update({ name: value }), "updateMyName");
    setError(problem?.message ?? null);
    setSaved(!problem);
  }
  return (
    <form onSubmit={submit} aria-label="Your name" noValidate>
      <div className="field">
        <label htmlFor="my-name">Name</label>
        <input id="my-name" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="name" />
      </div>
      <SaveActions error={error} label="Save name" saving={result.fetching} saved={saved} />
    </form>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<{ message: string; field?: string | null } | null>(null);
  const [saved, setSaved] = useState(false);
  const [result, change] = useMutation(ChangeMyPassword);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const problem = mutationError(await change({ currentPassword: current, newPassword: next }), "changeMyPassword");
    setError(problem);
    if (!problem) {
      setSaved(true);
      setCurrent("");
      setNext("");
    }
  }
  return (
    <form onSubmit={submit} aria-label="Change password" noValidate>
      <div className="field">
        <label htmlFor="current-password">Current password</label>
        <input
          id="current-password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          aria-describedby="current-password-message"
        />
        <FieldMessage id="current-password-message" error={error?.field === "currentPassword" ? error.message : null} />
      </div>
      <div className="field">
        <label htmlFor="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          aria-describedby="new-password-message"
        />
        <FieldMessage id="new-password-message" error={error && error.field !== "currentPassword" ? error.message : null}>
          At least 10 characters. Your other sessions are signed out.
        </FieldMessage>
      </div>
      <SaveActions error={null} label="Change password" saving={result.fetching} saved={saved} />
    </form>
  );
}

/** What everyone manages for themselves: name, password and where they are signed in. */
export function MyAccount({ name }: { name: string }) {
  const { signOut } = useSession();
  const [{ data }, refetch] = useQuery({ query: MySessionsQuery });
  const [, end] = useMutation(EndMySession);
  const [, endAll] = useMutation(SignOutEverywhere);
  const refresh = () => refetch({ requestPolicy: "network-only" });
  return (
    <section className="card" aria-labelledby="my-account-title">
      <h2 id="my-account-title">My account</h2>
      <NameForm name={name} />
      <PasswordForm />
      <h3>Where you are signed in</h3>
      <ul className="plain-list" aria-label="Your sessions">
        {data?.mySessions.map((s) => (
          <li key={s.id}>
            Since {formatDateTime(s.createdAt)} from {s.address ?? "an unknown address"} {s.current && <strong>(this browser)</strong>}{" "}
            {!s.current && (
              <button
                type="button"
                className="button button-danger-quiet"
                onClick={async () => (await end({ sessionId: s.id }), refresh())}
              >
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      <button type="button" className="button" onClick={async () => (await endAll({}), signOut("You signed out everywhere."))}>
        Sign out everywhere
      </button>
    </section>
  );
}
