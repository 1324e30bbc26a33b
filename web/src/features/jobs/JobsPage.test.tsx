import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { JobsPage } from "./JobsPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

const { cancelJob, createJob, login } = api();

const unique = () => Math.random().toString(36).slice(2, 8);
const rowOf = (name: string) => screen.getByRole("link", { name }).closest("tr")!;

describe("JobsPage", () => {
  let engineer: string;
  let owner: string;
  beforeAll(async () => {
    engineer = await login("engineer");
    owner = await login("owner");
  });

  it("searches names and notes, and says when nothing matches", async () => {
    const word = `zebra${unique()}`;
    await createJob(engineer, { name: `Alpha ${word}`, tags: ["finance"] });
    await createJob(engineer, { name: "Beta run", notes: `tuned after ${word} feedback` });
    await createJob(engineer, { name: `Gamma ${unique()}` });
    renderPage(<JobsPage />, { token: engineer, path: `/jobs?q=${word}`, route: "/jobs" });

    await screen.findByRole("link", { name: `Alpha ${word}` });
    const table = screen.getByRole("table", { name: "Training jobs" });
    expect(within(table).getAllByRole("row")).toHaveLength(3); // header + 2 matches
    expect(screen.getByText("2 jobs")).toBeTruthy();

    fireEvent.change(screen.getByLabelText("Search"), { target: { value: `${word}-nothing` } });
    expect(await screen.findByText("No jobs match these filters")).toBeTruthy();
  });

  it("filters by creator", async () => {
    const word = `who${unique()}`;
    await createJob(engineer, { name: `${word} by engineer` });
    await createJob(owner, { name: `${word} by owner` });
    renderPage(<JobsPage />, { token: engineer, path: `/jobs?q=${word}`, route: "/jobs" });
    await screen.findByRole("link", { name: `${word} by owner` });
    const creator = screen.getByLabelText("Creator") as HTMLSelectElement;
    await waitFor(() => expect(within(creator).getByRole("option", { name: /\(me\)$/ })).toBeTruthy());
    fireEvent.change(creator, {
      target: { value: (within(creator).getByRole("option", { name: "Olivia Owner" }) as HTMLOptionElement).value },
    });
    await waitFor(() => expect(screen.queryByRole("link", { name: `${word} by engineer` })).toBeNull());
    expect(screen.getByRole("link", { name: `${word} by owner` })).toBeTruthy();
  });

  it("filters by status and tag", async () => {
    const tag = `t${unique()}`;
    const queued = await createJob(engineer, { name: `Queued ${tag}`, tags: [tag], start: true });
    await createJob(engineer, { name: `Draft ${tag}`, tags: [tag] });
    renderPage(<JobsPage />, { token: engineer, path: `/jobs?tag=${tag}&status=QUEUED`, route: "/jobs" });
    const link = await screen.findByRole("link", { name: `Queued ${tag}` });
    expect(link.getAttribute("href")).toBe(`/jobs/${queued}`);
    expect(screen.queryByRole("link", { name: `Draft ${tag}` })).toBeNull();
    expect((screen.getByLabelText("Status") as HTMLSelectElement).value).toBe("QUEUED");
  });

  it("shows a status change made elsewhere without reloading", async () => {
    const name = `Live ${unique()}`;
    const id = await createJob(engineer, { name, start: true });
    renderPage(<JobsPage />, { token: engineer, path: `/jobs?q=${encodeURIComponent(name)}`, route: "/jobs" });
    await screen.findByRole("link", { name });
    expect(within(rowOf(name)).getByText("Queued")).toBeTruthy();

    // Give the row's subscription time to open, then cancel as another user.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await cancelJob(owner, id);
    await waitFor(() => expect(within(rowOf(name)).getByText("Cancelled")).toBeTruthy(), { timeout: 5000 });
  });

  it("adds a job created elsewhere to the list", async () => {
    const word = `new${unique()}`;
    await createJob(engineer, { name: `First ${word}` });
    renderPage(<JobsPage />, { token: engineer, path: `/jobs?q=${word}`, route: "/jobs" });
    await screen.findByRole("link", { name: `First ${word}` });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await createJob(owner, { name: `Second ${word}` });
    expect(await screen.findByRole("link", { name: `Second ${word}` }, { timeout: 5000 })).toBeTruthy();
  });

  it("compares two to four selected jobs", async () => {
    const word = `cmp${unique()}`;
    const ids = [await createJob(engineer, { name: `A ${word}` }), await createJob(engineer, { name: `B ${word}` })];
    let location = "";
    renderPage(<JobsPage />, {
      token: engineer,
      path: `/jobs?q=${word}&sort=NAME&dir=ASC`,
      route: "/jobs",
      onLocation: (path) => (location = path),
    });
    await screen.findByRole("link", { name: `A ${word}` });
    const compare = screen.getByRole("button", { name: /Compare/ });
    expect(compare.hasAttribute("disabled")).toBe(true);
    fireEvent.click(screen.getByLabelText(`Select A ${word} to compare`));
    fireEvent.click(screen.getByLabelText(`Select B ${word} to compare`));
    expect(screen.getByRole("button", { name: "Compare (2)" }).hasAttribute("disabled")).toBe(false);
    fireEvent.click(screen.getByRole("button", { name: "Compare (2)" }));
    await screen.findByText("Elsewhere");
    expect(location).toBe(`/compare?ids=${ids.join(",")}`);
  });

  it("sorts by a column header and marks it for screen readers", async () => {
    const word = `sort${unique()}`;
    await createJob(engineer, { name: `b ${word}` });
    await createJob(engineer, { name: `a ${word}` });
    renderPage(<JobsPage />, { token: engineer, path: `/jobs?q=${word}`, route: "/jobs" });
    await screen.findByRole("link", { name: `a ${word}` });
    const names = () =>
      screen
        .getAllByRole("link")
        .map((a) => a.textContent)
        .filter((t) => t?.includes(word));
    expect(names()).toEqual([`a ${word}`, `b ${word}`]); // newest first
    fireEvent.click(screen.getByRole("button", { name: /^Name/ }));
    await waitFor(() => expect(screen.getByRole("columnheader", { name: /Name/ }).getAttribute("aria-sort")).toBe("ascending"));
    await waitFor(() => expect(names()).toEqual([`a ${word}`, `b ${word}`]));
    fireEvent.click(screen.getByRole("button", { name: /^Name/ }));
    await waitFor(() => expect(names()).toEqual([`b ${word}`, `a ${word}`]));
  });

  it("pages forwards and back through the list", async () => {
    const word = `page${unique()}`;
    for (let i = 0; i < 27; i++) await createJob(engineer, { name: `${word} ${String(i).padStart(2, "0")}` });
    renderPage(<JobsPage />, { token: engineer, path: `/jobs?q=${word}&size=25&sort=NAME&dir=ASC`, route: "/jobs" });
    await screen.findByRole("link", { name: `${word} 00` });
    expect(screen.getByText("27 jobs")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Previous" }).hasAttribute("disabled")).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByRole("link", { name: `${word} 25` });
    expect(screen.queryByRole("link", { name: `${word} 00` })).toBeNull();
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Previous" }));
    await screen.findByRole("link", { name: `${word} 00` });
    expect(screen.getByRole("link", { name: `${word} 24` })).toBeTruthy();
  });

  it("sorts by quality score and shows the month's trend", async () => {
    await createJob(engineer, { name: `Trend ${unique()}` });
    renderPage(<JobsPage />, { token: engineer, path: "/jobs?sort=QUALITY&dir=DESC", route: "/jobs" });
    const header = await screen.findByRole("columnheader", { name: /Quality/ });
    expect(header.getAttribute("aria-sort")).toBe("descending");
    const trends = await screen.findByRole("table", { name: /Jobs per month/ });
    const month = new Date().toISOString().slice(0, 7);
    await waitFor(() => expect(within(trends).getByRole("rowheader", { name: month })).toBeTruthy());
    expect(screen.getByRole("button", { name: "History CSV" })).toBeTruthy();
    // The trend rows sort by success rate too.
    fireEvent.click(within(trends).getByRole("button", { name: /Success rate/ }));
    expect(
      within(trends)
        .getByRole("columnheader", { name: /Success rate/ })
        .getAttribute("aria-sort"),
    ).toBe("descending");
  });
});
