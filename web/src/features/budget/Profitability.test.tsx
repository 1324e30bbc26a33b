import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { BudgetPage } from "./BudgetPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

// The budget page's money views against the real server: profitability per
// project and client (owners set the revenue), and cost advice.

const unique = Math.random().toString(36).slice(2, 7);
let owner: string, engineer: string;

beforeAll(async () => {
  [owner, engineer] = await Promise.all([api().login("owner"), api().login("engineer")]);
  await api().gql(
    `mutation($n:String!,$c:String!){ createProject(name:$n, clientName:$c, contractValueUsd: 12000){ __typename } }`,
    { n: `Project ${unique}`, c: `Client ${unique}` },
    owner,
  );
});

describe("Profitability on the budget page", () => {
  it("shows revenue and margin per project and client, and lets an owner change the revenue", async () => {
    renderPage(<BudgetPage />, { token: owner, path: "/budget", route: "/budget" });
    const byProject = await screen.findByRole("table", { name: "Profitability by project" });
    const row = (await within(byProject).findByRole("rowheader", { name: `Project ${unique}` })).closest("tr")!;
    const revenue = within(row).getByLabelText(`Revenue of Project ${unique} (USD)`) as HTMLInputElement;
    expect(revenue.value).toBe("12000");
    // No job yet: no training cost, the whole contract is margin.
    expect(row.textContent).toContain("$12,000.00 (100.0%)");
    const byClient = screen.getByRole("table", { name: "Profitability by client" });
    expect(
      within(byClient)
        .getByRole("rowheader", { name: `Client ${unique}` })
        .closest("tr")!.textContent,
    ).toContain("$12,000.00");

    fireEvent.change(revenue, { target: { value: "15000" } });
    fireEvent.click(within(row).getByRole("button", { name: "Save" }));
    await waitFor(() =>
      expect(
        within(screen.getByRole("table", { name: "Profitability by client" }))
          .getByRole("rowheader", { name: `Client ${unique}` })
          .closest("tr")!.textContent,
      ).toContain("$15,000.00"),
    );
    expect(screen.getByRole("button", { name: "Download profitability CSV" })).toBeTruthy();
  });

  it("shows engineers the figures without the revenue editor, and the cost advice", async () => {
    renderPage(<BudgetPage />, { token: engineer, path: "/budget", route: "/budget" });
    const byProject = await screen.findByRole("table", { name: "Profitability by project" });
    const row = (await within(byProject).findByRole("rowheader", { name: `Project ${unique}` })).closest("tr")!;
    expect(within(row).queryByRole("spinbutton")).toBeNull();
    const advice = screen.getByRole("region", { name: "Cost advice" });
    // Either suggestions from the server's history or the empty state, never a spinner left behind.
    await waitFor(() =>
      expect(
        within(advice).queryByRole("list", { name: "Suggestions from your history" }) ?? within(advice).queryByText(/No advice yet/),
      ).toBeTruthy(),
    );
  });
});
