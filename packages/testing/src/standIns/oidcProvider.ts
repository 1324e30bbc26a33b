import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

// A real OpenID Provider (oidc-provider) on a local port, for the SSO tests.
// Its interaction step signs in whichever account the test chose (`signInAs`)
// without a form, so a browser or a fetch with a cookie jar only follows redirects.

export type TestAccount = { email: string; name?: string; emailVerified?: boolean; groups?: string[] };

export type TestOidcProvider = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account the next interaction signs in; null: the person cancels (access_denied). */
  signInAs(account: TestAccount | null): void;
  stop(): Promise<void>;
};

export async function startTestOidcProvider(redirectUri: string | string[]): Promise<TestOidcProvider> {
  let account: TestAccount | null = { email: "someone@example.com" };
  let provider: Provider | null = null;
  const server: Server = createServer((req, res) => {
    if (!provider) return res.writeHead(503).end();
    if (req.url?.startsWith("/interaction/"))
      return void signIn(provider, req, res).catch((error) => res.writeHead(500).end(String(error)));
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "tuneloop-test";
  const clientSecret = "test-client-secret-with-enough-entropy";
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: ([] as string[]).concat(redirectUri),
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    jwks: { keys: [{ ...signingKey, alg: "RS256", use: "sig", kid: "test" }] },
    // Groups come with the profile scope, as a Keycloak group mapper or an Okta groups claim would send them.
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        email: account?.email,
        email_verified: account?.emailVerified ?? true,
        name: account?.name,
        groups: account?.groups ?? [],
      }),
    }),
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ["test-cookie-key"] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
  });

  /** Logs in the chosen account and grants what the client asked for: no form, no consent page. */
  async function signIn(
    p: Provider,
    req: Parameters<Provider["interactionDetails"]>[0],
    res: Parameters<Provider["interactionDetails"]>[1],
  ) {
    if (!account)
      return void (await p.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "The person cancelled the sign-in" },
        { mergeWithLastSubmission: false },
      ));
    const details = await p.interactionDetails(req, res);
    const accountId = `sub-${account.email}`;
    const grant = new p.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await p.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (next) => void (account = next),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
