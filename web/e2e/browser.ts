import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { expect } from "vitest";

// Headless Debian Chromium, one page per test, with every console error and
// uncaught exception collected so a test can assert there were none.

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOTS = new URL("./screenshots/", import.meta.url).pathname;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

export type TestPage = Page & { consoleErrors: string[] };

export async function openPage(browser: Browser, viewport = { width: 1360, height: 900 }): Promise<TestPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = (await context.newPage()) as TestPage;
  page.consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => page.consoleErrors.push(`uncaught: ${error.message}`));
  return page;
}

export async function signIn(page: Page, baseUrl: string, role = "engineer") {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email").fill(`${role}@demo.tuneloop.dev`);
  await page.getByLabel("Password").fill("demo");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/jobs$/);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // From the top, so that sticky bars sit where a reader expects them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

export function expectNoConsoleErrors(page: TestPage) {
  expect(page.consoleErrors, "console errors in the browser").toEqual([]);
}
