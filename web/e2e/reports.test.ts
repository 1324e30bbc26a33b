import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, openPage, signIn, screenshot, expectNoConsoleErrors, type TestPage } from "./browser";
import { api, baseUrl } from "./context";
import { trainedJob } from "../src/testing/trainedJob";

// Proof for clients in a real browser: the before/after page of a validated
// job (trained and validated by the real worker), its share link as the client
// sees it, and the report library where the owner records the deal.

let browser: Browser;
let page: TestPage;
let jobId: string;
const name = `Proof e2e ${Math.random().toString(36).slice(2, 7)}`;

beforeAll(async () => {
  browser = await launchChromium();
  let runId: string;
  ({ jobId, runId } = await trainedJob(baseUrl(), name));
  const qa = await api().login("qa");
  const run = (await api().gql(`query($id:ID!){ validationRun(id:$id){ reviewItems { id criteria { id } } } }`, { id: runId }, qa))
    .validationRun;
  const first = run.reviewItems[0];
  await api().gql(
    `mutation($id:ID!,$s:[ReviewScoreInput!]!){ scoreReviewItem(itemId:$id, scores:$s){ __typename } }`,
    { id: first.id, s: [{ side: "A", criterion: first.criteria[0].id, score: 4 }] },
    qa,
  );
  await api().gql(`mutation($id:ID!){ closeReview(runId:$id){ __typename } }`, { id: runId }, qa);
}, 240_000);
afterAll(() => browser?.close());
afterEach(async () => {
  if (!page || page.isClosed()) return;
  expectNoConsoleErrors(page);
  await page.context().close();
});

describe("proof for clients in Chromium", () => {
  it("shows the before/after page, filters it, and shares it through the report's link", async () => {
    page = await openPage(browser);
    await signIn(page, baseUrl(), "owner");
    await page.goto(`${baseUrl()}/jobs/${jobId}/validation`);
    await page.getByRole("link", { name: /Before and after: the answers side by side/ }).click();
    await page.waitForURL(new RegExp(`/jobs/${jobId}/before-after$`));
    const table = page.getByRole("table", { name: "Prompts answered by the base and the fine-tuned model" });
    await table.waitFor();
    expect(await table.getByRole("row").count()).toBeGreaterThan(1);
    await screenshot(page, "before-after");
    await page.getByRole("button", { name: "Empathy" }).click();
    await page.getByText("No examples of this type").waitFor();
    expect(page.url()).toMatch(/\?type=EMPATHY$/);
    await page.getByRole("button", { name: "All" }).click();
    await table.waitFor();

    await page.getByRole("region", { name: "Sharing" }).getByRole("button", { name: "Create share link" }).click();
    const url = (await page.locator(".share-url").textContent())!;
    expect(url).toMatch(/\/share\/tlr_[\w-]+$/);
    // What the client opens: the report, then its before/after page, filtered with plain links.
    const client = await openPage(browser);
    await client.goto(url);
    await client.getByRole("heading", { name: "Executive summary" }).waitFor();
    await client.getByRole("link", { name: "Filter the examples by scenario type" }).click();
    await client.getByRole("heading", { name: `${name}: before and after` }).waitFor();
    await client.getByRole("navigation", { name: "Scenario type" }).getByRole("link", { name: "Empathy" }).click();
    await client.waitForURL(/before-after\?type=empathy$/);
    await client.getByText("No examples of this type in this validation.").waitFor();
    await client.context().close();
  });

  it("lists the report in the library, finds it, and records the won deal", async () => {
    page = await openPage(browser);
    await signIn(page, baseUrl(), "owner");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
    await page.getByRole("table", { name: "Report library" }).waitFor();
    await page.getByLabel("Search").fill(name);
    const row = page.getByRole("row").filter({ hasText: `Validation report: ${name}` });
    await row.waitFor();
    await row.getByRole("button", { name: `Record the deal for Validation report: ${name}` }).click();
    await row.getByLabel("Value (USD)").fill("20000");
    await row.getByLabel("Date").fill("2026-11-30");
    await row.getByRole("button", { name: "Save deal" }).click();
    await row.getByText("Won · $20,000.00 · 2026-11-30").waitFor();
    await screenshot(page, "report-library");
    await page.getByRole("combobox", { name: "Deal", exact: true }).selectOption("WON");
    await expect
      .poll(() =>
        page
          .getByRole("row")
          .filter({ hasText: `Validation report: ${name}` })
          .count(),
      )
      .toBe(1);
  });
});
