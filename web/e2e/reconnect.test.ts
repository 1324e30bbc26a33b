import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium, openPage, signIn, screenshot, type TestPage } from "./browser";
import { makeApi } from "../src/testing/api";
import { TrainerRun, lossPoints } from "../src/testing/trainer";

// A server restart while a job page is open: the page says it is reconnecting,
// then catches up by itself (re-query, resubscribe after the last step) — no reload.

type App = { url: string; start(port?: number): Promise<string>; stop(): Promise<void> };
type Server = { buildApp(config: unknown): Promise<App>; testConfig(dataDir: string): Record<string, unknown> };

const root = new URL("../../", import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), "tuneloop-e2e-restart-"));
let server: Server;
let config: Record<string, unknown>;
let app: App;
let browser: Browser;
let page: TestPage;

beforeAll(async () => {
  const [{ buildApp }, { testConfig }] = await Promise.all([
    import(/* @vite-ignore */ `${root}server/src/app.ts`),
    import(/* @vite-ignore */ `${root}packages/testing/src/app.ts`),
  ]);
  server = { buildApp, testConfig };
  config = { ...server.testConfig(dataDir), webDist: `${root}web/dist`, leaseSeconds: 600 };
  app = await server.buildApp(config);
  await app.start(0);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("recovers by itself after the server restarts", async () => {
  const api = makeApi(app.url);
  const engineer = await api.login("engineer");
  const run = await TrainerRun.start(api, engineer, { name: "Restart survivor" });
  await run.beginTraining(100);
  await run.metrics(lossPoints(1, 20));

  page = await openPage(browser);
  await signIn(page, app.url);
  await page.goto(`${app.url}/jobs/${run.jobId}`);
  const step = page.getByTestId("current-step");
  await expect.poll(() => step.textContent()).toBe("20 of 100");
  await expect.poll(async () => Number(await page.getByTestId("chart-train_loss-val_loss").getAttribute("data-points"))).toBe(22);

  const port = Number(new URL(app.url).port);
  await app.stop();
  await page.getByText("Reconnecting… live updates paused").waitFor({ timeout: 20_000 });
  await screenshot(page, "job-detail-reconnecting");

  app = await server.buildApp(config);
  await app.start(port);
  // Reported while the page is still away or just back: it must all arrive.
  await run.metrics(lossPoints(21, 40));
  await expect.poll(() => step.textContent(), { timeout: 20_000 }).toBe("40 of 100");
  await expect
    .poll(async () => Number(await page.getByTestId("chart-train_loss-val_loss").getAttribute("data-points")), { timeout: 10_000 })
    .toBe(44);
  await page.getByText("Reconnecting… live updates paused").waitFor({ state: "detached" });

  // Live again: a new report shows without a reload.
  await run.metrics(lossPoints(41, 45));
  await expect.poll(() => step.textContent(), { timeout: 5_000 }).toBe("45 of 100");
  // The only console errors are the browser's own reports of the refused connections during the outage.
  const unexpected = page.consoleErrors.filter(
    (e) => !/WebSocket connection to .* failed|Failed to load resource|ERR_CONNECTION_REFUSED/.test(e),
  );
  expect(unexpected).toEqual([]);
});
