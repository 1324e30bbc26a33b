import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { BudgetPage } from "./BudgetPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

const SET_BUDGET = `mutation($i:UpdateBudgetInput!){ updateBudget(input:$i){ __typename } }`;

describe("BudgetPage", () => {
  let owner: string;
  let engineer: string;
  beforeAll(async () => {
    [owner, engineer] = await Promise.all([api().login("owner"), api().login("engineer")]);
  });
  afterAll(() => api().gql(SET_BUDGET, { i: { monthlyBudgetUsd: 500 } }, owner));

  it("lets an owner change the monthly budget and shows the new figures", async () => {
    renderPage(<BudgetPage />, { token: owner, path: "/budget", route: "/budget" });
    const form = await screen.findByRole("form", { name: "Budget settings" });
    const monthly = within(form).getByLabelText("Monthly budget (USD)");
    fireEvent.change(monthly, { target: { value: "-5" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save budget" }));
    expect((await within(form).findByRole("alert")).textContent).toContain("between $0 and $10,000,000");
    expect(monthly.getAttribute("aria-invalid")).toBe("true");

    fireEvent.change(monthly, { target: { value: "750" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save budget" }));
    await screen.findByText("$750.00", { selector: "[data-testid=budget-limit]" });
    expect(screen.getByRole("meter", { name: "Share of the budget spent" })).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Alert history" })).toBeTruthy();
  });

  it("shows engineers the figures without the settings, and any past month", async () => {
    renderPage(<BudgetPage />, { token: engineer, path: "/budget?month=2020-01", route: "/budget" });
    expect(await screen.findByText("No job ran in 2020-01")).toBeTruthy();
    expect(screen.getByTestId("budget-spent").textContent).toBe("$0.00");
    expect(screen.queryByRole("form", { name: "Budget settings" })).toBeNull();
    // The alert history has loaded too: nothing is left in flight when the test ends.
    await waitFor(() => expect(screen.queryByText("Loading alerts…")).toBeNull());
  });
});
