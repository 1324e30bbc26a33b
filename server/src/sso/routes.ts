import type { HttpRoute } from "../app.js";
import { AppError } from "../errors.js";
import { clientAddressOf } from "../auth/clientAddress.js";
import { CALLBACK_PATH, publicBase } from "./settings.js";
import { finishSsoSignIn, startSsoSignIn, STATE_COOKIE, UNKNOWN_ATTEMPT } from "./signIn.js";

// The browser's two stops in single sign-on: start (to the provider) and the
// provider's callback (back to the web app's sign-in page, which takes the outcome).

const START = /^\/auth\/sso\/([^/]+)\/start$/;

function stateCookie(value: string, maxAgeSeconds: number, secure: boolean) {
  // Lax: sent on the provider's top-level redirect back, not on cross-site subrequests.
  return `${STATE_COOKIE}=${value}; Path=/auth/sso; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=") || null;
  }
  return null;
}

const redirect = (res: Parameters<HttpRoute>[1], location: string, cookie?: string) => {
  res.writeHead(302, { location, "cache-control": "no-store", ...(cookie && { "set-cookie": cookie }) });
  res.end();
};

export const ssoRoutes: HttpRoute = async (req, res, services) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const start = url.pathname.match(START);
  if ((!start && url.pathname !== CALLBACK_PATH) || req.method !== "GET") return false;
  const base = publicBase(services);
  const secure = base.startsWith("https:");
  if (start) {
    const counted = await services.rateLimits.take("ssoStarts", clientAddressOf(req, services.config) ?? "unknown");
    if (!counted.allowed) {
      res.writeHead(429, { "content-type": "text/plain; charset=utf-8", "retry-after": String(counted.resetSeconds) });
      res.end(`Too many single sign-on attempts from this address: try again in ${Math.ceil(counted.resetSeconds / 60)} minute(s).`);
      return true;
    }
    try {
      // The invitation token (from an invitation link) rides in the query only for this step; it is spent within the sign-in.
      const begun = await startSsoSignIn(services, decodeURIComponent(start[1]), url.searchParams.get("invitation"));
      redirect(res, begun.url.href, stateCookie(begun.state, 600, secure));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The sign-in page checked these before sending the browser here (ssoStart): only a stale or hand-made link gets here.
      redirect(res, `${base}/login#sso=${UNKNOWN_ATTEMPT}`);
    }
    return true;
  }
  const code = await finishSsoSignIn(
    services,
    new URL(base + CALLBACK_PATH + url.search),
    readCookie(req.headers.cookie, STATE_COOKIE),
    clientAddressOf(req, services.config),
  );
  redirect(res, `${base}/login#sso=${code}`, stateCookie("", 0, secure));
  return true;
};
