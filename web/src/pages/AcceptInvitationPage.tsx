import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { graphql } from "../graphql";
import { mutationError } from "../errors";
import { useSession } from "../session";
import { usePageTitle } from "../hooks/usePageTitle";
import { AccountCard, AccountField, useLinkToken, type FormError } from "../components/AccountCard";

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

/** From an invitation email: choose a name and password, and join. */
export function AcceptInvitationPage() {
  usePageTitle("Join your team");
  const token = useLinkToken();
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<FormError>(null);
  const [result, accept] = useMutation(AcceptInvitation);

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
    <AccountCard title="Join your team on Tuneloop" error={error ?? (!token ? { message: "This page needs the link from your invitation email." } : null)} busy={result.fetching} submitLabel={result.fetching ? "Joining…" : "Join"} onSubmit={submit}>
      <AccountField id="name" label="Your name" value={name} onChange={setName} error={error} autoComplete="name" />
      <AccountField id="password" label="Choose a password" type="password" value={password} onChange={setPassword} error={error} autoComplete="new-password" help="At least 10 characters." />
    </AccountCard>
  );
}
