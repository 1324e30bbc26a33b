import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { LoginPage } from "./LoginPage";
import { renderPage } from "../../testing/render";

describe("LoginPage", () => {
  it("says what is wrong next to the password when the server refuses it", async () => {
    renderPage(<LoginPage />, { path: "/login", route: "/login" });
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "engineer@demo.tuneloop.dev" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "not-the-password" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const message = await screen.findByText(/Email or password is wrong/);
    expect(screen.getByLabelText("Password").getAttribute("aria-describedby")).toBe(message.id);
    expect(screen.getByLabelText("Password").getAttribute("aria-invalid")).toBe("true");
    expect(window.localStorage.getItem("tuneloop.token")).toBeNull();
  });

  it("asks for the email before calling the server", async () => {
    renderPage(<LoginPage />, { path: "/login", route: "/login" });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Enter your email address")).toBeTruthy();
  });

  it("signs in a demo user, keeps the session token and leaves the login page", async () => {
    renderPage(<LoginPage />, { path: "/login", route: "/login" });
    fireEvent.click(screen.getByText("Demo accounts"));
    fireEvent.click(screen.getByRole("button", { name: "owner@demo.tuneloop.dev" }));
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByText("Elsewhere");
    await waitFor(() => expect(window.localStorage.getItem("tuneloop.token")).toMatch(/^tls_/));
  });

  it("says why single sign-on cannot start for an organization", async () => {
    renderPage(<LoginPage />, { path: "/login", route: "/login" });
    fireEvent.click(screen.getByRole("button", { name: "Sign in with SSO" }));
    fireEvent.change(screen.getByLabelText("Organization or work email"), { target: { value: "no-such-org" } });
    fireEvent.click(screen.getByRole("button", { name: "Continue with SSO" }));
    const message = await screen.findByText('No organization "no-such-org" signs in with single sign-on here');
    expect(screen.getByLabelText("Organization or work email").getAttribute("aria-describedby")).toBe(message.id);
  });

  it("shows the outcome of a single sign-on that came back unknown, and drops the code from the address", async () => {
    window.history.replaceState(null, "", "/login#sso=unknown");
    renderPage(<LoginPage />, { path: "/login", route: "/login" });
    expect(await screen.findByText("This single sign-on attempt expired or is unknown: start again")).toBeTruthy();
    expect(window.location.hash).toBe("");
    expect(window.localStorage.getItem("tuneloop.token")).toBeNull();
  });
});
