import { beforeAll, describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { ComparePage } from "./ComparePage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";
import { TrainerRun, lossPoints, type Point } from "../../testing/trainer";
import { formatMetric } from "../../format";

const unique = () => Math.random().toString(36).slice(2, 8);
const { login } = api();

/** A run whose losses are `scale` times the usual curve. */
async function finishedRun(token: string, name: string, scale: number, overrides: Record<string, unknown>) {
  const run = await TrainerRun.start(api(), token, { name, overrides });
  await run.beginTraining(30);
  await run.metrics(lossPoints(1, 30).map((p: Point) => (p.name === "learning_rate" ? p : { ...p, value: p.value * scale })));
  await run.complete({ finalTrainLoss: 1 });
  return run.jobId;
}

describe("ComparePage", () => {
  let engineer: string;
  beforeAll(async () => {
    engineer = await login("engineer");
  });

  it("overlays the runs' curves and highlights the best of each result row", async () => {
    const word = unique();
    const good = await finishedRun(engineer, `Good ${word}`, 1, { rank: 16 });
    const worse = await finishedRun(engineer, `Worse ${word}`, 1.5, { rank: 8 });
    renderPage(<ComparePage />, { token: engineer, path: `/compare?ids=${good},${worse}`, route: "/compare" });

    const table = await screen.findByRole("table", { name: /Side-by-side comparison/ });
    const row = (label: string) => within(table).getByRole("rowheader", { name: label }).closest("tr")!;
    await waitFor(() => expect(row("Latest training loss").querySelectorAll("td.best")).toHaveLength(1));
    // The first column is the better run: lower losses.
    for (const label of ["Latest training loss", "Latest validation loss", "Best validation loss"]) {
      const cells = row(label).querySelectorAll("td");
      expect(cells[0].className).toBe("best");
      expect(cells[1].className).toBe("");
    }
    // Hyperparameters that differ are marked, not ranked.
    expect(row("LoRA rank").textContent).toBe("LoRA rank168");
    expect(row("LoRA rank").querySelectorAll("td.differs")).toHaveLength(2);
    expect(within(table).getByRole("columnheader", { name: `Good ${word}` })).toBeTruthy();

    const chart = screen.getByRole("region", { name: "Loss curves" });
    expect(within(chart).getByText(`Good ${word} (training)`)).toBeTruthy();
    expect(within(chart).getByText(`Worse ${word} (validation)`)).toBeTruthy();
    expect(chart.querySelectorAll("svg path").length).toBeGreaterThanOrEqual(4);
  });

  it("follows a running run live: its row, its curves and the best values", async () => {
    const word = unique();
    const done = await finishedRun(engineer, `Done ${word}`, 1, {});
    const run = await TrainerRun.start(api(), engineer, { name: `Running ${word}` });
    await run.beginTraining(200);
    await run.metrics(lossPoints(1, 20));
    renderPage(<ComparePage />, { token: engineer, path: `/compare?ids=${done},${run.jobId}`, route: "/compare" });

    const table = await screen.findByRole("table", { name: /Side-by-side comparison/ });
    const cells = (label: string) => within(table).getByRole("rowheader", { name: label }).closest("tr")!.querySelectorAll("td");
    const chartPoints = () => Number(screen.getByTestId("compare-chart").getAttribute("data-points"));
    const trainLoss = (step: number) => formatMetric(lossPoints(step, step).find((p) => p.name === "train_loss")!.value);
    // 30 training and 3 validation points of the finished run, 20 and 2 of the running one.
    await waitFor(() => expect(chartPoints()).toBe(33 + 22));
    expect(cells("Status")[1].textContent).toBe("Training");
    expect(cells("Step")[1].textContent).toBe("20 of 200");
    expect(cells("Latest training loss")[1].textContent).toBe(trainLoss(20));
    expect(cells("Latest training loss")[0].className).toBe("best");

    await new Promise((resolve) => setTimeout(resolve, 800)); // the subscriptions open
    await run.metrics(lossPoints(21, 60));
    await waitFor(() => expect(cells("Step")[1].textContent).toBe("60 of 200"), { timeout: 5000 });
    // The running run's loss is now the lower one.
    expect(cells("Latest training loss")[1].textContent).toBe(`${trainLoss(60)} (best)`);
    expect(cells("Latest training loss")[1].className).toBe("best");
    expect(cells("Latest training loss")[0].className).toBe("");
    await waitFor(() => expect(chartPoints()).toBe(33 + 66), { timeout: 5000 });

    await run.complete();
    await waitFor(() => expect(cells("Status")[1].textContent).toBe("Completed"), { timeout: 5000 });
    expect(chartPoints()).toBe(33 + 66);
  });

  it("asks for two to four jobs", async () => {
    renderPage(<ComparePage />, { token: engineer, path: "/compare?ids=only-one", route: "/compare" });
    expect(await screen.findByText("Choose 2 to 4 jobs to compare")).toBeTruthy();
  });
});
