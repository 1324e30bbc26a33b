import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, openPage, expectNoConsoleErrors, type TestPage } from "./browser";
import { startTestApp, type TestApp } from "../../packages/testing/src/app";
import { startSmtpReceiver } from "../../packages/testing/src/standIns/notificationReceivers";
import { createSetupLink } from "../../server/src/members/account";
import { waitFor } from "../../packages/testing/src/waitFor";
import { createJob, uploadDataset } from "../../packages/testing/src/fixtures";

// A team's first day in a real browser, on a fresh server of its own without
// the demo: the setup link creates the organization and its admin, who invites
// a colleague (the email caught by a real local SMTP server), changes their
// role, removes them, and opens a second organization.

let browser: Browser;
let app: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let admin: TestPage;
let colleague: TestPage;
const ADMIN = { org: "Acme Advisory", name: "Ada Acme", email: "ada@acme.dev", password: "a long admin password" };
const COLLEAGUE = { name: "Nia Colleague", email: "nia@acme.dev", password: "a long colleague password" };

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  app = await startTestApp({
    seedDemo: false,
    smtpUrl: smtp.url,
    webDist: new URL("../dist", import.meta.url).pathname,
  });
  browser = await launchChromium();
});
afterAll(async () => {
  for (const page of [admin, colleague]) {
    if (page && !page.isClosed()) {
      expectNoConsoleErrors(page);
      await page.context().close();
    }
  }
  await browser?.close();
  await app?.stop();
  await smtp?.close();
});

describe("a team in Chromium", () => {
  it("the setup link creates the organization and its admin, who lands signed in", async () => {
    // As the server prints it at start when there is no organization (server/src/main.ts).
    const link = await createSetupLink(app.services, {}, app.url);
    expect(link).toMatch(`${app.url}/setup#token=`);
    admin = await openPage(browser);
    await admin.goto(link!);
    await admin.getByLabel("Organization", { exact: true }).fill(ADMIN.org);
    await admin.getByLabel("Your name", { exact: true }).fill(ADMIN.name);
    await admin.getByLabel("Your email", { exact: true }).fill(ADMIN.email);
    await admin.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await admin.getByRole("button", { name: "Create organization" }).click();
    await admin.waitForURL(/\/settings$/);
    await admin.locator(".user").getByText(ADMIN.name).waitFor();
    expect(await admin.locator(".user-role").textContent()).toBe("Admin");
    expect((await app.gql(`{ setupRequired }`)).data.setupRequired).toBe(false);
  });

  it("invites a colleague by email, who joins with a name and password and sees the jobs", async () => {
    const members = admin.getByRole("region", { name: "Members" });
    await members.getByLabel("Email", { exact: true }).fill(COLLEAGUE.email);
    await members.getByLabel("Role", { exact: true }).selectOption("ENGINEER");
    await members.getByRole("button", { name: "Send invitation" }).click();
    await members.getByText(`Invitation emailed to ${COLLEAGUE.email}`).waitFor();
    await members.getByRole("table", { name: "Invitations" }).getByText(COLLEAGUE.email).waitFor();

    const mail = await waitFor(
      "the invitation email",
      async () => smtp.mails.find((m) => JSON.stringify(m.to).includes(COLLEAGUE.email) && m.text?.includes("/accept-invitation#token=")),
      10_000,
    );
    const link = mail.text!.match(/https?:\/\/\S+\/accept-invitation#token=[\w-]+/)![0];
    expect(link.startsWith(app.url)).toBe(true);

    colleague = await openPage(browser);
    await colleague.goto(link);
    await colleague.getByLabel("Your name", { exact: true }).fill(COLLEAGUE.name);
    await colleague.getByLabel("Choose a password", { exact: true }).fill(COLLEAGUE.password);
    await colleague.getByRole("button", { name: "Join", exact: true }).click();
    await colleague.waitForURL(/\/jobs$/);
    await colleague.getByRole("heading", { name: "Training jobs" }).waitFor();
    await colleague.locator(".user").getByText(COLLEAGUE.name).waitFor();
    expect(await colleague.locator(".user-role").textContent()).toBe("Engineer");
    // Engineers may start jobs.
    await colleague.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New job" }).waitFor();
  });

  it("a role change shows on the colleague's next page load; removing them ends their session", async () => {
    await admin.reload();
    const members = admin.getByRole("region", { name: "Members" });
    await members.getByLabel(`Role of ${COLLEAGUE.name}`).selectOption("QA");
    await expect.poll(() => members.getByLabel(`Role of ${COLLEAGUE.name}`).inputValue()).toBe("QA");

    await colleague.reload();
    await colleague.getByRole("heading", { name: "Training jobs" }).waitFor();
    expect(await colleague.locator(".user-role").textContent()).toBe("Qa");
    // QA reads, so the "New job" link is gone.
    expect(await colleague.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New job" }).count()).toBe(0);

    await members.getByRole("button", { name: `Remove ${COLLEAGUE.name}` }).click();
    await admin.getByRole("button", { name: "Remove member" }).click();
    await members.getByText(/^Removed /).waitFor();

    await colleague.goto(`${app.url}/jobs`);
    await colleague.waitForURL(/\/login/);
    await colleague.getByLabel("Password", { exact: true }).waitFor();
  });

  it("the admin creates a second organization from the switcher; the jobs and members shown are the active one's", async () => {
    // A job in the first organization (made over the API: no training runs here).
    const login = await app.gql(`mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
      e: ADMIN.email,
      p: ADMIN.password,
    });
    const token = login.data.login.token;
    const chat = (q: string, a: string) =>
      JSON.stringify({
        messages: [
          { role: "user", content: q },
          { role: "assistant", content: a },
        ],
      });
    const dataset = await uploadDataset(app, token, "advice", [chat("q1", "a1"), chat("q2", "a2")].join("\n"));
    const job = await createJob(app, token, { name: "Acme advisor voice", settings: { datasetId: dataset.data.uploadDataset.data.id } });
    expect(job.data.createTrainingJob.__typename).toBe("CreateTrainingJobSuccess");

    await admin.goto(`${app.url}/jobs`);
    await admin.getByText("Acme advisor voice").waitFor();
    await admin.goto(`${app.url}/settings`);
    const switcher = admin.getByLabel("Organization", { exact: true });
    await switcher.selectOption({ label: "New organization…" });
    const dialog = admin.getByRole("dialog", { name: "New organization" });
    await dialog.getByLabel("Name").fill("Acme Labs");
    await dialog.getByRole("button", { name: "Create organization" }).click();

    const members = admin.getByRole("region", { name: "Members" });
    await expect.poll(async () => (await switcher.locator("option:checked").textContent()) ?? "").toBe("Acme Labs");
    await members.getByText(ADMIN.email).waitFor();
    expect(await members.getByText(COLLEAGUE.email).count()).toBe(0);
    await admin.goto(`${app.url}/jobs`);
    await admin.getByText("No training jobs yet").waitFor();
    expect(await admin.getByText("Acme advisor voice").count()).toBe(0);

    await switcher.selectOption({ label: ADMIN.org });
    await expect.poll(async () => (await switcher.locator("option:checked").textContent()) ?? "").toBe(ADMIN.org);
    await admin.getByText("Acme advisor voice").waitFor();
    await admin.goto(`${app.url}/settings`);
    await members.getByText(COLLEAGUE.email).waitFor();
  });
});
