import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, within } from "@testing-library/react";
import { DatasetsPage } from "./DatasetsPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

describe("DatasetsPage", () => {
  let engineer: string;
  beforeAll(async () => {
    engineer = await api().login("engineer");
  });

  it("lists the datasets and shows one's validation and preview", async () => {
    renderPage(<DatasetsPage />, { token: engineer, path: "/datasets", route: "/datasets" });
    const demo = await screen.findByRole("button", { name: "Financial advisor voice (demo)" });
    expect(demo.closest("tr")!.textContent).toContain("Valid");
    fireEvent.click(demo);
    const region = await screen.findByRole("region", { name: "Dataset Financial advisor voice (demo)" });
    expect(within(region).getByText("First 3 conversations")).toBeTruthy();
    expect(within(region).getAllByRole("listitem").length).toBe(3);
    expect(demo.getAttribute("aria-pressed")).toBe("true");
  });

  it("hides the upload from a role that cannot add datasets", async () => {
    renderPage(<DatasetsPage />, { token: await api().login("qa"), path: "/datasets", route: "/datasets" });
    await screen.findByRole("button", { name: "Financial advisor voice (demo)" });
    expect(screen.queryByRole("heading", { name: "Upload a dataset" })).toBeNull();
  });
});
