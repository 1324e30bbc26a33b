import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { launchChromium, openPage, signIn, screenshot, expectNoConsoleErrors, type TestPage } from "./browser";
import { api, baseUrl } from "./context";
import { TrainerRun, lossPoints } from "../src/testing/trainer";

// History, comparison, templates and failures in a real browser against a real
// server: the trends table and quality column, a template started in one click,
// the comparison PDF, a failed job's error log and the trainer's CPU chart.

let browser: Browser;
let page: TestPage;
let engineer: string;
const unique = () => Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  browser = await launchChromium();
  engineer = await api().login("engineer");
});
afterAll(() => browser?.close());
afterEach(async () => {
  if (!page || page.isClosed()) return;
  expectNoConsoleErrors(page);
  await page.context().close();
});

describe("history, templates and failures in Chromium", () => {
  it("starts a job from a template in one click, compares runs into a PDF, and shows the month's trend", async () => {
    const word = unique();
    const first = await TrainerRun.start(api(), engineer, { name: `Trend A ${word}` });
    await first.beginTraining(20);
    await first.metrics(lossPoints(1, 20));
    await first.complete();
    const second = await TrainerRun.start(api(), engineer, { name: `Trend B ${word}`, preset: "AGGRESSIVE" });
    await second.beginTraining(20);
    await second.metrics(lossPoints(1, 20));
    await second.complete();
    const saved = await api().gql(
      `mutation($j:ID!,$n:String!){ saveJobAsTemplate(jobId:$j, name:$n, notes:"our best so far"){ __typename ... on SaveJobAsTemplateSuccess { data { id } } } }`,
      { j: first.jobId, n: `Best ${word}` },
      engineer,
    );
    expect(saved.saveJobAsTemplate.__typename).toBe("SaveJobAsTemplateSuccess");

    page = await openPage(browser);
    await signIn(page, baseUrl());
    // The jobs page: a Quality column to sort by, and the month's trend.
    await page
      .getByRole("columnheader", { name: /Quality/ })
      .getByRole("button")
      .click();
    await page.waitForURL(/sort=QUALITY/);
    const trends = page.getByRole("table", { name: /Jobs per month/ });
    await trends.getByRole("rowheader", { name: new Date().toISOString().slice(0, 7) }).waitFor();
    const csv = page.waitForEvent("download");
    await page.getByRole("button", { name: "History CSV" }).click();
    const history = await readFile(await (await csv).path());
    expect(history.toString()).toContain(`Trend A ${word}`);
    await screenshot(page, "jobs-trends");

    // Templates: what each keeps and how often it was used; one click starts a job.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
    const row = page.getByRole("row", { name: new RegExp(`Best ${word}`) });
    await row.getByText("0 times").waitFor();
    await row.getByText("our best so far").waitFor();
    await screenshot(page, "templates");
    await row.getByRole("button", { name: `Start a job from Best ${word}` }).click();
    await page.waitForURL(/\/jobs\/[^/]+$/);
    await page.getByRole("heading", { name: new RegExp(`^Best ${word} \\d{4}-\\d{2}-\\d{2}`) }).waitFor();
    const started = page.url().split("/").pop()!;
    await api().cancelJob(engineer, started);

    // Compare the two runs: estimates beside actuals, and the table as a PDF.
    await page.goto(`${baseUrl()}/compare?ids=${first.jobId},${second.jobId}`);
    const table = page.getByRole("table", { name: /Side-by-side comparison/ });
    await table.getByRole("rowheader", { name: "Estimated cost" }).waitFor();
    await table.getByRole("rowheader", { name: "Cost vs estimate" }).waitFor();
    const pdf = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export PDF" }).click();
    const bytes = await readFile(await (await pdf).path());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
  });

  it("shows a failed job's error log export and the trainer's CPU as a chart and in the metrics table", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `Out of memory ${unique()}` });
    await run.beginTraining(20);
    await run.metrics([...lossPoints(1, 5), ...[1, 2, 3, 4, 5].map((step) => ({ name: "cpu_percent", step, value: 180 + step }))]);
    await run.fail("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB");

    page = await openPage(browser);
    await signIn(page, baseUrl());
    await page.goto(`${baseUrl()}/jobs/${run.jobId}`);
    await page.getByRole("heading", { name: "Trainer process CPU (% of one core)" }).waitFor();
    await page.getByRole("rowheader", { name: "Trainer process CPU (% of one core)" }).waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export error log" }).click();
    const log = JSON.parse((await readFile(await (await download).path())).toString());
    expect(log.failure).toMatchObject({ errorType: "OutOfMemoryError", guidance: { errorType: "OutOfMemoryError" } });
    expect(log.events.length).toBeGreaterThan(3);
    await screenshot(page, "failed-job-error-log");
  });
});
