import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { BeforeAfterPage } from "./BeforeAfterPage";
import { ReportLibraryPage } from "./ReportLibraryPage";
import { NewCustomReportPage } from "./NewCustomReportPage";
import { CustomReportPage } from "./CustomReportPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";
import { trainedJob } from "../../testing/trainedJob";

// Proof for clients against the real server: a job trained and validated by
// the real worker, its review closed by QA, then the pages that show it.

let jobId: string;
let runId: string;
let items: { prompt: string }[];
let qa: string, owner: string;
const name = `Proof job ${Math.random().toString(36).slice(2, 7)}`;

beforeAll(async () => {
  ({ jobId, runId } = await trainedJob(api().url, name));
  [qa, owner] = await Promise.all([api().login("qa"), api().login("owner")]);
  const run = (await api().gql(`query($id:ID!){ validationRun(id:$id){ reviewItems { id prompt criteria { id } } } }`, { id: runId }, qa))
    .validationRun;
  items = run.reviewItems;
  const first = run.reviewItems[0];
  await api().gql(
    `mutation($id:ID!,$s:[ReviewScoreInput!]!){ scoreReviewItem(itemId:$id, scores:$s){ __typename } }`,
    { id: first.id, s: [{ side: "A", criterion: first.criteria[0].id, score: 4 }] },
    qa,
  );
  await api().gql(`mutation($id:ID!){ closeReview(runId:$id){ __typename } }`, { id: runId }, qa);
}, 180_000);

describe("BeforeAfterPage", () => {
  it("shows the validation's prompts answered by both models, filterable by scenario type", async () => {
    renderPage(<BeforeAfterPage />, { token: qa, path: `/jobs/${jobId}/before-after`, route: "/jobs/:id/before-after" });
    const table = await screen.findByRole("table", { name: "Prompts answered by the base and the fine-tuned model" });
    // The quick validation's three scenarios are about anxiety: emotional support.
    expect(within(table).getAllByRole("row")).toHaveLength(items.length + 1);
    for (const item of items) expect(within(table).getByText(item.prompt)).toBeTruthy();
    expect(within(table).getAllByText("Emotional support")).toHaveLength(items.length);
    fireEvent.click(screen.getByRole("button", { name: "Empathy" }));
    expect(await screen.findByText("No examples of this type")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Empathy" }).getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(screen.getByRole("button", { name: "Emotional support" }));
    await screen.findByRole("table", { name: "Prompts answered by the base and the fine-tuned model" });
    // Shared with the same 30-day links as the report.
    fireEvent.click(within(screen.getByRole("region", { name: "Sharing" })).getByRole("button", { name: "Create share link" }));
    expect((await screen.findByText(/\/share\/tlr_/)).textContent).toMatch(/\/share\/tlr_[\w-]+$/);
  });
});

describe("custom reports", () => {
  it("answers a prospect's prompts with both models and opens the report", async () => {
    let location = "";
    renderPage(<NewCustomReportPage />, {
      token: qa,
      path: "/reports/custom/new",
      route: "/reports/custom/new",
      onLocation: (l) => (location = l),
    });
    const select = (await screen.findByLabelText("Fine-tuned model (job)")) as HTMLSelectElement;
    await waitFor(() => expect([...select.options].some((o) => o.textContent === name)).toBe(true));
    fireEvent.change(select, { target: { value: jobId } });
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "Pilot for Initech" } });
    fireEvent.change(screen.getByLabelText("Prospect"), { target: { value: "Initech" } });
    fireEvent.change(screen.getByLabelText(/^Prompts/), {
      target: { value: "How do I start an emergency fund?\n\nShould I lease a car?" },
    });
    expect(screen.getByText(/^2 prompt\(s\)/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Create report" }));
    await waitFor(() => expect(location).toMatch(/^\/reports\/custom\/(?!new$)\w+$/), { timeout: 30_000 });
    const id = location.split("/").pop()!;

    renderPage(<CustomReportPage />, { token: qa, path: `/reports/custom/${id}`, route: "/reports/custom/:id" });
    const table = await screen.findByRole("table", { name: "The prospect's prompts" });
    expect(within(table).getByText("Should I lease a car?")).toBeTruthy();
    expect(screen.getByText(/For Initech/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Download PDF report" })).toBeTruthy();
  }, 60_000);
});

describe("ReportLibraryPage", () => {
  it("lists the reports, searches them, and lets an owner record a won deal", async () => {
    renderPage(<ReportLibraryPage />, { token: owner, path: "/reports", route: "/reports" });
    const library = await screen.findByRole("table", { name: "Report library" });
    await within(library).findByText(`Validation report: ${name}`);
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: "initech" } });
    await waitFor(() =>
      expect(within(screen.getByRole("table", { name: "Report library" })).queryByText(`Validation report: ${name}`)).toBeNull(),
    );
    expect(within(screen.getByRole("table", { name: "Report library" })).getByText("Pilot for Initech")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: name } });
    const row = (await screen.findByText(`Validation report: ${name}`)).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: `Record the deal for Validation report: ${name}` }));
    const form = within(row).getByRole("form", { name: "Deal" });
    fireEvent.change(within(form).getByLabelText("Value (USD)"), { target: { value: "20000" } });
    fireEvent.change(within(form).getByLabelText("Date"), { target: { value: "2026-11-30" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save deal" }));
    await waitFor(() =>
      expect(screen.getByText(`Validation report: ${name}`).closest("tr")!.textContent).toContain("Won · $20,000.00 · 2026-11-30"),
    );
    expect(screen.getByRole("status", { name: "Deals" }).textContent).toMatch(/won deal\(s\) worth/);
  });
});
