import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import { mutationError } from "../../errors";
import { useSession } from "../../session";
import { usePageTitle } from "../../hooks/usePageTitle";
import { AccountCard, AccountField, useLinkToken, type FormError } from "./AccountCard";

const RequestPasswordReset = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email) {
      __typename
      ...AppErrorFields
    }
  }
`);
const ResetPassword = graphql(`
  mutation ResetPassword($token: String!, $password: String!) {
    resetPassword(token: $token, password: $password) {
      __typename
      ...AppErrorFields
      ... on ResetPasswordSuccess {
        data {
          token
        }
      }
    }
  }
`);

function RequestForm() {
  const [email, setEmail] = useState("");
  const [error, setError] = useState<FormError>(null);
  const [sent, setSent] = useState(false);
  const [result, request] = useMutation(RequestPasswordReset);
  async function submit() {
    const problem = mutationError(await request({ email }), "requestPasswordReset");
    setError(problem);
    setSent(!problem);
  }
  return (
    <AccountCard
      title="Forgot your password?"
      error={error}
      busy={result.fetching}
      submitLabel={result.fetching ? "Sending…" : "Email me a link"}
      onSubmit={submit}
    >
      {sent ? (
        <p className="notice" role="status">
          If {email} belongs to an account, a link to choose a new password is on its way. It works once, for 15 minutes.
        </p>
      ) : (
        <p className="muted">We email you a link to choose a new one.</p>
      )}
      <AccountField id="email" label="Email" type="email" value={email} onChange={setEmail} error={error} autoComplete="username" />
      <Link to="/login">Back to sign in</Link>
    </AccountCard>
  );
}

function NewPasswordForm({ token }: { token: string }) {
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<FormError>(null);
  const [result, reset] = useMutation(ResetPassword);
  async function submit() {
    const response = await reset({ token, password });
    const problem = mutationError(response, "resetPassword");
    if (problem) return setError(problem.field === "token" ? { message: problem.message } : problem);
    if (response.data?.resetPassword.__typename === "ResetPasswordSuccess") {
      signIn(response.data.resetPassword.data.token);
      navigate("/jobs", { replace: true });
    }
  }
  return (
    <AccountCard
      title="Choose a new password"
      error={error}
      busy={result.fetching}
      submitLabel={result.fetching ? "Saving…" : "Save and sign in"}
      onSubmit={submit}
    >
      <p className="muted">You are signed out everywhere else.</p>
      <AccountField
        id="password"
        label="New password"
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

/** Without a token: ask for a reset email. With the emailed link's token: set the new password. */
export function ResetPasswordPage() {
  usePageTitle("Reset password");
  const token = useLinkToken();
  return token ? <NewPasswordForm token={token} /> : <RequestForm />;
}
