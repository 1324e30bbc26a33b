import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { OrganizationSwitcher } from "./OrganizationSwitcher";
import { renderPage } from "../testing/render";
import { api } from "../testing/context";

// The organization switcher against the real test server: creating an
// organization and switching back each sign the browser into a session of
// that organization (the previous token stops working).

const ME = `{ me { organization { name } } }`;
const storedToken = () => window.localStorage.getItem("tuneloop.token")!;
const selected = () => {
  const select = screen.getByLabelText("Organization") as HTMLSelectElement;
  return select.options[select.selectedIndex].text;
};

describe("OrganizationSwitcher", () => {
  afterEach(cleanup);

  it("creates an organization, switches to it, and switches back", async () => {
    const first = await api().login("qa");
    const name = `Side Project ${Math.random().toString(36).slice(2, 8)}`;
    renderPage(<OrganizationSwitcher />, { token: first });
    await waitFor(() => expect(selected()).toBe("Demo Advisory"));

    fireEvent.change(screen.getByLabelText("Organization"), { target: { value: "new" } });
    const form = within(screen.getByRole("dialog", { name: "New organization" })).getByRole("form", { name: "New organization" });
    fireEvent.click(within(form).getByRole("button", { name: "Create organization" }));
    expect((await within(form).findByRole("alert")).textContent).toContain("organization name");
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: name } });
    fireEvent.click(within(form).getByRole("button", { name: "Create organization" }));

    await waitFor(() => expect(selected()).toBe(name));
    expect((await api().gql(ME, {}, storedToken())).me.organization.name).toBe(name);
    expect((await api().gql(ME, {}, first)).me).toBeNull();

    const demo = [...(screen.getByLabelText("Organization") as HTMLSelectElement).options].find((o) => o.text === "Demo Advisory")!;
    const inNew = storedToken();
    fireEvent.change(screen.getByLabelText("Organization"), { target: { value: demo.value } });
    await waitFor(() => expect(selected()).toBe("Demo Advisory"));
    expect((await api().gql(ME, {}, storedToken())).me.organization.name).toBe("Demo Advisory");
    expect((await api().gql(ME, {}, inNew)).me).toBeNull();
  });
});
