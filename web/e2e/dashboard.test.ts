import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium, openPage, signIn, screenshot, expectNoConsoleErrors, type TestPage } from "./browser";
import { api, baseUrl } from "./context";
import { DRIVEN_GPU, TrainerRun, lossPoints, type Point } from "../src/testing/trainer";
import { startTrainer, tinyRun } from "./trainerProcess";

// The dashboard in a real browser against a real server: the production
// build, served by the API server on one origin, Chromium driving it.

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

const chartPoints = async (name: string) => Number(await page.getByTestId(`chart-${name}`).getAttribute("data-points"));

describe("dashboard in Chromium", () => {
  it("creates a job from the form, then shows the real trainer's curve growing live", async () => {
    // Short chats and a template that points at the trainer's tiny base model: the run takes seconds.
    const datasetName = `Short chats ${unique()}`;
    await uploadDataset(datasetName, shortChats(40));
    const seedJob = await api().createJob(engineer, { name: `template seed ${unique()}`, overrides: tinyRun(8) });
    const templateName = `Tiny model ${unique()}`;
    const saved = await api().gql(
      `mutation($j: ID!, $n: String!) { saveJobAsTemplate(jobId: $j, name: $n, description: "Tiny base model, for tests") { __typename ... on SaveJobAsTemplateSuccess { data { id } } } }`,
      { j: seedJob, n: templateName },
      engineer,
    );
    expect(saved.saveJobAsTemplate.__typename).toBe("SaveJobAsTemplateSuccess");

    page = await openPage(browser);
    await signIn(page, baseUrl());
    await page.getByRole("table", { name: "Training jobs" }).waitFor();
    await page.getByText("Engineer", { exact: true }).waitFor();
    await screenshot(page, "jobs");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New job" }).click();
    await page.getByLabel("Start from a template").selectOption({ label: `${templateName} (Balanced)` });
    await page.getByLabel("Dataset", { exact: true }).selectOption({ label: `${datasetName} — 40 conversations` });
    await page.getByText("First 3 conversations").waitFor();
    await page.getByLabel("GPU").selectOption(DRIVEN_GPU);
    const name = `Form job ${unique()}`;
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Tags").fill("e2e, tiny");
    await page.getByRole("button", { name: /Advanced options/ }).click();
    await expect.poll(() => page.getByLabel("LoRA rank (r)").inputValue()).toBe("4");
    await page.getByTestId("estimate-cost").waitFor();
    await screenshot(page, "new-job");
    await page.getByRole("button", { name: "Review" }).click();
    await page.getByRole("heading", { name: "Review and start" }).waitFor();
    await screenshot(page, "new-job-review");
    await page.getByRole("button", { name: "Start training" }).click();
    await page.waitForURL((url) => /^\/jobs\/[^/]+$/.test(url.pathname) && url.pathname !== "/jobs/new");
    const jobId = page.url().split("/").pop()!;
    await page.getByRole("heading", { name }).waitFor();
    await page.locator('.status-head [data-status="QUEUED"]').waitFor();

    // The real trainer (its CLI, in its own process) claims the job and trains it. Its model cache is
    // empty, as on a new user's machine: the first job builds the base model, and the stage card says so.
    const freshCache = mkdtempSync(join(tmpdir(), "tuneloop-e2e-models-"));
    const worker = startTrainer(baseUrl(), await workerKey(), ["--once", "--gpu-types", DRIVEN_GPU, "--metrics-every", "1"], {
      TUNELOOP_MODEL_CACHE: freshCache,
    });
    try {
      const building = page.getByTestId("stage-progress");
      await building
        .getByText(/^Building the demo base model tuneloop-llama-tiny \(first use; cached afterwards\): \d+%/)
        .waitFor({ timeout: 60_000 });
      expect(await page.getByRole("progressbar", { name: "Model loading progress" }).getAttribute("aria-valuenow")).toMatch(/^\d+$/);
      await screenshot(page, "job-detail-building-base-model");
      await page.locator('.status-head [data-status="TRAINING"]').waitFor({ timeout: 60_000 });
      expect(await building.count()).toBe(0);
      await expect.poll(() => chartPoints("train_loss-val_loss"), { timeout: 30_000 }).toBeGreaterThan(0);
      const early = await chartPoints("train_loss-val_loss");
      await screenshot(page, "job-detail-training");
      // Without a reload, the curve keeps growing as reports arrive.
      await expect.poll(() => chartPoints("train_loss-val_loss"), { timeout: 30_000 }).toBeGreaterThan(early + 5);
      await page.locator('.status-head [data-status="COMPLETED"]').waitFor({ timeout: 90_000 });
      expect(await worker.exited, worker.output()).toBe(0);
    } finally {
      worker.child.kill();
      await api()
        .cancelJob(engineer, jobId)
        .catch(() => {}); // a run that did not finish must not be claimed by the next test
      rmSync(freshCache, { recursive: true, force: true });
    }
    // One line per happening: no stage appears twice in the event log.
    const messages = await page
      .locator(".events .event-message")
      .evaluateAll((items) => items.map((item) => item.firstChild?.textContent ?? ""));
    expect(messages.filter((m) => /^Reading the dataset/.test(m))).toHaveLength(1);
    expect(messages.filter((m) => /^Building the demo base model .*: 100%$/.test(m))).toHaveLength(1);
    const { job } = await api().gql(`query($id: ID!) { job(id: $id) { status currentStep config tags } }`, { id: jobId }, engineer);
    expect(job.status).toBe("COMPLETED");
    expect(job.config).toMatchObject({ baseModel: "tuneloop-llama-tiny", rank: 4 });
    expect(job.tags).toEqual(["e2e", "tiny"]);
    // Every step the trainer reported is on the chart (one point per step, fewer than the chart's width).
    await expect.poll(async () => (await chartPoints("train_loss-val_loss")) >= job.currentStep).toBe(true);
    await page.getByRole("link", { name: "Download adapter", exact: true }).waitFor();
    await screenshot(page, "job-detail-completed");

    // A tooltip names the series and its value at the step under the pointer.
    const lossChart = page.getByTestId("chart-train_loss-val_loss").locator("svg").first();
    const box = (await lossChart.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page
      .getByTestId("chart-train_loss-val_loss")
      .getByText(/^Training loss \d/)
      .waitFor();
    await screenshot(page, "job-detail-tooltip");
    // Zooming in asks the server for that range in detail.
    await page.getByRole("button", { name: "Zoom in on Loss" }).click();
    await page
      .getByTestId("chart-train_loss-val_loss")
      .getByText(/^steps \d+–\d+$/)
      .waitFor();
    expect(await page.getByRole("button", { name: "Zoom out of Loss" }).isEnabled()).toBe(true);
  }, 120_000); // the first job also builds the base model, on two cores shared with the rest of the suite

  it("updates the jobs list live and cancels a running job", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `Cancel ${unique()}` });
    page = await openPage(browser);
    await signIn(page, baseUrl());
    const row = page.locator(`tr[data-job-id="${run.jobId}"]`);
    await row.getByText("Provisioning").waitFor();
    await run.beginTraining(100);
    await run.metrics(lossPoints(1, 30));
    // No reload: the row follows the job.
    await row.getByText("Training").waitFor();
    await row.getByText("30%").waitFor();

    await row.getByRole("link").click();
    await page.getByRole("button", { name: "Cancel job" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Reason (optional)").fill("testing cancel");
    await screenshot(page, "cancel-dialog");
    await dialog.getByRole("button", { name: "Cancel job" }).click();
    await page.getByText("Cancelled", { exact: true }).first().waitFor();
    await page.getByText("Cancelled: testing cancel").waitFor();
    expect(await page.getByRole("button", { name: "Cancel job" }).count()).toBe(0);

    // The event log exports what it shows (here: status changes only), as JSON.
    await page.getByLabel("Type").selectOption("status_changed");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("region", { name: "Event log" }).getByRole("button", { name: "Export JSON" }).click(),
    ]);
    const exported = JSON.parse(await readFile((await download.path())!, "utf8"));
    expect(exported.jobId).toBe(run.jobId);
    expect(exported.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(["status_changed"]));
    expect(exported.events.every((e: { type: string }) => e.type === "status_changed")).toBe(true);
    expect(exported.events.at(-1).message).toBe("Cancelled: testing cancel");
  });

  it("retries a failed job with its suggested fix, after showing the diff", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `OOM ${unique()}`, overrides: { batchSize: 16 } });
    await run.beginTraining(100);
    await run.metrics(lossPoints(1, 12));
    await run.fail("OutOfMemoryError", "CUDA out of memory. Tried to allocate 3.2 GiB");
    page = await openPage(browser);
    await signIn(page, baseUrl());
    await page.goto(`${baseUrl()}/jobs/${run.jobId}`);
    await page
      .getByText(/CUDA out of memory/)
      .first()
      .waitFor();
    await page.locator(".stage-time").filter({ hasText: "~" }).first().waitFor();
    await screenshot(page, "job-detail-failed");
    await page.getByRole("button", { name: "Retry…" }).click();
    const dialog = page.getByRole("dialog");
    const diff = dialog.getByTestId("settings-diff");
    await expect.poll(() => diff.textContent()).toContain("- Batch size: 16");
    await screenshot(page, "retry-dialog");
    await dialog.getByRole("button", { name: "Retry with these changes" }).click();
    await page.waitForURL((url) => !url.pathname.endsWith(run.jobId));
    await page.getByRole("heading", { name: /^Changed from OOM/ }).waitFor();
    const retryId = page.url().split("/").pop()!;
    const { job } = await api().gql(`query($id: ID!) { job(id: $id) { status config retryOf { id } } }`, { id: retryId }, engineer);
    expect(job.retryOf.id).toBe(run.jobId);
    expect(job.config.batchSize).toBeLessThan(16);
    await api().cancelJob(engineer, retryId); // no worker will run it here
  });

  it("compares two runs: overlaid curves, best values highlighted, CSV export", async () => {
    const word = unique();
    const runs = [];
    for (const [scale, rank] of [
      [1, 16],
      [1.3, 8],
    ]) {
      const run = await TrainerRun.start(api(), engineer, { name: `Compare ${word} r${rank}`, overrides: { rank } });
      await run.beginTraining(60);
      await run.metrics(lossPoints(1, 60).map((p: Point) => (p.name === "learning_rate" ? p : { ...p, value: p.value * scale })));
      await run.complete();
      runs.push(run.jobId);
    }
    page = await openPage(browser);
    await signIn(page, baseUrl());
    await page.getByLabel("Search").fill(`Compare ${word}`);
    for (const rank of [16, 8]) await page.getByLabel(`Select Compare ${word} r${rank} to compare`).check();
    await page.getByRole("button", { name: "Compare (2)" }).click();
    await page.waitForURL(/\/compare\?ids=/);
    const table = page.getByRole("table", { name: /Side-by-side comparison/ });
    await table.waitFor();
    const bestLoss = table
      .getByRole("row")
      .filter({ has: page.getByRole("rowheader", { name: "Latest training loss" }) })
      .locator("td.best");
    await expect.poll(() => bestLoss.count()).toBe(1);
    await page.locator(".chart svg").first().waitFor();
    await screenshot(page, "compare");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    const csv = await readFile((await download.path())!, "utf8");
    expect(csv).toContain(`"Compare ${word} r16","Compare ${word} r8"`);
    expect(csv).toContain(`"LoRA rank","16","8"`);
  });

  it("shows the datasets page and an upload's errors by line", async () => {
    page = await openPage(browser);
    await page.goto(`${baseUrl()}/login`);
    await page.getByText("Demo accounts").click();
    await screenshot(page, "login");
    await signIn(page, baseUrl());
    await page.getByRole("link", { name: "Datasets" }).click();
    await page.getByRole("button", { name: "Financial advisor voice (demo)" }).click();
    await page.getByText("First 3 conversations").waitFor();
    const lines = [
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}',
      "not json at all",
      '{"messages":[]}',
    ];
    await page
      .getByLabel("JSON Lines file")
      .setInputFiles({ name: "broken.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(lines.join("\n")) });
    await page.getByRole("button", { name: "Upload and validate" }).click();
    const region = page.getByRole("region", { name: "Dataset broken" });
    await region.getByText("Line 2", { exact: true }).waitFor();
    await region.getByText("Line 3", { exact: true }).waitFor();
    await screenshot(page, "datasets");
  });

  it("lets an owner create an API key and see the channels and delivery log in settings", async () => {
    page = await openPage(browser);
    await signIn(page, baseUrl(), "owner");
    await page.getByRole("link", { name: "Settings" }).click();
    const form = page.getByRole("form", { name: "New API key" });
    await form.getByLabel("Key name").fill(`Browser key ${unique()}`);
    await form.getByRole("button", { name: "Create key" }).click();
    expect(await form.getByLabel("Your new API key").inputValue()).toMatch(/^tlk_/);
    await page.getByRole("button", { name: "Add channel" }).waitFor();
    await page.getByRole("heading", { name: "Delivery log" }).waitFor();
    await screenshot(page, "settings");
  });

  it("shows the budget page's alert history readably and the month's jobs a page at a time", async () => {
    const owner = await api().login("owner");
    const setBudget = (usd: number) =>
      api().gql(`mutation($i: UpdateBudgetInput!) { updateBudget(input: $i) { __typename } }`, { i: { monthlyBudgetUsd: usd } }, owner);
    // A budget below what the month's jobs already spent crosses every threshold: the alerts fill the history.
    await setBudget(0.0001);
    try {
      page = await openPage(browser);
      await signIn(page, baseUrl(), "owner");
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Budget" }).click();
      const alert = page.locator(".alert-item").first();
      await alert.waitFor();
      // The message has the card's width, under its badge (not squeezed into a column beside it).
      const [badge, message] = await Promise.all([
        alert.locator(".badge").boundingBox(),
        alert.locator(".alert-item-message").boundingBox(),
      ]);
      expect(message!.y).toBeGreaterThanOrEqual(badge!.y + badge!.height);
      expect(message!.width).toBeGreaterThan(400);
      await page.getByTestId("budget-jobs-shown").waitFor();
      await screenshot(page, "budget");
    } finally {
      await setBudget(500);
    }
  });

  it("stays usable in a narrow window", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `Narrow ${unique()}` });
    await run.beginTraining(80);
    await run.metrics(lossPoints(1, 40));
    page = await openPage(browser, { width: 400, height: 860 });
    await signIn(page, baseUrl());
    await page.getByRole("table", { name: "Training jobs" }).waitFor();
    await screenshot(page, "jobs-narrow");
    await page.goto(`${baseUrl()}/jobs/${run.jobId}`);
    await page.locator(".chart svg").first().waitFor();
    // Nothing wider than the window: no sideways scrolling of the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
    await screenshot(page, "job-detail-narrow");
  });
});

const TOPICS = [
  ["taxes", "Lower rates, fewer loopholes."],
  ["the budget", "Balance it within four years."],
  ["trade", "Open markets, fair rules."],
  ["savings", "Put aside a tenth of each pay."],
  ["debt", "Pay the costly loans first."],
];

/** Chats short enough for the tiny base model's 64-token context. */
function shortChats(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const [topic, answer] = TOPICS[i % TOPICS.length];
    return JSON.stringify({
      messages: [
        { role: "user", content: `What about ${topic}?` },
        { role: "assistant", content: answer },
      ],
    });
  }).join("\n");
}

/** Uploads a dataset through the GraphQL multipart request, as the SPA does. */
async function uploadDataset(name: string, jsonl: string) {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({
      query: `mutation($n: String!, $f: Upload!) { uploadDataset(name: $n, file: $f) { __typename ... on UploadDatasetSuccess { data { id } } } }`,
      variables: { n: name, f: null },
    }),
  );
  form.append("map", JSON.stringify({ 0: ["variables.f"] }));
  form.append("0", new Blob([jsonl]), "chats.jsonl");
  const response = await fetch(`${baseUrl()}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${engineer}`, "graphql-require-preflight": "1" },
    body: form,
  });
  const body = await response.json();
  expect(body.data?.uploadDataset.__typename, JSON.stringify(body)).toBe("UploadDatasetSuccess");
}

async function workerKey() {
  const data = await api().gql(`mutation { createApiKey(name: "e2e trainer", scopes: [WORKER]) { key } }`, {}, await api().login("owner"));
  return data.createApiKey.key as string;
}
