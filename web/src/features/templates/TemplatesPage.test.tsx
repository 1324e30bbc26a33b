import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { TemplatesPage } from "./TemplatesPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

const { cancelJob, createJob, gql, login, unwrap } = api();

describe("TemplatesPage", () => {
  let engineer: string;
  beforeAll(async () => {
    engineer = await login("engineer");
  });

  it("lists what a template keeps and how often it was used, and starts a job from it in one click", async () => {
    const name = `Setup ${Math.random().toString(36).slice(2, 8)}`;
    const source = await createJob(engineer, {
      name: `${name} source`,
      notes: "the winning run",
      preset: "AGGRESSIVE",
      gpuType: "A100_SXM_80GB",
    });
    const saved = await gql(
      `mutation($j:ID!,$n:String!){ saveJobAsTemplate(jobId:$j, name:$n){ __typename ... on AppError { message } ... on SaveJobAsTemplateSuccess { data { id } } } }`,
      { j: source, n: name },
      engineer,
    );
    const templateId = unwrap<{ id: string }>(saved.saveJobAsTemplate).id;

    const locations: string[] = [];
    renderPage(<TemplatesPage />, { token: engineer, path: "/templates", route: "/templates", onLocation: (path) => locations.push(path) });
    const row = (await screen.findByRole("rowheader", { name: new RegExp(name) })).closest("tr")!;
    expect(within(row).getByText("Aggressive")).toBeTruthy();
    expect(within(row).getByText(/A100_SXM_80GB/)).toBeTruthy();
    expect(within(row).getByText("0 times")).toBeTruthy();
    expect(within(row).getByText("the winning run")).toBeTruthy();

    fireEvent.click(within(row).getByRole("button", { name: `Start a job from ${name}` }));
    await waitFor(() => expect(locations.at(-1)).toMatch(/^\/jobs\/[^/]+$/));
    const jobId = locations.at(-1)!.split("/")[2];
    const job = (await gql(`query($id:ID!){ job(id:$id){ status preset gpuType notes } }`, { id: jobId }, engineer)).job;
    expect(job).toMatchObject({ status: "QUEUED", preset: "AGGRESSIVE", gpuType: "A100_SXM_80GB", notes: "the winning run" });
    const counted = (await gql(`{ templates { id useCount } }`, {}, engineer)).templates.find((t: { id: string }) => t.id === templateId);
    expect(counted.useCount).toBe(1);
    await cancelJob(engineer, jobId);
  });
});
