import { beforeAll, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { ModelsPage } from "./ModelsPage";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";
import { trainedJob } from "../../testing/trainedJob";

const name = `voice-${Math.random().toString(36).slice(2, 7)}`;

beforeAll(async () => {
  const { jobId } = await trainedJob(api().url, "Models page job");
  const engineer = await api().login("engineer");
  for (const version of ["1.0.0", "1.1.0"]) {
    await api().gql(
      `mutation($i:RegisterModelVersionInput!){ registerModelVersion(input:$i){ __typename } }`,
      { i: { jobId, name, version } },
      engineer,
    );
  }
}, 180_000);

describe("ModelsPage", () => {
  it("shows versions with their gates, lets QA approve with the reason recorded, and compares versions", async () => {
    renderPage(<ModelsPage />, { token: await api().login("qa"), path: `/models?name=${name}`, route: "/models" });
    const details = await screen.findByRole("region", { name: new RegExp(`${name} 1\\.1\\.0`) });
    expect(within(details).getByRole("list", { name: "Quality gates" }).textContent).toContain("Not approved by QA yet");
    expect(within(details).queryByRole("button", { name: "Deploy" })).toBeNull(); // QA does not deploy
    fireEvent.change(within(details).getByLabelText(/Reason/), { target: { value: "Tone checked" } });
    fireEvent.click(within(details).getByRole("button", { name: "Approve" }));
    await within(details).findByText(/Approved by Quinn QA: “Tone checked”/);
    expect(within(details).getByRole("list", { name: "Quality gates" }).textContent).toContain("Approved by QA");

    fireEvent.click(screen.getByRole("checkbox", { name: `Compare ${name} 1.0.0` }));
    fireEvent.click(screen.getByRole("checkbox", { name: `Compare ${name} 1.1.0` }));
    const table = await screen.findByRole("table", { name: "Versions side by side" });
    await waitFor(() =>
      expect(
        within(table)
          .getAllByRole("columnheader")
          .map((h) => h.textContent),
      ).toEqual(["", "1.0.0", "1.1.0"]),
    );
    expect(within(table).getByRole("rowheader", { name: "Knowledge retention" })).toBeTruthy();
  });
});
