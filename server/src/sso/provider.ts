import * as oidc from "openid-client";
import type { ServerKeys } from "../serverKeys.js";
import type { SsoSettings } from "../generated/sqlite/client.js";
import { AppError } from "../errors.js";
import { decryptSecret } from "../compute/secrets.js";

// The organization's identity provider, as openid-client sees it.

export const isLoopback = (hostname: string) => hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/** The provider's configuration from its discovery document; openid-client checks that it names the configured issuer. */
export async function discover(keys: ServerKeys, settings: SsoSettings): Promise<oidc.Configuration> {
  const issuer = new URL(settings.issuer);
  const secret = settings.clientSecret === null ? null : readSecret(keys, settings.clientSecret);
  const auth = secret ? oidc.ClientSecretPost(secret) : oidc.None();
  try {
    // Plain http is accepted only from a provider on this machine (settings.ts refuses any other http issuer).
    return await oidc.discovery(
      issuer,
      settings.clientId,
      secret ?? undefined,
      auth,
      isLoopback(issuer.hostname) ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
  } catch (error) {
    const wrongIssuer = /\bissuer\b/.test(innermost(error).message);
    throw new AppError(
      "VALIDATION",
      wrongIssuer
        ? "The identity provider's discovery document names a different issuer: check the issuer URL"
        : "The identity provider could not be reached or did not answer as an OpenID provider: check the issuer URL",
      "issuer",
    );
  }
}

function readSecret(keys: ServerKeys, stored: string): string {
  try {
    return decryptSecret(stored, keys.computeSecrets);
  } catch {
    throw new AppError(
      "VALIDATION",
      "The stored client secret cannot be read (the server's secrets key changed): an owner or admin must enter it again",
      "clientSecret",
    );
  }
}

/**
 * What openid-client's error is about: it wraps oauth4webapi's, whose cause
 * names the ID token claim that failed its check (`claim`).
 */
export function innermost(error: unknown): { claim?: string; message: string } {
  let message = (error as Error)?.message ?? String(error);
  for (
    let cause = error as { cause?: unknown; message?: string; claim?: string } | undefined;
    cause && typeof cause === "object";
    cause = cause.cause as typeof cause
  ) {
    if (typeof cause.claim === "string") return { claim: cause.claim, message };
    if (typeof cause.message === "string") message = cause.message;
  }
  return { message };
}
