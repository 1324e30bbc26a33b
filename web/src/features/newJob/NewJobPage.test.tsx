import { beforeAll, describe, expect, it } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { NewJobPage } from "./NewJobPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

const { demoDatasetId, gql, login } = api();

describe("NewJobPage", () => {
  let engineer: string;
  let datasetId: string;
  beforeAll(async () => {
    engineer = await login("engineer");
    datasetId = await demoDatasetId(engineer);
  });

  const open = async () => {
    renderPage(<NewJobPage />, { token: engineer, path: "/jobs/new", route: "/jobs/new" });
    await screen.findByRole("radio", { name: /Balanced/ });
  };
  const chooseDataset = async () => {
    const select = await screen.findByLabelText("Dataset");
    await waitFor(() => expect(within(select).getAllByRole("option").length).toBeGreaterThan(1));
    fireEvent.change(select, { target: { value: datasetId } });
  };

  it("pre-selects Balanced, shows the dataset's preview and an estimate that follows the preset", async () => {
    await open();
    expect((screen.getByRole("radio", { name: /Balanced/ }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText(/Small, gentle updates/)).toBeTruthy();
    await chooseDataset();
    expect(await screen.findByText("First 3 conversations")).toBeTruthy();
    expect(screen.getByText("Every line passed validation.")).toBeTruthy();

    const balanced = (await screen.findByTestId("estimate-cost", {}, { timeout: 5000 })).textContent;
    expect(balanced).toMatch(/^\$[\d.,]+–\$[\d.,]+$/);
    fireEvent.click(screen.getByRole("radio", { name: /Aggressive/ }));
    // More epochs and a higher rank cost more; the figure updates after the debounce.
    await waitFor(() => expect(screen.getByTestId("estimate-cost").textContent).not.toBe(balanced), { timeout: 5000 });
    const cost = (text: string | null) => Number(text!.split("–")[0].replace(/[$,]/g, ""));
    expect(cost(screen.getByTestId("estimate-cost").textContent)).toBeGreaterThan(cost(balanced));
  });

  it("offers the base model and shows what it implies: worker, GPU memory, fit, defaults and estimate", async () => {
    await open();
    await chooseDataset();
    const facts = await screen.findByTestId("base-model-facts");
    expect(facts.textContent).toContain("Trained by the TypeScript engine");
    expect(facts.textContent).toContain("sequence length 128, LoRA on q_proj, v_proj");
    const demoCost = (await screen.findByTestId("estimate-cost", {}, { timeout: 5000 })).textContent;

    fireEvent.change(screen.getByLabelText("Base model"), { target: { value: "meta-llama/Llama-3.1-70B-Instruct" } });
    await waitFor(() => expect(screen.getByTestId("base-model-facts").textContent).toContain("python worker"));
    const memory = within(screen.getByTestId("base-model-facts")).getByRole("table", {
      name: /GPU memory needed \(NVIDIA H100 PCIe 80GB\)/,
    });
    const row = (name: RegExp) => within(memory).getByRole("row", { name }).textContent;
    expect(row(/4-bit \(QLoRA\) \(used\)/)).toMatch(/GBfits$/);
    expect(row(/16-bit/)).toMatch(/too large$/);
    expect(screen.getByTestId("base-model-facts").textContent).toContain(
      "sequence length 2048, LoRA on q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, batch 1 × 16 accumulation steps",
    );
    fireEvent.click(screen.getByRole("button", { name: /Advanced options/ }));
    expect((screen.getByLabelText("Max sequence length") as HTMLInputElement).placeholder).toBe("2048");
    // A 70B base trains far slower than the demo model: the estimate follows the model's size.
    const cost = (text: string | null) => Number(text!.split("–")[0].replace(/[$,]/g, ""));
    await waitFor(() => expect(cost(screen.getByTestId("estimate-cost").textContent)).toBeGreaterThan(cost(demoCost)), { timeout: 5000 });

    // On a 48 GB card the 70B model does not fit even in 4-bit: the server's typed error lands on the GPU field.
    fireEvent.change(screen.getByLabelText("GPU"), { target: { value: "L40S_48GB" } });
    await waitFor(() =>
      expect(within(screen.getByTestId("base-model-facts")).getByRole("row", { name: /4-bit/ }).textContent).toMatch(/too large$/),
    );
    const refusal = /Llama-3.1-70B-Instruct needs about [\d.]+ GB of GPU memory .* but the NVIDIA L40S 48GB has 48 GB/;
    // Shown as soon as the estimate asks the server, before anything runs.
    await waitFor(() => expect(screen.getAllByRole("alert").some((alert) => refusal.test(alert.textContent ?? ""))).toBe(true), {
      timeout: 5000,
    });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "too large" } });
    fireEvent.click(screen.getByRole("button", { name: "Review" }));
    await waitFor(() =>
      expect(document.getElementById(screen.getByLabelText("GPU").getAttribute("aria-describedby")!)?.textContent).toMatch(refusal),
    );
    expect(screen.getByLabelText("GPU").getAttribute("aria-invalid")).toBe("true");
  });

  it("shows where the job will run and at what price before it is created, and the on-demand fallback", async () => {
    await open();
    await chooseDataset();
    const quote = await screen.findByTestId("compute-quote");
    await waitFor(() => expect(within(quote).getByText("Local")).toBeTruthy(), { timeout: 5000 });
    expect(within(quote).getByText(/simulated/)).toBeTruthy();
    expect(within(quote).getByText(/^\$[\d.]+\/h/)).toBeTruthy();
    expect(within(quote).getByText("None: the job waits for its own tier")).toBeTruthy();

    fireEvent.click(screen.getByLabelText(/Allow on-demand when spot fails the job/));
    fireEvent.change(screen.getByLabelText("Switch to on-demand after this many preemptions"), { target: { value: "2" } });
    await waitFor(() => expect(within(quote).getByText(/^On-demand at \$[\d.]+\/h after 2 preemptions$/)).toBeTruthy(), { timeout: 5000 });
    // On-demand jobs have no fallback to offer.
    fireEvent.click(screen.getByRole("radio", { name: /On-demand/ }));
    await waitFor(() => expect(within(quote).getByText(/on-demand$/)).toBeTruthy(), { timeout: 5000 });
    expect(screen.queryByLabelText(/Allow on-demand when spot fails the job/)).toBeNull();
  });

  it("shows the server's range error next to the advanced field", async () => {
    await open();
    await chooseDataset();
    fireEvent.click(screen.getByRole("button", { name: /Advanced options/ }));
    expect(screen.getByText(/Size of the adapter matrices/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText("LoRA rank (r)"), { target: { value: "999" } });
    const rank = screen.getByLabelText("LoRA rank (r)");
    await waitFor(() => expect(document.getElementById(rank.getAttribute("aria-describedby")!)?.textContent).toMatch(/at most 256/), {
      timeout: 5000,
    });
    fireEvent.change(rank, { target: { value: "abc" } });
    expect(document.getElementById(rank.getAttribute("aria-describedby")!)?.textContent).toBe("LoRA rank (r) must be a number");
  });

  it("asks for a name before the review", async () => {
    await open();
    await chooseDataset();
    fireEvent.click(screen.getByRole("button", { name: "Review" }));
    expect(await screen.findByText("Give the job a name")).toBeTruthy();
    expect(screen.getByLabelText("Name").getAttribute("aria-invalid")).toBe("true");
  });

  it("reviews the settings, then starts the job", async () => {
    const name = `Form job ${Math.random().toString(36).slice(2, 8)}`;
    let location = "";
    renderPage(<NewJobPage />, { token: engineer, path: "/jobs/new", route: "/jobs/new", onLocation: (path) => (location = path) });
    await screen.findByRole("radio", { name: /Balanced/ });
    await chooseDataset();
    fireEvent.click(screen.getByRole("radio", { name: /Conservative/ }));
    fireEvent.click(screen.getByRole("radio", { name: /On-demand/ }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: name } });
    fireEvent.change(screen.getByLabelText("Tags"), { target: { value: "Finance, tests" } });
    fireEvent.click(screen.getByRole("button", { name: /Advanced options/ }));
    fireEvent.change(screen.getByLabelText("Batch size"), { target: { value: "2" } });
    fireEvent.click(screen.getByRole("button", { name: "Review" }));

    expect(await screen.findByRole("heading", { name: "Review and start" })).toBeTruthy();
    expect(screen.getByText(name)).toBeTruthy();
    expect(screen.getByText(/Batch size:/).textContent).toContain("2");
    expect(screen.getByText(/on-demand \(never interrupted\)/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Start training" }));
    await screen.findByText("Elsewhere");

    const id = location.replace("/jobs/", "");
    const { job } = await gql(`query($id: ID!) { job(id: $id) { name status preset pricingTier tags config } }`, { id }, engineer);
    expect(job).toMatchObject({ name, status: "QUEUED", preset: "CONSERVATIVE", pricingTier: "ON_DEMAND", tags: ["finance", "tests"] });
    expect(job.config.batchSize).toBe(2);
  });

  it("uploads a dataset and lists its validation errors by line", async () => {
    await open();
    fireEvent.click(await screen.findByRole("button", { name: "Upload a dataset" }));
    const lines = [
      JSON.stringify({
        messages: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
        ],
      }),
      "{not json",
      JSON.stringify({ messages: [{ role: "robot", content: "beep" }] }),
    ];
    const file = new File([lines.join("\n")], "broken.jsonl", { type: "application/jsonl" });
    await userEvent.upload(screen.getByLabelText("JSON Lines file"), file);
    expect((screen.getByLabelText("Dataset name") as HTMLInputElement).value).toBe("broken");
    fireEvent.click(screen.getByRole("button", { name: "Upload and validate" }));
    const region = await screen.findByRole("region", { name: "Dataset broken" }, { timeout: 5000 });
    expect(within(region).getByText("Invalid")).toBeTruthy();
    expect(within(region).getByText("Line 2")).toBeTruthy();
    expect(within(region).getByText("Line 3")).toBeTruthy();
  });

  it("lets an owner start a job over the budget with a reason, and tells an engineer why not", async () => {
    const owner = await login("owner");
    const setBudget = (usd: number) =>
      gql(
        `mutation($u: Float!) { updateBudget(input: { monthlyBudgetUsd: $u }) { __typename ... on AppError { message } } }`,
        { u: usd },
        owner,
      );
    await setBudget(0.0001);
    try {
      let location = "";
      const reviewAs = async (token: string, name: string) => {
        renderPage(<NewJobPage />, { token, path: "/jobs/new", route: "/jobs/new", onLocation: (path) => (location = path) });
        await screen.findByRole("radio", { name: /Balanced/ });
        await chooseDataset();
        fireEvent.change(screen.getByLabelText("Name"), { target: { value: name } });
        fireEvent.click(screen.getByRole("button", { name: "Review" }));
        fireEvent.click(await screen.findByRole("button", { name: "Start training" }));
        return screen.findByText(/over the .* budget/);
      };
      expect((await reviewAs(engineer, "Over budget (engineer)")).textContent).toContain("An owner can let it through with a reason.");
      expect(screen.queryByLabelText("Why this job may go over the budget")).toBeNull();
      cleanup();

      await reviewAs(owner, "Over budget (owner)");
      fireEvent.change(screen.getByLabelText("Why this job may go over the budget"), { target: { value: "client deadline" } });
      fireEvent.click(screen.getByRole("button", { name: "Start training" }));
      await waitFor(() => expect(location).toMatch(/^\/jobs\/(?!new)/));
    } finally {
      await setBudget(500);
    }
  });
});
