import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Members } from "./Members";
import { renderPage } from "../../testing/render";
import { api } from "../../testing/context";

// The Members section against the real test server (it has no mail server, so
// the invitation link is shown once to the inviter).

const ME = `{ me { email role } }`;
const unique = () => Math.random().toString(36).slice(2, 8);
const open = (token: string) => renderPage(<Members />, { token });
const rowOf = async (text: string) => (await screen.findByText(text, { selector: "td" })).closest("tr")!;

async function invite(email: string, role: string) {
  const form = await screen.findByRole("form", { name: "Invite a member" });
  fireEvent.change(within(form).getByLabelText("Email"), { target: { value: email } });
  fireEvent.change(within(form).getByLabelText("Role"), { target: { value: role } });
  fireEvent.click(within(form).getByRole("button", { name: "Send invitation" }));
}

describe("Members", () => {
  let admin: string;
  let owner: string;
  beforeAll(async () => {
    [admin, owner] = await Promise.all([api().login("admin"), api().login("owner")]);
  });
  afterEach(cleanup);

  it("invites by email, shows the link once without a mail server, and the invitation is pending", async () => {
    const email = `mia-${unique()}@example.com`;
    open(admin);
    await invite(email, "QA");
    const link = (await screen.findByLabelText(/give .* this invitation link/)) as HTMLInputElement;
    expect(link.value).toMatch(/\/accept-invitation#token=/);
    const row = await rowOf(email);
    expect(row.textContent).toContain("Qa");
    expect(within(row).getByRole("button", { name: `Withdraw invitation of ${email}` })).toBeTruthy();

    // The same email again: the server's refusal, in words, and no second row.
    await invite(email, "QA");
    expect((await screen.findByRole("alert")).textContent).toContain("pending invitation");
    expect(screen.getAllByText(email, { selector: "td" })).toHaveLength(1);
  });

  it("changes a member's role and removes them: their session ends at once", async () => {
    const email = `leo-${unique()}@example.com`;
    const sent = await api().gql(
      `mutation($e:String!){ inviteMember(email:$e, role:ENGINEER){ ... on InviteMemberSuccess { data { link } } } }`,
      { e: email },
      admin,
    );
    const token = sent.inviteMember.data.link.split("#token=")[1];
    const accepted = await api().gql(
      `mutation($t:String!){ acceptInvitation(token:$t, name:"Leo Lane", password:"a long password"){ ... on AcceptInvitationSuccess { data { token } } } }`,
      { t: token },
    );
    const session = accepted.acceptInvitation.data.token;

    open(owner);
    const row = await rowOf(email);
    const role = within(row).getByLabelText("Role of Leo Lane") as HTMLSelectElement;
    expect([...role.options].map((o) => o.value)).toEqual(["ENGINEER", "QA", "OWNER"]);
    fireEvent.change(role, { target: { value: "QA" } });
    await waitFor(async () => expect((await api().gql(ME, {}, session)).me.role).toBe("QA"));

    fireEvent.click(within(await rowOf(email)).getByRole("button", { name: "Remove Leo Lane" }));
    fireEvent.click(within(screen.getByRole("dialog", { name: "Remove Leo Lane?" })).getByRole("button", { name: "Remove member" }));
    await waitFor(async () => expect((await rowOf(email)).textContent).toContain("Removed"));
    expect((await api().gql(ME, {}, session)).me).toBeNull();
    // An owner cannot act on an admin: no role menu or remove button on their row.
    expect(within(await rowOf("admin@demo.tuneloop.dev")).queryByRole("combobox")).toBeNull();
  });
});
