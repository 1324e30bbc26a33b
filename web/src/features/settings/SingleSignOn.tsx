import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import type { Role } from "../../graphql/graphql";
import { errorFor, mutationError, type FieldError } from "../../errors";
import { ErrorMessage, FieldMessage, Loading, SaveActions } from "../../components/States";
import { useMe } from "../../components/Layout";
import { RoleSelect } from "./RoleSelect";

const SsoSettingsQuery = graphql(`
  query SsoSettings {
    ssoRedirectUri
    ssoSettings {
      enabled
      issuer
      clientId
      clientSecretSet
      allowedDomains
      roleClaim
      roleRules {
        value
        role
      }
      defaultRole
      createMembers
    }
  }
`);

const UpdateSsoSettings = graphql(`
  mutation UpdateSsoSettings($input: SsoSettingsInput!) {
    updateSsoSettings(input: $input) {
      __typename
      ...AppErrorFields
      ... on UpdateSsoSettingsSuccess {
        data {
          clientSecretSet
        }
      }
    }
  }
`);

type Rule = { value: string; role: Role };
type Form = {
  enabled: boolean;
  issuer: string;
  clientId: string;
  clientSecret: string;
  domains: string;
  roleClaim: string;
  rules: Rule[];
  defaultRole: Role;
  createMembers: boolean;
};

/** Owners and admins: sign-in through the organization's identity provider (OpenID Connect). */
export function SingleSignOn() {
  // The roles offered come with the viewer's permissions: nothing to offer before they arrive.
  const me = useMe();
  return me ? <SingleSignOnWith roles={me.permissions.grantableRoles} /> : <Loading label="Loading single sign-on…" />;
}

function SingleSignOnWith({ roles }: { roles: Role[] }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: SsoSettingsQuery });
  const [form, setForm] = useState<Form | null>(null);
  const [problem, setProblem] = useState<FieldError | null>(null);
  const [saved, setSaved] = useState(false);
  const [result, update] = useMutation(UpdateSsoSettings);
  const settings = data?.ssoSettings;

  useEffect(() => {
    if (!data || form) return;
    setForm({
      enabled: settings?.enabled ?? true,
      issuer: settings?.issuer ?? "",
      clientId: settings?.clientId ?? "",
      clientSecret: "",
      domains: settings?.allowedDomains.join(", ") ?? "",
      roleClaim: settings?.roleClaim ?? "groups",
      rules: settings?.roleRules.map((r) => ({ value: r.value, role: r.role })) ?? [],
      defaultRole: settings?.defaultRole ?? "ENGINEER",
      createMembers: settings?.createMembers ?? false,
    });
  }, [data, form, settings]);

  const set = (patch: Partial<Form>) => {
    setSaved(false);
    setForm((f) => f && { ...f, ...patch });
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!form) return;
    setProblem(null);
    const response = await update({
      input: {
        enabled: form.enabled,
        issuer: form.issuer,
        clientId: form.clientId,
        // Left empty: keep the stored secret.
        clientSecret: form.clientSecret || null,
        allowedDomains: form.domains.split(/[\s,]+/).filter(Boolean),
        roleClaim: form.roleClaim,
        roleRules: form.rules.filter((r) => r.value.trim()),
        defaultRole: form.defaultRole,
        createMembers: form.createMembers,
      },
    });
    const failure = mutationError(response, "updateSsoSettings");
    if (failure) return setProblem(failure);
    set({ clientSecret: "" });
    setSaved(true);
    refetch({ requestPolicy: "network-only" });
  }

  const fieldError = (...fields: string[]) => errorFor(problem, ...fields);
  const unclaimed =
    problem &&
    !["issuer", "clientId", "clientSecret", "allowedDomains", "roleClaim", "roleRules", "defaultRole"].includes(problem.field ?? "")
      ? problem.message
      : null;
  return (
    <section className="card" aria-labelledby="sso-title">
      <h2 id="sso-title">Single sign-on</h2>
      <p className="muted">
        Let people sign in through your identity provider (OpenID Connect: Okta, Keycloak, Google, Microsoft Entra…). Register Tuneloop
        there as a web application with this redirect URI and the scopes <code>openid email profile</code>:
      </p>
      {data && (
        <code className="sso-redirect" data-testid="sso-redirect-uri">
          {data.ssoRedirectUri}
        </code>
      )}
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!form && fetching && <Loading label="Loading single sign-on settings…" />}
      {form && (
        <form onSubmit={submit} aria-label="Single sign-on settings" noValidate>
          <label className="checkbox">
            <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Sign-in with single
            sign-on is on
          </label>
          <div className="field">
            <label htmlFor="sso-issuer">Issuer URL</label>
            <input
              id="sso-issuer"
              type="url"
              value={form.issuer}
              placeholder="https://login.example.com/realms/acme"
              onChange={(e) => set({ issuer: e.target.value })}
              aria-invalid={Boolean(fieldError("issuer"))}
              aria-describedby="sso-issuer-message"
            />
            <FieldMessage id="sso-issuer-message" error={fieldError("issuer")} />
          </div>
          <div className="field">
            <label htmlFor="sso-client-id">Client ID</label>
            <input
              id="sso-client-id"
              value={form.clientId}
              onChange={(e) => set({ clientId: e.target.value })}
              aria-invalid={Boolean(fieldError("clientId"))}
              aria-describedby="sso-client-id-message"
            />
            <FieldMessage id="sso-client-id-message" error={fieldError("clientId")} />
          </div>
          <div className="field">
            <label htmlFor="sso-client-secret">Client secret</label>
            <input
              id="sso-client-secret"
              type="password"
              autoComplete="off"
              value={form.clientSecret}
              onChange={(e) => set({ clientSecret: e.target.value })}
              aria-describedby="sso-client-secret-message"
            />
            <FieldMessage id="sso-client-secret-message" error={fieldError("clientSecret")}>
              {settings?.clientSecretSet
                ? "A secret is stored (it is never shown). Leave empty to keep it."
                : "Not set: the provider must then accept a public client (PKCE alone)."}
            </FieldMessage>
          </div>
          <div className="field">
            <label htmlFor="sso-domains">Allowed email domains</label>
            <input
              id="sso-domains"
              value={form.domains}
              placeholder="example.com, example.org"
              onChange={(e) => set({ domains: e.target.value })}
              aria-invalid={Boolean(fieldError("allowedDomains"))}
              aria-describedby="sso-domains-message"
            />
            <FieldMessage id="sso-domains-message" error={fieldError("allowedDomains")}>
              Only these domains' accounts may sign in this way; people can also type one on the sign-in page to find your organization.
            </FieldMessage>
          </div>
          <fieldset className="field">
            <legend>New people</legend>
            <label className="checkbox">
              <input type="radio" name="sso-new" checked={!form.createMembers} onChange={() => set({ createMembers: false })} /> Need an
              invitation (they join with its role)
            </label>
            <label className="checkbox">
              <input type="radio" name="sso-new" checked={form.createMembers} onChange={() => set({ createMembers: true })} /> Join at their
              first sign-in, with the role below
            </label>
          </fieldset>
          <div className="field">
            <label htmlFor="sso-role-claim">Role claim</label>
            <input
              id="sso-role-claim"
              value={form.roleClaim}
              onChange={(e) => set({ roleClaim: e.target.value })}
              aria-invalid={Boolean(fieldError("roleClaim"))}
              aria-describedby="sso-role-claim-message"
            />
            <FieldMessage id="sso-role-claim-message" error={fieldError("roleClaim", "roleRules")}>
              The first rule whose value this claim holds gives a new member's role.
            </FieldMessage>
          </div>
          {form.rules.map((rule, index) => (
            <div className="field-row sso-rule" key={index}>
              <div className="field">
                <label htmlFor={`sso-rule-value-${index}`}>Claim holds</label>
                <input
                  id={`sso-rule-value-${index}`}
                  value={rule.value}
                  onChange={(e) => set({ rules: form.rules.map((r, i) => (i === index ? { ...r, value: e.target.value } : r)) })}
                />
              </div>
              <div className="field">
                <label htmlFor={`sso-rule-role-${index}`}>Role</label>
                <RoleSelect
                  id={`sso-rule-role-${index}`}
                  roles={roles}
                  value={rule.role}
                  onChange={(role) => set({ rules: form.rules.map((r, i) => (i === index ? { ...r, role } : r)) })}
                />
              </div>
              <button
                type="button"
                className="button button-danger-quiet"
                aria-label={`Remove rule ${index + 1}`}
                onClick={() => set({ rules: form.rules.filter((_, i) => i !== index) })}
              >
                Remove
              </button>
            </div>
          ))}
          <button type="button" className="button" onClick={() => set({ rules: [...form.rules, { value: "", role: roles[0] }] })}>
            Add a role rule
          </button>
          <div className="field">
            <label htmlFor="sso-default-role">Role when no rule matches</label>
            <RoleSelect
              id="sso-default-role"
              roles={roles}
              value={form.defaultRole}
              onChange={(defaultRole) => set({ defaultRole })}
              aria-describedby="sso-default-role-message"
            />
            <FieldMessage id="sso-default-role-message" error={fieldError("defaultRole")} />
          </div>
          <SaveActions error={unclaimed} label="Save single sign-on" saving={result.fetching} saved={saved} />
        </form>
      )}
    </section>
  );
}
