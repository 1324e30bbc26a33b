import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { SettingsPage } from "./SettingsPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

// The webhook receiver of the server's notification tests: a real HTTP server on this machine.
// Typed here rather than imported, as in globalSetup: the SPA's typecheck stays out of the server's code.
type Receiver = { url: string; requests: { path: string; body: string; answered: number }[]; close(): Promise<void> };
async function startReceiver(): Promise<Receiver> {
  const module = new URL("../../../../packages/testing/src/standIns/notificationReceivers.ts", import.meta.url).pathname;
  const { startHttpReceiver } = (await import(/* @vite-ignore */ module)) as { startHttpReceiver(): Promise<Receiver> };
  return startHttpReceiver();
}

const ME = `{ me { email } }`;
const unique = () => Math.random().toString(36).slice(2, 8);
const open = (token: string) => renderPage(<SettingsPage />, { token, path: "/settings", route: "/settings" });
/** The table row of a section (a region named by its heading) with a cell reading `text`. */
const rowOf = async (section: string, text: string) =>
  (await within(await screen.findByRole("region", { name: section })).findByText(text, { selector: "td" })).closest("tr")!;

describe("SettingsPage", () => {
  let owner: string;
  let engineer: string;
  let qa: string;
  let receiver: Receiver;
  beforeAll(async () => {
    [owner, engineer, qa] = await Promise.all([api().login("owner"), api().login("engineer"), api().login("qa")]);
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it("shows a new API key once, and the key works until it is revoked", async () => {
    const name = `CI pipeline ${unique()}`;
    open(engineer);
    const form = await screen.findByRole("form", { name: "New API key" });
    fireEvent.change(within(form).getByLabelText("Key name"), { target: { value: name } });
    expect((within(form).getByLabelText("Read") as HTMLInputElement).checked).toBe(true);
    expect(within(form).getByText(/Claim and run training jobs/)).toBeTruthy();
    fireEvent.click(within(form).getByRole("button", { name: "Create key" }));

    const shown = (await within(form).findByLabelText("Your new API key")) as HTMLInputElement;
    const key = shown.value;
    expect(key).toMatch(/^tlk_/);
    expect(within(form).getByText(/it will not be shown again/)).toBeTruthy();
    fireEvent.click(within(form).getByRole("button", { name: "Copy" }));
    await within(form).findByText("Copied to the clipboard");
    expect(await navigator.clipboard.readText()).toBe(key);
    expect((await api().gql(ME, {}, key)).me.email).toBe("engineer@demo.tuneloop.dev");

    // Listed by its prefix only; once dismissed, the key is gone from the page.
    expect((await rowOf("API keys", name)).textContent).toContain(`${key.slice(0, 10)}…`);
    fireEvent.click(within(form).getByRole("button", { name: "Done" }));
    expect(within(form).queryByLabelText("Your new API key")).toBeNull();

    fireEvent.click(within(await rowOf("API keys", name)).getByRole("button", { name: `Revoke ${name}` }));
    const dialog = screen.getByRole("dialog", { name: `Revoke “${name}”?` });
    fireEvent.click(within(dialog).getByRole("button", { name: "Revoke key" }));
    await waitFor(async () => expect((await rowOf("API keys", name)).textContent).toContain("Revoked"));
    expect((await api().gql(ME, {}, key)).me).toBeNull();
  });

  it("lets an owner add a webhook channel, refusing a bad URL next to its field, send a test and see it delivered", async () => {
    const name = `Ops receiver ${unique()}`;
    open(owner);
    fireEvent.click(await screen.findByRole("button", { name: "Add channel" }));
    const dialog = screen.getByRole("dialog", { name: "Add a notification channel" });
    fireEvent.click(within(dialog).getByLabelText("Webhook"));
    expect(within(dialog).getByText(/signed \(Standard Webhooks\)/)).toBeTruthy();
    fireEvent.change(within(dialog).getByLabelText("Name"), { target: { value: name } });
    const url = within(dialog).getByLabelText("URL");
    fireEvent.change(url, { target: { value: "ftp://127.0.0.1/hook" } });
    fireEvent.click(within(dialog).getByLabelText("Job completed"));
    fireEvent.click(within(dialog).getByRole("button", { name: "Add channel" }));
    const urlError = await within(dialog).findByText("The webhook URL must start with https://");
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(url.getAttribute("aria-describedby")).toBe(urlError.id);

    fireEvent.change(url, { target: { value: `${receiver.url}/settings` } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Add channel" }));
    const secret = (await within(dialog).findByLabelText(/Signing secret/)) as HTMLInputElement;
    expect(secret.value).toMatch(/^whsec_/);
    fireEvent.click(within(dialog).getByRole("button", { name: "Done" }));

    const row = await rowOf("Notification channels", name);
    expect(row.textContent).toContain("Webhook");
    expect(row.textContent).toContain(`${new URL(receiver.url).host}/…ings`);
    expect(row.textContent).not.toContain("Job completed");
    expect(row.textContent).toContain("Job failed");
    fireEvent.click(within(row).getByRole("button", { name: `Send test to ${name}` }));
    await screen.findByText(`Test sent to “${name}”: its result shows in the delivery log.`);

    const log = screen.getByRole("region", { name: "Delivery log" });
    const channelFilter = within(log).getByLabelText("Channel");
    fireEvent.change(channelFilter, {
      target: { value: (within(channelFilter).getByRole("option", { name }) as HTMLOptionElement).value },
    });
    await waitFor(
      () => {
        // The header and the test message: the other channels' deliveries are filtered out.
        expect(within(log).getAllByRole("row")).toHaveLength(2);
        const entry = within(log).getByText(`Test message for "${name}"`).closest("tr")!;
        expect(within(entry).getByText("Delivered")).toBeTruthy();
        expect(entry.textContent).toContain("200");
      },
      { timeout: 10_000 },
    );
    expect(receiver.requests.map((r) => [r.path, r.answered])).toEqual([["/settings", 200]]);
    expect(JSON.parse(receiver.requests[0].body)).toMatchObject({ type: "alert.test", data: { type: "TEST" } });

    // Off, then deleted after confirmation.
    fireEvent.click(within(row).getByLabelText(`Enabled: ${name}`));
    await waitFor(async () =>
      expect((within(await rowOf("Notification channels", name)).getByLabelText(`Enabled: ${name}`) as HTMLInputElement).checked).toBe(
        false,
      ),
    );
    fireEvent.click(within(await rowOf("Notification channels", name)).getByRole("button", { name: `Delete ${name}` }));
    fireEvent.click(within(screen.getByRole("dialog", { name: `Delete “${name}”?` })).getByRole("button", { name: "Delete channel" }));
    await waitFor(() =>
      expect(within(screen.getByRole("region", { name: "Notification channels" })).queryByText(name, { selector: "td" })).toBeNull(),
    );
  });

  it("lets an owner store SkyPilot credentials: the token is never shown again, only its last four", async () => {
    open(owner);
    const section = await screen.findByRole("region", { name: "Compute" });
    await waitFor(() => expect((within(section).getByRole("radio", { name: /^Local/ }) as HTMLInputElement).checked).toBe(true));
    // This server has no SkyPilot settings: the provider needs the organization's own credentials first.
    expect((within(section).getByRole("radio", { name: /^Skypilot/ }) as HTMLInputElement).disabled).toBe(true);

    const form = within(section).getByRole("form", { name: "Skypilot credentials" });
    fireEvent.change(within(form).getByLabelText("API server URL"), { target: { value: "not a url" } });
    fireEvent.change(within(form).getByLabelText("API token"), { target: { value: "sk-live-token-7c1d" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save Skypilot credentials" }));
    await waitFor(() => expect(within(form).getByLabelText("API server URL").getAttribute("aria-invalid")).toBe("true"));

    fireEvent.change(within(form).getByLabelText("API server URL"), { target: { value: "https://sky.example.com" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save Skypilot credentials" }));
    expect(await within(form).findByText(/Token set \(ends in …7c1d\)/)).toBeTruthy();
    expect((within(form).getByLabelText("API token") as HTMLInputElement).value).toBe("");
    expect(document.body.textContent).not.toContain("sk-live-token-7c1d");
    await waitFor(() => expect((within(section).getByRole("radio", { name: /^Skypilot/ }) as HTMLInputElement).disabled).toBe(false));

    fireEvent.click(within(form).getByRole("button", { name: "Remove Skypilot credentials" }));
    await waitFor(() => expect((within(section).getByRole("radio", { name: /^Skypilot/ }) as HTMLInputElement).disabled).toBe(true));
    cleanup();
    open(engineer);
    await screen.findByRole("region", { name: "API keys" });
    expect(screen.queryByRole("region", { name: "Compute" })).toBeNull();
  });

  it("shows engineers the channels read-only", async () => {
    const name = `Finance hook ${unique()}`;
    const created = await api().gql(
      `mutation($i:NotificationChannelInput!){ createNotificationChannel(input:$i){ ... on CreateNotificationChannelSuccess { data { channel { id } } } } }`,
      { i: { name, kind: "WEBHOOK", url: "https://hooks.example.com/finance", enabled: false } },
      owner,
    );
    try {
      open(engineer);
      const row = await rowOf("Notification channels", name);
      expect(row.textContent).toContain("https://hooks.example.com/…ance");
      expect(row.textContent).toContain("All alerts");
      expect(row.textContent).toContain("No");
      expect(screen.getByText(/Only owners and admins can add or change channels/)).toBeTruthy();
      expect(within(row).queryByRole("checkbox")).toBeNull();
      expect(within(row).queryByRole("button")).toBeNull();
      expect(screen.queryByRole("button", { name: "Add channel" })).toBeNull();
    } finally {
      await api().gql(
        `mutation($id:ID!){ deleteNotificationChannel(id:$id){ __typename } }`,
        { id: created.createNotificationChannel.data.channel.id },
        owner,
      );
    }
  });

  it("saves my notification preferences, which come back on the next visit", async () => {
    open(qa);
    const form = await screen.findByRole("form", { name: "My notification preferences" });
    expect(within(form).getByText(/using your role's defaults/)).toBeTruthy();
    fireEvent.click(within(form).getByLabelText("Job failed (with the fix to try)"));
    fireEvent.click(within(form).getByLabelText("Monthly budget spent"));
    fireEvent.click(within(form).getByLabelText(/Daily digest/));
    fireEvent.click(within(form).getByRole("button", { name: "Save my notifications" }));
    await within(form).findByText("Saved");

    cleanup();
    open(qa);
    const again = await screen.findByRole("form", { name: "My notification preferences" });
    const checked = (label: string | RegExp) => (within(again).getByLabelText(label) as HTMLInputElement).checked;
    expect([
      checked("Job failed (with the fix to try)"),
      checked("Monthly budget spent"),
      checked(/Daily digest/),
      checked("Job completed"),
    ]).toEqual([true, true, true, false]);
    expect(within(again).queryByText(/using your role's defaults/)).toBeNull();
  });

  it("filters the audit log by the groups of actions the server lists", async () => {
    open(owner);
    const log = await screen.findByRole("region", { name: "Audit log" });
    await within(log).findByRole("option", { name: "Sign-ins" });
    const groups = within(log)
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(groups).toEqual(["Everything", "Sign-ins", "Members", "API keys", "Money", "Models", "Settings"]);
    fireEvent.change(within(log).getByLabelText("Kind"), { target: { value: "Sign-ins" } });
    await waitFor(() => {
      const actions = [...log.querySelectorAll("tbody code")].map((c) => c.textContent);
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.every((a) => a?.startsWith("auth."))).toBe(true);
    });
  });
});
