import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import { mutationError } from "../../errors";
import { useSession } from "../../session";
import { usePageTitle } from "../../hooks/usePageTitle";
import { AccountCard, AccountField, useLinkToken, type FormError } from "./AccountCard";
import { useSsoStart } from "./SsoSignIn";

const AcceptInvitation = graphql(`
  mutation AcceptInvitation($token: String!, $name: String!, $password: String!) {
    acceptInvitation(token: $token, name: $name, password: $password) {
      __typename
      ...AppErrorFields
      ... on AcceptInvitationSuccess {
        data {
          token
        }
      }
    }
  }
`);

/** From an invitation email: join through the organization's single sign-on, or choose a name and password. */
export function AcceptInvitationPage() {
  usePageTitle("Join your team");
  const token = useLinkToken();
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<FormError>(null);
  const [result, accept] = useMutation(AcceptInvitation);
  const startSso = useSsoStart();

  async function submit() {
    const response = await accept({ token, name, password });
    const problem = mutationError(response, "acceptInvitation");
    if (problem) return setError(problem.field === "token" ? { message: problem.message } : problem);
    if (response.data?.acceptInvitation.__typename === "AcceptInvitationSuccess") {
      signIn(response.data.acceptInvitation.data.token);
      navigate("/jobs", { replace: true });
    }
  }
  return (
    <AccountCard
      title="Join your team on Tuneloop"
      error={error ?? (!token ? { message: "This page needs the link from your invitation email." } : null)}
      busy={result.fetching}
      submitLabel={result.fetching ? "Joining…" : "Join"}
      onSubmit={submit}
    >
      <button
        type="button"
        className="button button-block"
        disabled={!token}
        onClick={async () => setError(await startSso({ invitationToken: token }).then((message) => (message ? { message } : null)))}
      >
        Join with single sign-on
      </button>
      <p className="muted">
        Or choose a name and password. Already in another organization on this server? Enter your account's password instead (your name
        stays as it is).
      </p>
      <AccountField id="name" label="Your name" value={name} onChange={setName} error={error} autoComplete="name" />
      <AccountField
        id="password"
        label="Choose a password"
        type="password"
        value={password}
        onChange={setPassword}
        error={error}
        autoComplete="new-password"
        help="At least 10 characters."
      />
    </AccountCard>
  );
}
