import { randomBytes, timingSafeEqual } from "node:crypto";
import * as oidc from "openid-client";
import type { AppServices, Context } from "../context.js";
import type { SsoAttempt } from "../generated/sqlite/client.js";
import { AppError } from "../errors.js";
import { audit } from "../audit/service.js";
import { createSession } from "../auth/service.js";
import { hashToken } from "../auth/tokens.js";
import { usableLink } from "../members/links.js";
import { CALLBACK_PATH, publicBase } from "./settings.js";
import { discover, innermost } from "./provider.js";
import { joinWithSso, type SsoIdentity } from "./members.js";

// Single sign-on with OpenID Connect: the authorization code flow with PKCE
// (openid-client). The state, nonce and PKCE verifier stay on the server (one
// SsoAttempt row); the browser holds the state in a short-lived cookie, so an
// answer from the provider is taken only in the browser that started it. The
// outcome — a member to sign in, or the error — waits on the row for the web
// app, which takes it once with a one-time code (`completeSsoSignIn`): the
// session token itself never travels in a URL.

const ATTEMPT_MS = 10 * 60_000;
const SCOPES = "openid email profile";
export const STATE_COOKIE = "tuneloop_sso";
/** The code the web app gets when no attempt matches the browser (no cookie, expired): completing it answers NOT_FOUND. */
export const UNKNOWN_ATTEMPT = "unknown";

type Sources = Pick<AppServices, "db" | "config" | "keys" | "listeningUrl">;

/** Settings of an organization that signs in with SSO; a typed error when it does not. */
export async function enabledSettings(db: Sources["db"], orgSlug: string) {
  const org = await db.organization.findUnique({ where: { slug: orgSlug }, include: { ssoSettings: true } });
  if (!org?.ssoSettings?.enabled)
    throw new AppError("NOT_FOUND", `No organization "${orgSlug}" signs in with single sign-on here`, "organization");
  return { org, settings: org.ssoSettings };
}

/**
 * Begins a sign-in: stores the attempt and returns the provider's
 * authorization URL and the state for the browser's cookie.
 */
export async function startSsoSignIn(services: Sources, orgSlug: string, invitationToken: string | null) {
  const { org, settings } = await enabledSettings(services.db, orgSlug);
  const invitation = invitationToken ? await usableLink(services.db, "INVITATION", invitationToken) : null;
  if (invitation && invitation.orgId !== org.id) throw new AppError("VALIDATION", "This invitation is for another organization", "token");
  const config = await discover(services.keys, settings);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  await services.db.ssoAttempt.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  await services.db.ssoAttempt.create({
    data: {
      orgId: org.id,
      stateHash: hashToken(state),
      nonce,
      codeVerifier,
      invitationId: invitation?.id ?? null,
      expiresAt: new Date(Date.now() + ATTEMPT_MS),
    },
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: publicBase(services) + CALLBACK_PATH,
    scope: SCOPES,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  return { url, state };
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The provider's answer. Checks the state against the browser's cookie, the
 * issuer, then (openid-client) the code with its PKCE verifier and the ID
 * token's signature, issuer, audience and nonce; maps the claims to a member.
 * Returns the one-time code for the web app (the outcome, success or error, is on the attempt).
 */
export async function finishSsoSignIn(
  services: Sources,
  callbackUrl: URL,
  cookieState: string | null,
  clientAddress: string | null,
): Promise<string> {
  const attempt = cookieState ? await services.db.ssoAttempt.findUnique({ where: { stateHash: hashToken(cookieState) } }) : null;
  if (!attempt || attempt.resultHash || attempt.expiresAt < new Date()) return UNKNOWN_ATTEMPT;
  let outcome: { userId: string } | { error: AppError };
  let email: string | null = null;
  try {
    const result = await signInFromAnswer(services, attempt, callbackUrl, cookieState!);
    email = result.email;
    outcome = { userId: await joinWithSso({ ...services, clientAddress }, attempt, result) };
  } catch (error) {
    if (!(error instanceof AppError)) console.error("single sign-on failed", error);
    outcome = {
      error:
        error instanceof AppError
          ? error
          : new AppError("VALIDATION", "The identity provider's answer could not be checked: try again", "sso"),
    };
  }
  const code = randomBytes(32).toString("base64url");
  const claimed = await services.db.ssoAttempt.updateMany({
    where: { id: attempt.id, resultHash: null },
    data:
      "userId" in outcome
        ? { resultHash: hashToken(code), userId: outcome.userId }
        : {
            resultHash: hashToken(code),
            errorCode: outcome.error.code,
            errorMessage: outcome.error.message,
            errorField: outcome.error.field,
          },
  });
  if (claimed.count !== 1) return UNKNOWN_ATTEMPT;
  if ("error" in outcome) {
    await audit({ db: services.db, viewer: null, clientAddress }, "auth.sso_sign_in_failed", {
      orgId: attempt.orgId,
      actorId: null,
      after: { email, code: outcome.error.code, reason: outcome.error.message },
    });
  }
  return code;
}

async function signInFromAnswer(services: Sources, attempt: SsoAttempt, callbackUrl: URL, cookieState: string): Promise<SsoIdentity> {
  const params = callbackUrl.searchParams;
  if (!sameText(params.get("state") ?? "", cookieState))
    throw new AppError(
      "VALIDATION",
      "This answer from the identity provider does not belong to the sign-in started in this browser (state): start again",
      "state",
    );
  const settings = await services.db.ssoSettings.findUnique({ where: { orgId: attempt.orgId } });
  if (!settings?.enabled) throw new AppError("NOT_FOUND", "Single sign-on was turned off for this organization", "organization");
  if (params.get("error"))
    throw new AppError(
      "UNAUTHENTICATED",
      `The identity provider refused the sign-in: ${(params.get("error_description") ?? params.get("error"))!.slice(0, 200)}`,
      "sso",
    );
  const config = await discover(services.keys, settings);
  // RFC 9207: the answer names its issuer, so a mix-up with another provider is caught before the code is spent.
  const iss = params.get("iss");
  if (iss !== null && iss !== config.serverMetadata().issuer)
    throw new AppError("VALIDATION", "The answer came from a different identity provider than this organization's (issuer)", "issuer");
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: attempt.codeVerifier,
      expectedState: cookieState,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    const { claim, message } = innermost(error);
    if (claim === "nonce")
      throw new AppError("VALIDATION", "The identity provider's ID token was not made for this sign-in (nonce): start again", "nonce");
    if (claim === "iss" || /"iss"/.test(message))
      throw new AppError("VALIDATION", "The ID token was issued by a different identity provider (issuer)", "issuer");
    throw new AppError("VALIDATION", `The identity provider did not complete the sign-in: ${message}`, "sso");
  }
  const idClaims = tokens.claims()!;
  // Claims the ID token leaves out (many providers keep email and groups for userinfo) come from userinfo, for the same subject.
  const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub).catch(() => ({}) as oidc.UserInfoResponse);
  const claims: Record<string, unknown> = { ...info, ...idClaims };
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  if (!email)
    throw new AppError("VALIDATION", "The identity provider sent no email address: allow the email scope for this application", "email");
  if (claims.email_verified === false)
    throw new AppError("FORBIDDEN", "The identity provider has not verified this email address", "email");
  const roleClaim = claims[settings.roleClaim];
  const roleValues = (Array.isArray(roleClaim) ? roleClaim : roleClaim == null ? [] : [roleClaim]).map(String);
  return { email, name: typeof claims.name === "string" && claims.name.trim() ? claims.name.trim() : null, roleValues, settings };
}

/** The web app's side: the one-time code becomes a session (exactly as a password sign-in makes one), or the attempt's error. */
export async function completeSsoSignIn(ctx: Context, code: string): Promise<string> {
  const expired = new AppError("NOT_FOUND", "This single sign-on attempt expired or is unknown: start again", "sso");
  if (!code || code === UNKNOWN_ATTEMPT) throw expired;
  const attempt = await ctx.db.ssoAttempt.findUnique({ where: { resultHash: hashToken(code) } });
  if (!attempt || attempt.expiresAt < new Date()) throw expired;
  const { count } = await ctx.db.ssoAttempt.updateMany({ where: { id: attempt.id, usedAt: null }, data: { usedAt: new Date() } });
  if (count !== 1) throw expired;
  if (!attempt.userId)
    throw new AppError(
      (attempt.errorCode ?? "VALIDATION") as AppError["code"],
      attempt.errorMessage ?? "Single sign-on failed",
      attempt.errorField,
    );
  const token = await createSession(ctx.db, attempt.userId, ctx.clientAddress, attempt.orgId);
  await audit({ db: ctx.db, viewer: null, clientAddress: ctx.clientAddress }, "auth.signed_in", {
    orgId: attempt.orgId,
    actorId: attempt.userId,
    target: { type: "User", id: attempt.userId },
    after: { method: "sso" },
  });
  return token;
}
