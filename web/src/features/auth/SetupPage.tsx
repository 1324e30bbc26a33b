import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { mutationError, describeError } from "../../errors";
import { useSession } from "../../session";
import { usePageTitle } from "../../hooks/usePageTitle";
import { AccountCard, AccountField, useLinkToken, type FormError } from "./AccountCard";

const SetupLinkQuery = graphql(`
  query SetupLink($token: String!) {
    setupLink(token: $token) {
      orgName
      email
    }
  }
`);
const CompleteSetup = graphql(`
  mutation CompleteSetup($token: String!, $organization: String!, $name: String!, $email: String!, $password: String!) {
    completeSetup(token: $token, organization: $organization, name: $name, email: $email, password: $password) {
      __typename
      ...AppErrorFields
      ... on CompleteSetupSuccess {
        data {
          token
        }
      }
    }
  }
`);

/** First run: the setup link printed by the server creates the organization and its admin. */
export function SetupPage() {
  usePageTitle("Set up Tuneloop");
  const token = useLinkToken();
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [{ data, error: linkError }] = useQuery({ query: SetupLinkQuery, variables: { token }, pause: !token });
  const [form, setForm] = useState({ organization: "", name: "", email: "", password: "" });
  const [error, setError] = useState<FormError>(null);
  const [result, complete] = useMutation(CompleteSetup);
  const preset = data?.setupLink;
  useEffect(() => {
    if (preset) setForm((f) => ({ ...f, organization: f.organization || (preset.orgName ?? ""), email: f.email || (preset.email ?? "") }));
  }, [preset]);
  const set = (key: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  async function submit() {
    const response = await complete({ token, ...form });
    const problem = mutationError(response, "completeSetup");
    if (problem) return setError(problem.field === "token" ? { message: problem.message } : problem);
    if (response.data?.completeSetup.__typename === "CompleteSetupSuccess") {
      signIn(response.data.completeSetup.data.token);
      navigate("/settings", { replace: true });
    }
  }

  const shownError =
    error ??
    (!token
      ? { message: "This page needs the setup link the server printed when it started (or `pnpm tuneloop setup`)." }
      : linkError
        ? { message: describeError(linkError) ?? "This link cannot be used" }
        : null);
  return (
    <AccountCard
      title="Set up your organization"
      error={shownError}
      busy={result.fetching}
      submitLabel={result.fetching ? "Creating…" : "Create organization"}
      onSubmit={submit}
    >
      <p className="muted">You become its admin: you can then invite your team from Settings.</p>
      <AccountField
        id="organization"
        label="Organization"
        value={form.organization}
        onChange={set("organization")}
        error={error}
        autoComplete="organization"
      />
      <AccountField id="name" label="Your name" value={form.name} onChange={set("name")} error={error} autoComplete="name" />
      <AccountField
        id="email"
        label="Your email"
        type="email"
        value={form.email}
        onChange={set("email")}
        error={error}
        autoComplete="username"
      />
      <AccountField
        id="password"
        label="Password"
        type="password"
        value={form.password}
        onChange={set("password")}
        error={error}
        autoComplete="new-password"
        help="At least 10 characters."
      />
    </AccountCard>
  );
}
