import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { App } from "./App";
import { SessionProvider } from "./session";
import { createAppClient } from "./client";
import { api } from "./testing/context";

function renderApp(path: string, token?: string) {
  if (token) window.localStorage.setItem("tuneloop.token", token);
  return render(
    <MemoryRouter initialEntries={[path]}>
      <SessionProvider makeClient={(options) => createAppClient({ ...options, origin: api().url })}>
        <App />
      </SessionProvider>
    </MemoryRouter>,
  );
}

describe("App", () => {
  it("sends a visitor without a session to the sign-in page", async () => {
    renderApp("/jobs");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
  });

  it("signs out, with the reason, when the server no longer accepts the session", async () => {
    renderApp("/jobs", "tls_expired-or-revoked-token");
    expect(await screen.findByText("Your session has ended. Sign in again to continue.")).toBeTruthy();
    expect(window.localStorage.getItem("tuneloop.token")).toBeNull();
  });

  it("shows the navigation, the user and the jobs page once signed in", async () => {
    renderApp("/", await api().login("qa"));
    expect(await screen.findByRole("heading", { name: "Training jobs" })).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Jobs" }).getAttribute("aria-current")).toBe("page");
    expect(await screen.findByText("Qa", { selector: ".user-role" })).toBeTruthy();
    // QA may look but not create jobs.
    expect(screen.queryByRole("link", { name: "New job" })).toBeNull();
  });

  it("says when a page does not exist", async () => {
    renderApp("/nowhere", await api().login("engineer"));
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
  });
});
