import { useEffect, useRef, useState, type FormEvent } from "react";
import { useClient, useMutation } from "urql";
import { graphql } from "../../graphql";
import { describeError, mutationError } from "../../errors";
import { FieldMessage } from "../../components/States";

// Single sign-on from the sign-in page: find the organization (by its slug or
// a work email's domain), send the browser to its identity provider, and on
// the way back take the outcome with the one-time code in the URL's #fragment.

const SsoStart = graphql(`
  query SsoStart($organization: String, $email: String, $invitationToken: String) {
    ssoStart(organization: $organization, email: $email, invitationToken: $invitationToken)
  }
`);

const CompleteSsoSignIn = graphql(`
  mutation CompleteSsoSignIn($code: String!) {
    completeSsoSignIn(code: $code) {
      __typename
      ...AppErrorFields
      ... on CompleteSsoSignInSuccess {
        data {
          token
        }
      }
    }
  }
`);

/** Asks where single sign-on starts and goes there; resolves to an error message when it cannot. */
export function useSsoStart() {
  const client = useClient();
  return async (args: { organization?: string; email?: string; invitationToken?: string }): Promise<string | null> => {
    const result = await client.query(SsoStart, args, { requestPolicy: "network-only" }).toPromise();
    if (result.data?.ssoStart) {
      window.location.assign(result.data.ssoStart);
      return null;
    }
    return describeError(result.error) ?? "Single sign-on could not start. Try again.";
  };
}

/** On return from the identity provider (#sso=CODE): signs in, or says why not. */
export function useSsoReturn(onSignedIn: (token: string) => void): { busy: boolean; error: string | null } {
  const [, complete] = useMutation(CompleteSsoSignIn);
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const taken = useRef(false);
  useEffect(() => {
    const code = new URLSearchParams(window.location.hash.slice(1)).get("sso");
    // The code works once: React may run this effect twice in development.
    if (code === null || taken.current) return;
    taken.current = true;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    setState({ busy: true, error: null });
    void complete({ code }).then((response) => {
      const problem = mutationError(response, "completeSsoSignIn");
      const payload = response.data?.completeSsoSignIn;
      if (!problem && payload?.__typename === "CompleteSsoSignInSuccess") return onSignedIn(payload.data.token);
      setState({ busy: false, error: problem?.message ?? "Single sign-on did not complete. Try again." });
    });
  }, [complete, onSignedIn]);
  return state;
}

/** "Sign in with SSO": the organization or a work email, then the identity provider. */
export function SsoSignInForm({ returnError }: { returnError: string | null }) {
  const [open, setOpen] = useState(Boolean(returnError));
  const [where, setWhere] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const start = useSsoStart();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const text = where.trim();
    if (!text) return setError("Enter your organization or your work email");
    setBusy(true);
    setError(await start(text.includes("@") ? { email: text } : { organization: text }));
    setBusy(false);
  }

  const shown = error ?? returnError;
  if (!open)
    return (
      <button type="button" className="button button-block" onClick={() => setOpen(true)}>
        Sign in with SSO
      </button>
    );
  return (
    <form className="sso-form" onSubmit={submit} noValidate aria-label="Sign in with SSO">
      <div className="field">
        <label htmlFor="sso-where">Organization or work email</label>
        <input
          id="sso-where"
          value={where}
          onChange={(e) => setWhere(e.target.value)}
          aria-invalid={Boolean(shown)}
          aria-describedby="sso-where-message"
          placeholder="acme or you@acme.com"
        />
        <FieldMessage id="sso-where-message" error={shown}>
          You will sign in at your organization's identity provider.
        </FieldMessage>
      </div>
      <button type="submit" className="button button-block" disabled={busy}>
        {busy ? "Opening your identity provider…" : "Continue with SSO"}
      </button>
    </form>
  );
}
