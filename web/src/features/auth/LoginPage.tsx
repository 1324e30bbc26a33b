import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { useSession } from "../../session";
import { describeError } from "../../errors";
import { FieldMessage } from "../../components/States";
import { usePageTitle } from "../../hooks/usePageTitle";
import { SsoSignInForm, useSsoReturn } from "./SsoSignIn";

const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
    }
  }
`);

const SetupRequiredQuery = graphql(`
  query SetupRequired {
    setupRequired
  }
`);

const DEMO_USERS = ["engineer", "owner", "qa", "admin"];

export function LoginPage() {
  usePageTitle("Sign in");
  const { token, signIn, signOutReason } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [result, login] = useMutation(LoginMutation);
  const [{ data: setup }] = useQuery({ query: SetupRequiredQuery });
  const [error, setError] = useState<{ message: string; field: string | null } | null>(null);
  const from = (location.state as { from?: string } | null)?.from ?? "/jobs";
  const ssoReturn = useSsoReturn(signIn);

  if (token) return <Navigate to={from} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!email.trim()) return setError({ message: "Enter your email address", field: "email" });
    if (!password) return setError({ message: "Enter your password", field: "password" });
    const response = await login({ email: email.trim(), password });
    if (response.data?.login.token) {
      signIn(response.data.login.token);
      navigate(from, { replace: true });
      return;
    }
    const first = response.error?.graphQLErrors[0];
    setError({
      message:
        first?.extensions?.code === "UNAUTHENTICATED"
          ? "Email or password is wrong. Check both and try again."
          : (describeError(response.error) ?? "Sign-in failed"),
      field: (first?.extensions?.field as string | undefined) ?? null,
    });
  }

  const emailError = error?.field === "email" ? error.message : null;
  const passwordError = error && error.field !== "email" ? error.message : null;
  return (
    <main className="login" id="main">
      <div className="card login-card">
        <form onSubmit={submit} noValidate aria-labelledby="login-title">
          <div className="brand brand-large">
            <span className="brand-mark" aria-hidden="true" />
            Tuneloop
          </div>
          <h1 id="login-title">Sign in</h1>
          {setup?.setupRequired && (
            <p className="notice" role="status">
              This server has no organization yet. Open the one-time setup link the server printed when it started (or run{" "}
              <code>pnpm tuneloop setup --org NAME --email ADDRESS</code>).
            </p>
          )}
          {signOutReason && (
            <p className="notice" role="status">
              {signOutReason}
            </p>
          )}
          <div className="field">
            <label htmlFor="email">Email</label>
            <input
              id="email"
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={Boolean(emailError)}
              aria-describedby="email-message"
              autoFocus
            />
            <FieldMessage id="email-message" error={emailError} />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={Boolean(passwordError)}
              aria-describedby="password-message"
            />
            <FieldMessage id="password-message" error={passwordError} />
          </div>
          <button type="submit" className="button button-primary button-block" disabled={result.fetching}>
            {result.fetching ? "Signing in…" : "Sign in"}
          </button>
          <Link to="/reset-password">Forgot your password?</Link>
        </form>
        {ssoReturn.busy ? (
          <p className="notice" role="status">
            Signing you in with single sign-on…
          </p>
        ) : (
          <SsoSignInForm returnError={ssoReturn.error} />
        )}
        <details className="demo-users">
          <summary>Demo accounts</summary>
          <p>
            Password <code>demo</code> for each:
          </p>
          <ul>
            {DEMO_USERS.map((user) => (
              <li key={user}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setEmail(`${user}@demo.tuneloop.dev`);
                    setPassword("demo");
                  }}
                >
                  {user}@demo.tuneloop.dev
                </button>
              </li>
            ))}
          </ul>
        </details>
      </div>
    </main>
  );
}
