import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, openPage, signIn, screenshot, expectNoConsoleErrors, type TestPage } from "./browser";
import { baseUrl } from "./context";
import { startTestOidcProvider, type TestOidcProvider } from "../../packages/testing/src/standIns/oidcProvider";

// Single sign-on in a real browser: an admin sets it up in Settings, then a
// new colleague clicks "Sign in with SSO", passes through a real OpenID provider
// (oidc-provider, on a local port) and lands signed in.

let browser: Browser;
let idp: TestOidcProvider;
let page: TestPage;
const DOMAIN = "sso-e2e.example.com";

beforeAll(async () => {
  browser = await launchChromium();
  idp = await startTestOidcProvider(`${baseUrl()}/auth/sso/callback`);
});
afterAll(async () => {
  await browser?.close();
  await idp?.stop();
});
afterEach(async () => {
  if (!page || page.isClosed()) return;
  expectNoConsoleErrors(page);
  await page.context().close();
});

async function signInWithSso(organization: string) {
  await page.goto(`${baseUrl()}/login`);
  await page.getByRole("button", { name: "Sign in with SSO" }).click();
  await page.getByLabel("Organization or work email").fill(organization);
  await page.getByRole("button", { name: "Continue with SSO" }).click();
}

describe("single sign-on in Chromium", () => {
  it("is configured in Settings, then signs a new colleague in through the identity provider", async () => {
    page = await openPage(browser);
    await signIn(page, baseUrl(), "admin");
    await page.goto(`${baseUrl()}/settings`);
    const section = page.getByRole("region", { name: "Single sign-on" });
    await expect.poll(() => section.getByTestId("sso-redirect-uri").textContent()).toBe(`${baseUrl()}/auth/sso/callback`);
    await section.getByLabel("Issuer URL").fill(idp.issuer);
    await section.getByLabel("Client ID").fill(idp.clientId);
    await section.getByLabel("Client secret").fill(idp.clientSecret);
    await section.getByLabel("Allowed email domains").fill(DOMAIN);
    await section.getByLabel("Join at their first sign-in, with the role below").check();
    await section.getByRole("button", { name: "Add a role rule" }).click();
    await section.getByLabel("Claim holds").fill("ml-leads");
    await section.getByLabel("Role", { exact: true }).selectOption("OWNER");
    await section.getByRole("button", { name: "Save single sign-on" }).click();
    await section.getByText("Saved").waitFor();
    await section.getByText("A secret is stored (it is never shown)").waitFor();
    await screenshot(page, "settings-sso");
    await page.context().close();

    // A colleague nobody invited, in the group that maps to Owner.
    page = await openPage(browser);
    idp.signInAs({ email: `lee-${Date.now()}@${DOMAIN}`, name: "Lee Colleague", groups: ["ml-leads"] });
    await signInWithSso("demo");
    await page.waitForURL(/\/jobs$/);
    // Signed in as the new member, with the role the groups claim mapped to.
    const user = page.locator(".user");
    await user.getByText("Lee Colleague").waitFor();
    expect(await user.locator(".user-role").textContent()).toBe("Owner");
    await screenshot(page, "sso-signed-in");
  });

  it("shows on the sign-in page why the identity provider's account may not sign in", async () => {
    page = await openPage(browser);
    idp.signInAs({ email: "visitor@elsewhere.example.org" });
    await signInWithSso(`someone@${DOMAIN}`);
    await page.getByText("Accounts of elsewhere.example.org may not sign in to this organization with single sign-on").waitFor();
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(new URL(page.url()).hash).toBe("");
    await screenshot(page, "login-sso-refused");
  });
});
