import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { decryptSecret } from "../compute/secrets.js";
import { startTestOidcProvider, type TestAccount, type TestOidcProvider } from "@tuneloop/testing/standIns/oidcProvider";

// Single sign-on against a real OpenID provider (oidc-provider) on a local
// port: the browser's path is followed over HTTP with a cookie jar, through the
// provider's interaction and back to the callback, then the sign-in page's
// exchange of the one-time code (completeSsoSignIn).

let app: TestApp;
let idp: TestOidcProvider;
let admin: string;
const DOMAIN = "sso.example.com";
const unique = () => Math.random().toString(36).slice(2, 8);

/** Cookies by name: the app and the provider share 127.0.0.1, and cookies ignore ports. */
class CookieJar {
  private cookies = new Map<string, string>();
  header = () => [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  take(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const name = pair.slice(0, pair.indexOf("="));
      const gone = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split("=")[1]) < new Date()),
      );
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(pair.indexOf("=") + 1));
    }
  }
}

/** Follows redirects like a browser until `stop` says so; returns the URL it stopped at. */
async function follow(jar: CookieJar, from: string, stop: (url: URL) => boolean): Promise<URL> {
  let url = new URL(from);
  for (let hop = 0; hop < 12 && !stop(url); hop++) {
    const response = await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.take(response);
    const location = response.headers.get("location");
    if (!location) throw new Error(`${url} answered ${response.status} without a redirect: ${await response.text()}`);
    url = new URL(location, url);
  }
  return url;
}

const isCallback = (url: URL) => url.pathname === "/auth/sso/callback";
const isLogin = (url: URL) => url.pathname === "/login";

async function startPath(args: { organization?: string; email?: string; invitationToken?: string }) {
  const result = await app.gql(`query($o: String, $e: String, $i: String) { ssoStart(organization: $o, email: $e, invitationToken: $i) }`, {
    o: args.organization,
    e: args.email,
    i: args.invitationToken,
  });
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.ssoStart as string;
}

/** From the sign-in page's answer (`/login#sso=CODE`) to a session or the typed error. */
async function complete(loginUrl: URL) {
  const code = new URLSearchParams(loginUrl.hash.slice(1)).get("sso");
  const result = await app.gql(
    `mutation($c: String!) { completeSsoSignIn(code: $c) { __typename ... on AppError { code message field } ... on CompleteSsoSignInSuccess { data { token } } } }`,
    { c: code },
  );
  return result.data!.completeSsoSignIn as {
    __typename: string;
    code?: string;
    message?: string;
    field?: string;
    data?: { token: string };
  };
}

/** The whole round trip for one account; `tamper` may change the provider's answer before the callback gets it. */
async function signInWithSso(
  account: TestAccount | null,
  options: { start?: Parameters<typeof startPath>[0]; tamper?: (callback: URL) => URL | Promise<URL> } = {},
) {
  idp.signInAs(account);
  const jar = new CookieJar();
  let callback = await follow(jar, app.url + (await startPath(options.start ?? { organization: "demo" })), isCallback);
  if (options.tamper) callback = await options.tamper(callback);
  return complete(await follow(jar, callback.href, isLogin));
}

async function configure(input: Record<string, unknown>, token = admin) {
  const result = await app.gql(
    `mutation($i: SsoSettingsInput!) { updateSsoSettings(input: $i) { __typename ... on AppError { code message field } ... on UpdateSsoSettingsSuccess { data { issuer clientSecretSet allowedDomains roleRules { value role } } } } }`,
    {
      i: {
        enabled: true,
        issuer: idp.issuer,
        clientId: idp.clientId,
        allowedDomains: [DOMAIN],
        roleClaim: "groups",
        roleRules: [{ value: "ml-leads", role: "OWNER" }],
        defaultRole: "ENGINEER",
        createMembers: true,
        ...input,
      },
    },
    token,
  );
  return result.data?.updateSsoSettings ?? result.errors;
}

const me = async (token: string) => (await app.gql(`{ me { email name role organization { slug } } }`, {}, token)).data!.me;
const userCount = (email: string) => app.services.db.user.count({ where: { email } });
const lastAudit = (action: string) => app.services.db.auditEvent.findFirst({ where: { action }, orderBy: { createdAt: "desc" } });

beforeAll(async () => {
  app = await startTestApp();
  idp = await startTestOidcProvider(`${app.url}/auth/sso/callback`);
  admin = await app.session("admin");
  const saved = await configure({ clientSecret: idp.clientSecret });
  expect(saved.__typename).toBe("UpdateSsoSettingsSuccess");
});
afterAll(async () => {
  await idp?.stop();
  await app?.stop();
});

describe("SSO settings", () => {
  it("keeps the client secret write-only and records the change without it", async () => {
    const read = await app.gql(
      `{ ssoSettings { issuer clientId clientSecretSet allowedDomains defaultRole createMembers } ssoRedirectUri }`,
      {},
      admin,
    );
    expect(read.data.ssoSettings).toEqual({
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecretSet: true,
      allowedDomains: [DOMAIN],
      defaultRole: "ENGINEER",
      createMembers: true,
    });
    expect(read.data.ssoRedirectUri).toBe(`${app.url}/auth/sso/callback`);
    // Saving without a secret keeps the stored one.
    expect((await configure({ clientSecret: null })).data.clientSecretSet).toBe(true);
    // Stored encrypted, with the key the compute credentials use.
    const stored = await app.services.db.ssoSettings.findFirstOrThrow({ select: { clientSecret: true } });
    expect(stored.clientSecret).not.toContain(idp.clientSecret);
    expect(decryptSecret(stored.clientSecret!, app.services.keys.computeSecrets)).toBe(idp.clientSecret);
    const record = await lastAudit("sso.settings_changed");
    expect(record?.after).toMatchObject({ issuer: idp.issuer, clientSecretSet: true });
    expect(JSON.stringify(record)).not.toContain(idp.clientSecret);
  });

  it("refuses bad settings and roles the caller may not give", async () => {
    expect(await configure({ issuer: "http://idp.example.com" })).toMatchObject({ code: "VALIDATION", field: "issuer" });
    expect(await configure({ issuer: `${idp.issuer}/nowhere` })).toMatchObject({
      code: "VALIDATION",
      field: "issuer",
      message: expect.stringContaining("could not be reached"),
    });
    // The same provider under another name: its discovery document names its own issuer, not this one.
    expect(await configure({ issuer: idp.issuer.replace("127.0.0.1", "localhost") })).toMatchObject({
      code: "VALIDATION",
      field: "issuer",
      message: expect.stringContaining("different issuer"),
    });
    expect(await configure({ allowedDomains: [] })).toMatchObject({ code: "VALIDATION", field: "allowedDomains" });
    expect(await configure({ allowedDomains: ["not a domain"] })).toMatchObject({ code: "VALIDATION", field: "allowedDomains" });
    const owner = await app.session("owner");
    expect(await configure({ roleRules: [{ value: "x", role: "ADMIN" }] }, owner)).toMatchObject({ code: "FORBIDDEN", field: "roleRules" });
    const engineer = await app.session("engineer");
    const refused = await configure({}, engineer);
    expect(refused[0]?.extensions?.code ?? refused.code).toBe("FORBIDDEN");
    expect((await app.gql(`{ ssoSettings { clientSecretSet } }`, {}, engineer)).errors?.[0].extensions.code).toBe("FORBIDDEN");
  });
});

describe("SSO sign-in", () => {
  it("creates a member on first sign-in with the role the groups claim maps to, then signs the same member in again", async () => {
    const email = `lead-${unique()}@${DOMAIN}`;
    const first = await signInWithSso({ email, name: "Ana Lead", groups: ["staff", "ml-leads"] }, { start: { email } });
    expect(first.__typename).toBe("CompleteSsoSignInSuccess");
    expect(await me(first.data!.token)).toEqual({ email, name: "Ana Lead", role: "OWNER", organization: { slug: "demo" } });
    const user = await app.services.db.user.findUniqueOrThrow({ where: { email } });
    expect(user.passwordHash).toBeNull();
    expect(await lastAudit("member.joined")).toMatchObject({ actorId: user.id, after: { email, role: "OWNER", via: "sso" } });
    expect(await lastAudit("auth.signed_in")).toMatchObject({ actorId: user.id, after: { method: "sso" } });

    const again = await signInWithSso({ email, groups: [] });
    expect(await me(again.data!.token)).toMatchObject({ email, role: "OWNER" });
    expect(await app.services.db.membership.count({ where: { userId: user.id } })).toBe(1);
  });

  it("signs an existing member in with their own role (the role rules are for new members)", async () => {
    const result = await signInWithSso({ email: `qa@demo.tuneloop.dev`, groups: ["ml-leads"] }, { start: { organization: "demo" } });
    // demo.tuneloop.dev is not an allowed domain yet: refused, nothing changed.
    expect(result).toMatchObject({ code: "FORBIDDEN", field: "email" });
    await configure({ allowedDomains: [DOMAIN, "demo.tuneloop.dev"] });
    try {
      const signedIn = await signInWithSso({ email: `qa@demo.tuneloop.dev`, groups: ["ml-leads"] });
      expect(await me(signedIn.data!.token)).toMatchObject({ email: "qa@demo.tuneloop.dev", role: "QA" });
    } finally {
      await configure({ allowedDomains: [DOMAIN] });
    }
  });

  it("refuses a disallowed email domain, creates nothing and records the failure", async () => {
    const email = `someone-${unique()}@elsewhere.example.org`;
    const result = await signInWithSso({ email });
    expect(result).toMatchObject({ __typename: "AppError", code: "FORBIDDEN", field: "email" });
    expect(result.message).toContain("elsewhere.example.org");
    expect(await userCount(email)).toBe(0);
    expect(await lastAudit("auth.sso_sign_in_failed")).toMatchObject({ after: { email, code: "FORBIDDEN" } });
  });

  it("requires an invitation when the settings say so, and joins through one with the invitation's role", async () => {
    await configure({ createMembers: false });
    try {
      const email = `invited-${unique()}@${DOMAIN}`;
      expect(await signInWithSso({ email, groups: ["ml-leads"] })).toMatchObject({
        code: "FORBIDDEN",
        field: "email",
        message: expect.stringContaining("invitation"),
      });
      expect(await userCount(email)).toBe(0);

      const invited = await app.gql(
        `mutation($e: String!) { inviteMember(email: $e, role: QA) { ... on InviteMemberSuccess { data { link invitation { id } } } } }`,
        { e: email },
        admin,
      );
      const { link, invitation } = invited.data.inviteMember.data;
      const token = new URL(link).hash.replace("#token=", "");
      // Someone else signing in with this invitation's link is refused.
      expect(await signInWithSso({ email: `other-${unique()}@${DOMAIN}` }, { start: { invitationToken: token } })).toMatchObject({
        code: "FORBIDDEN",
        field: "email",
      });

      const joined = await signInWithSso({ email, groups: ["ml-leads"] }, { start: { invitationToken: token } });
      expect(await me(joined.data!.token)).toMatchObject({ email, role: "QA" });
      const used = await app.services.db.accountLink.findUniqueOrThrow({ where: { id: invitation.id } });
      expect(used.usedAt).not.toBeNull();
    } finally {
      await configure({ createMembers: true });
    }
  });

  it("refuses an answer with the wrong state, nonce or issuer, and creates nothing", async () => {
    const cases: [string, (callback: URL) => URL | Promise<URL>][] = [
      ["state", (callback) => withParam(callback, "state", "forged-state")],
      ["issuer", (callback) => withParam(callback, "iss", "https://attacker.example.com")],
      [
        "nonce",
        async (callback) => {
          // The provider's ID token carries the nonce the sign-in started with; the server now expects another.
          await app.services.db.ssoAttempt.updateMany({ where: { usedAt: null, resultHash: null }, data: { nonce: "another-nonce" } });
          return callback;
        },
      ],
    ];
    for (const [field, tamper] of cases) {
      const email = `tampered-${field}-${unique()}@${DOMAIN}`;
      const result = await signInWithSso({ email }, { tamper });
      expect(result, field).toMatchObject({ __typename: "AppError", code: "VALIDATION", field });
      expect(await userCount(email)).toBe(0);
    }
  });

  it("says so when the person cancels at the identity provider", async () => {
    expect(await signInWithSso(null)).toMatchObject({
      code: "UNAUTHENTICATED",
      field: "sso",
      message: "The identity provider refused the sign-in: The person cancelled the sign-in",
    });
  });

  it("takes an answer only in the browser that started the sign-in, and each outcome once", async () => {
    idp.signInAs({ email: `twice-${unique()}@${DOMAIN}` });
    const jar = new CookieJar();
    const callback = await follow(jar, app.url + (await startPath({ organization: "demo" })), isCallback);
    // Another browser (no state cookie) bringing the same answer gets nothing.
    expect(await complete(await follow(new CookieJar(), callback.href, isLogin))).toMatchObject({ code: "NOT_FOUND", field: "sso" });
    const landing = await follow(jar, callback.href, isLogin);
    expect((await complete(landing)).__typename).toBe("CompleteSsoSignInSuccess");
    expect(await complete(landing)).toMatchObject({ code: "NOT_FOUND" });
  });

  it("says why a sign-in cannot start", async () => {
    const errorOf = async (args: Record<string, string>) =>
      (await app.gql(`query($o: String, $e: String) { ssoStart(organization: $o, email: $e) }`, args)).errors?.[0].extensions;
    expect(await errorOf({ o: "no-such-org" })).toMatchObject({ code: "NOT_FOUND", field: "organization" });
    expect(await errorOf({ e: "x@unknown-domain.example" })).toMatchObject({ code: "NOT_FOUND", field: "email" });
  });
});

function withParam(url: URL, name: string, value: string) {
  const changed = new URL(url);
  changed.searchParams.set(name, value);
  return changed;
}
