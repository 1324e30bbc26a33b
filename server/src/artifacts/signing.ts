import { createHmac, timingSafeEqual } from "node:crypto";

// Download links carry their own authorization: an HMAC over the artifact,
// the expiry and the user the link was made for, so the route needs no session
// and a link can be handed to a browser, curl or a trainer.
export const DOWNLOAD_LINK_SECONDS = 24 * 3600;

export type SignedDownload = { artifactId: string; expires: number; userId: string | null };

function mac(secret: string, link: SignedDownload): Buffer {
  return createHmac("sha256", secret)
    .update(`artifact:${link.artifactId}:${link.expires}:${link.userId ?? ""}`)
    .digest();
}

/** The query string of a download link, valid for `seconds` from `now`. */
export function signDownload(
  secret: string,
  artifactId: string,
  userId: string | null,
  now = Date.now(),
  seconds = DOWNLOAD_LINK_SECONDS,
): string {
  const expires = Math.floor(now / 1000) + seconds;
  const params = new URLSearchParams({ expires: String(expires) });
  if (userId) params.set("u", userId);
  params.set("signature", mac(secret, { artifactId, expires, userId }).toString("base64url"));
  return params.toString();
}

/** Checks a link's query; returns what it grants, or why not. */
export function verifyDownload(
  secret: string,
  artifactId: string,
  query: URLSearchParams,
  now = Date.now(),
): { ok: true; link: SignedDownload } | { ok: false; reason: "invalid" | "expired" } {
  const expires = Number(query.get("expires"));
  const signature = Buffer.from(query.get("signature") ?? "", "base64url");
  if (!Number.isInteger(expires) || signature.length === 0) return { ok: false, reason: "invalid" };
  const link = { artifactId, expires, userId: query.get("u") || null };
  const expected = mac(secret, link);
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return { ok: false, reason: "invalid" };
  if (expires * 1000 < now) return { ok: false, reason: "expired" };
  return { ok: true, link };
}
