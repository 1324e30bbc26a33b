import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { ValidationPage } from "./ValidationPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";
import { trainedJob } from "../../testing/trainedJob";

let jobId: string;
let run: any;

beforeAll(async () => {
  ({ jobId } = await trainedJob(api().url, "Validation page job"));
  const engineer = await api().login("engineer");
  const data = await api().gql(
    `query($id:ID!){ job(id:$id){ validationRuns { id perplexityImprovementPct retentionPct knowledgeAdaptedCorrect knowledgeQuestions } } }`,
    { id: jobId },
    engineer,
  );
  run = data.job.validationRuns[0];
}, 180_000);

const render = async (role: "engineer" | "qa") =>
  renderPage(<ValidationPage />, { token: await api().login(role), path: `/jobs/${jobId}/validation`, route: "/jobs/:id/validation" });

describe("ValidationPage", () => {
  it("shows the measured perplexity improvement and knowledge retention", async () => {
    await render("engineer");
    const measures = await screen.findByRole("region", { name: "Automatic measures" });
    expect(within(measures).getByText(`${run.perplexityImprovementPct.toFixed(0)}%`)).toBeTruthy();
    expect(within(measures).getByText(`${run.retentionPct.toFixed(0)}%`)).toBeTruthy();
    expect(measures.textContent).toContain(`${run.knowledgeAdaptedCorrect} of ${run.knowledgeQuestions} correct`);
  });

  it("lets QA score responses A and B blind, then close the review to see the results", async () => {
    await render("qa");
    const review = await screen.findByRole("region", { name: "Human review" });
    await within(review).findByText(/Scenario 1 of 3/);
    // The built-in demo model's answers are near nonsense: the reviewer is told before scoring them.
    expect(within(review).getByRole("note", { name: "About these answers" }).textContent).toMatch(
      /built-in demo base model: about 150 thousand parameters/,
    );
    expect(within(review).getByLabelText("Response A")).toBeTruthy();
    for (const select of within(review).getAllByRole("combobox"))
      fireEvent.change(select, { target: { value: select.getAttribute("aria-label")!.endsWith("A") ? "4" : "2" } });
    fireEvent.click(within(review).getByRole("button", { name: "Save scores" }));
    await within(review).findByText("Scores saved for scenario 1.");
    const close = within(review).getByRole<HTMLButtonElement>("button", { name: "Close review and reveal results" });
    await waitFor(() => expect(within(review).getByText(/You have scored 1 of 3/)).toBeTruthy());
    expect(close.disabled).toBe(false);
    fireEvent.click(close);
    await within(review).findByText(/Review closed: 1 reviewer\(s\)/);
    expect(within(review).getByRole("table", { name: "Average score by criterion" })).toBeTruthy();
  });

  it("creates a share link and answers a prompt with the base and the fine-tuned model", async () => {
    await render("engineer");
    const report = await screen.findByRole("region", { name: "Report" });
    fireEvent.click(within(report).getByRole("button", { name: "Create share link" }));
    // The link itself is checked end to end in server/src/reports; here: it is shown once, and listed.
    expect((await within(report).findByText(/\/share\/tlr_/)).textContent).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/share\/tlr_[\w-]+$/);
    await waitFor(() => expect(within(report).getByRole("table", { name: "Share links" })).toBeTruthy());

    const playground = screen.getByRole("region", { name: "Playground" });
    fireEvent.change(within(playground).getByLabelText("Prompt"), { target: { value: "How big should my emergency fund be?" } });
    fireEvent.click(within(playground).getByRole("button", { name: "Compare answers" }));
    const adapted = await within(playground).findByLabelText("Fine-tuned answer", {}, { timeout: 15_000 });
    expect(adapted.textContent!.length).toBeGreaterThan("Fine-tuned".length);
    expect(within(playground).getByLabelText("Base model answer")).toBeTruthy();
  });
});
