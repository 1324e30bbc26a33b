import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { JobDetailPage } from "./JobDetailPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";
import { TrainerRun, lossPoints } from "../../testing/trainer";

const unique = () => Math.random().toString(36).slice(2, 8);
const { gql, login, createJob } = api();

describe("JobDetailPage", () => {
  let engineer: string;
  beforeAll(async () => {
    engineer = await login("engineer");
  });
  const open = (id: string, onLocation?: (path: string) => void) =>
    renderPage(<JobDetailPage />, { token: engineer, path: `/jobs/${id}`, route: "/jobs/:id", onLocation });
  const chartPoints = (name: string) => Number(screen.getByTestId(`chart-${name}`).getAttribute("data-points"));

  it("follows a running job live: stage, step, curves and events", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `Live ${unique()}` });
    await run.beginTraining(200);
    await run.metrics(lossPoints(1, 20));
    open(run.jobId);

    await screen.findByRole("heading", { name: /^Live / });
    expect(screen.getByText("Training", { selector: ".badge" })).toBeTruthy();
    const stages = screen.getByRole("list", { name: "Stages" });
    expect(within(stages).getByText("Training").closest("li")!.getAttribute("aria-current")).toBe("step");
    await waitFor(() => expect(chartPoints("train_loss-val_loss")).toBeGreaterThan(0));
    expect(screen.getByTestId("current-step").textContent).toBe("20 of 200");

    await new Promise((resolve) => setTimeout(resolve, 800)); // the subscriptions open
    await run.metrics(lossPoints(21, 40));
    await waitFor(() => expect(screen.getByTestId("current-step").textContent).toBe("40 of 200"), { timeout: 5000 });
    // 40 training-loss points and 4 validation points, appended live.
    await waitFor(() => expect(chartPoints("train_loss-val_loss")).toBe(44), { timeout: 5000 });
    expect(chartPoints("learning_rate")).toBe(40);
    const table = screen.getByRole("table", { name: "Latest metrics" });
    expect(within(table).getByText("Training loss").closest("tr")!.textContent).toContain("40");

    await run.checkpoint(40, 1.2, 1.4);
    await waitFor(() => expect(within(screen.getByRole("table", { name: "Checkpoints" })).getByText("40")).toBeTruthy(), { timeout: 5000 });
    const events = screen.getByRole("list", { name: "Events, newest first" });
    await waitFor(() => expect(within(events).getAllByText("checkpoint").length).toBeGreaterThan(0));
  });

  it("filters and searches the event log", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `Events ${unique()}` });
    await run.beginTraining(100);
    await run.metrics(lossPoints(1, 5));
    open(run.jobId);
    const events = await screen.findByRole("list", { name: "Events, newest first" }, { timeout: 5000 });
    expect(within(events).queryByText("metrics")).toBeNull(); // metric reports hidden by default
    fireEvent.change(screen.getByLabelText("Type"), { target: { value: "metrics" } });
    await waitFor(() => expect(within(screen.getByRole("list", { name: "Events, newest first" })).getAllByText("metrics").length).toBe(1));
    fireEvent.change(screen.getByLabelText("Type"), { target: { value: "all" } });
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: "model loading" } });
    await waitFor(() => {
      const items = within(screen.getByRole("list", { name: "Events, newest first" })).getAllByRole("listitem");
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) expect(item.textContent!.toLowerCase()).toContain("model loading");
    });
  });

  it("tells the interruption history", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `Spot ${unique()}` });
    await run.beginTraining(100);
    await run.metrics(lossPoints(1, 10));
    await run.checkpoint(10, 2, 2.2);
    await run.interrupted(12);
    await run.resume(10, 100);
    open(run.jobId);
    expect(await screen.findByText("Interrupted 1×, resumed", {}, { timeout: 5000 })).toBeTruthy();
    expect(screen.getByTestId("interruption-summary").textContent).toBe("Interrupted 1×, resumed from the last checkpoint.");
    const timeline = await screen.findByRole("list", { name: "Interruptions" }, { timeout: 5000 });
    expect(within(timeline).getByText("Interrupted")).toBeTruthy();
    expect(within(timeline).getByText("Resumed")).toBeTruthy();
  });

  it("cancels a job after confirmation", async () => {
    const name = `Cancel me ${unique()}`;
    const id = await createJob(engineer, { name, start: true });
    open(id);
    fireEvent.click(await screen.findByRole("button", { name: "Cancel job" }));
    const dialog = screen.getByRole("dialog", { name: `Cancel “${name}”?` });
    fireEvent.change(within(dialog).getByLabelText("Reason (optional)"), { target: { value: "wrong dataset" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel job" }));
    await waitFor(() => expect(screen.getByText("Cancelled", { selector: ".badge" })).toBeTruthy(), { timeout: 5000 });
    expect(screen.queryByRole("button", { name: "Cancel job" })).toBeNull();
    expect(await screen.findByText("Cancelled: wrong dataset")).toBeTruthy();
  });

  it("retries a failed job with the suggested fix, shown as a diff first", async () => {
    const run = await TrainerRun.start(api(), engineer, { name: `OOM ${unique()}`, overrides: { batchSize: 8 } });
    await run.beginTraining(100);
    await run.fail("OutOfMemoryError", "CUDA out of memory: tried to allocate 2.1 GiB");
    let location = "";
    open(run.jobId, (path) => (location = path));

    expect(await screen.findByText(/CUDA out of memory/, {}, { timeout: 5000 })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Retry…" }));
    const dialog = screen.getByRole("dialog");
    expect((within(dialog).getByRole("checkbox", { name: "Apply the suggested fix" }) as HTMLInputElement).checked).toBe(true);
    const diff = within(dialog).getByTestId("settings-diff");
    expect(diff.textContent).toContain("- Batch size: 8");
    // A smaller batch, accumulated: the effective batch (and so the learning) stays the same.
    expect(diff.textContent).toContain("+ Gradient accumulation (steps): 2");
    expect(within(dialog).getByTestId("effective-batch").textContent).toContain(
      "Effective batch (batch size × accumulation): 8 (unchanged",
    );
    fireEvent.change(within(dialog).getByLabelText("Epochs"), { target: { value: "1" } });
    expect(within(dialog).getByTestId("settings-diff").textContent).toContain("+ Epochs: 1");
    fireEvent.click(within(dialog).getByRole("button", { name: "Retry with these changes" }));
    await waitFor(() => expect(location).not.toBe(`/jobs/${run.jobId}`), { timeout: 5000 });

    // The new job's page shows what changed from the failed one.
    const retryId = location.replace("/jobs/", "");
    const changed = await screen.findByRole("region", { name: /^Changed from OOM/ }, { timeout: 5000 });
    expect(within(changed).getByTestId("settings-diff").textContent).toContain("+ Epochs: 1");
    expect(within(changed).getByTestId("effective-batch").textContent).toContain(": 8 (unchanged");
    const settings = screen.getByRole("region", { name: "Settings" });
    expect(within(settings).getByRole("row", { name: /Effective batch/ }).textContent).toContain("8");
    const { job } = await gql(
      `query($id: ID!) { job(id: $id) { status config retryOf { id } retryDiff { field from to } } }`,
      { id: retryId },
      engineer,
    );
    expect(job.retryOf.id).toBe(run.jobId);
    expect(job.config.epochs).toBe(1);
    expect(job.config.batchSize).toBeLessThan(8);
    expect(job.retryDiff.map((c: { field: string }) => c.field)).toEqual(expect.arrayContaining(["batchSize", "epochs"]));
    await api().cancelJob(engineer, retryId); // queued on the driven GPU: no later claim may take it
  });

  it("says when the job does not exist", async () => {
    open("does-not-exist");
    expect(await screen.findByRole("heading", { name: "Job not found" })).toBeTruthy();
  });
});
