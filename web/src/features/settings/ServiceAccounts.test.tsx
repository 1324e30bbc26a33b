import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { ServiceAccounts } from "./ServiceAccounts";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

// The Service accounts section against the real test server.

describe("ServiceAccounts", () => {
  afterEach(cleanup);

  it("creates a service account, shows its new worker key once (the key works), and deactivates it", async () => {
    const admin = await api().login("admin");
    const name = `Fleet ${Math.random().toString(36).slice(2, 8)}`;
    renderPage(<ServiceAccounts />, { token: admin });
    const form = await screen.findByRole("form", { name: "New service account" });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: name } });
    fireEvent.click(within(form).getByRole("button", { name: "Create service account" }));

    const row = (await screen.findByText(name, { selector: "td" })).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: `New worker key for ${name}` }));
    const secret = (await screen.findByLabelText(`New key of ${name}`)) as HTMLInputElement;
    expect(secret.value).toMatch(/^tlk_/);
    expect((await api().gql(`{ me { name } }`, {}, secret.value)).me.name).toBe(name);
    await waitFor(() =>
      expect(within(screen.getByText(name, { selector: "td" }).closest("tr")!).getAllByRole("cell")[2].textContent).toBe("1"),
    );

    fireEvent.click(within(screen.getByText(name, { selector: "td" }).closest("tr")!).getByRole("button", { name: `Deactivate ${name}` }));
    await waitFor(() => expect(screen.getByText(name, { selector: "td" }).closest("tr")!.textContent).toContain("Deactivated"));
    expect((await api().gql(`{ me { name } }`, {}, secret.value)).me).toBeNull();
  });
});
