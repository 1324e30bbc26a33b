import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { startSmtpReceiver } from "@tuneloop/testing/standIns/notificationReceivers";
import { waitFor } from "@tuneloop/testing/waitFor";

// Invitations, roles, deactivation and password resets through the GraphQL API
// over HTTP, with the emails caught by a real local SMTP server.

const ERR = `__typename ... on AppError { code message field }`;
const INVITE = `mutation($e:String!,$r:Role!){ inviteMember(email:$e, role:$r){ ${ERR} ... on InviteMemberSuccess { data { emailSent link invitation { id email role status } } } } }`;
const ACCEPT = `mutation($t:String!,$n:String!,$p:String!){ acceptInvitation(token:$t, name:$n, password:$p){ ${ERR} ... on AcceptInvitationSuccess { data { token } } } }`;
const ROLE = `mutation($u:ID!,$r:Role!){ changeMemberRole(userId:$u, role:$r){ ${ERR} ... on ChangeMemberRoleSuccess { data { id role } } } }`;
const DEACTIVATE = `mutation($u:ID!){ deactivateMember(userId:$u){ ${ERR} ... on DeactivateMemberSuccess { data { id deactivatedAt } } } }`;
const RESET = `mutation($t:String!,$p:String!){ resetPassword(token:$t, password:$p){ ${ERR} ... on ResetPasswordSuccess { data { token } } } }`;
const ME = `{ me { id email name role } }`;
const LOGIN = `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`;

let app: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let admin: string;
let owner: string;

/** The token in the newest email to `to` whose text mentions `page`. */
async function tokenMailedTo(to: string, page: string, after = 0) {
  const mail = await waitFor(
    `mail to ${to}`,
    async () => smtp.mails.slice(after).find((m) => m.text?.includes(`/${page}#token=`) && JSON.stringify(m.to).includes(to)),
    10_000,
  );
  return mail.text!.match(/#token=([\w-]+)/)![1];
}

/** An SSE subscription to the job list; `ended` resolves when the server ends the stream (rejects after 10 s). */
async function openSubscription(token: string) {
  const response = await fetch(`${app.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: `subscription { jobListChanged { jobId } }` }),
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  await new Promise((r) => setTimeout(r, 300)); // subscribed
  const ended = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    ended: Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error("the subscription is still open")), 10_000))]),
  };
}

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  app = await startTestApp({ seedDemo: true, smtpUrl: smtp.url });
  admin = await app.login("admin");
  owner = await app.login("owner");
});
afterAll(async () => {
  await app?.stop();
  await smtp?.close();
});

describe("invitations", () => {
  it("invite → email → accept → sign in; role change applies on the next request; deactivation ends sessions and keys", async () => {
    const sent = (await app.gql(INVITE, { e: "Nia@Example.com", r: "ENGINEER" }, owner)).data.inviteMember;
    expect(sent.__typename).toBe("InviteMemberSuccess");
    expect(sent.data).toMatchObject({
      emailSent: true,
      link: null,
      invitation: { email: "nia@example.com", role: "ENGINEER", status: "PENDING" },
    });
    const token = await tokenMailedTo("nia@example.com", "accept-invitation");

    const pending = await app.gql(`{ invitations { email status invitedBy { email } } }`, {}, admin);
    expect(pending.data.invitations).toContainEqual({
      email: "nia@example.com",
      status: "PENDING",
      invitedBy: { email: "owner@demo.tuneloop.dev" },
    });

    expect((await app.gql(ACCEPT, { t: token, n: "Nia", p: "short" })).data.acceptInvitation).toMatchObject({
      code: "VALIDATION",
      field: "password",
    });
    const accepted = (await app.gql(ACCEPT, { t: token, n: "Nia Newcomer", p: "correct horse battery" })).data.acceptInvitation;
    expect(accepted.__typename).toBe("AcceptInvitationSuccess");
    expect((await app.gql(ACCEPT, { t: token, n: "Again", p: "correct horse battery" })).data.acceptInvitation).toMatchObject({
      code: "CONFLICT",
      field: "token",
    });

    const session = (await app.gql(LOGIN, { e: "nia@example.com", p: "correct horse battery" })).data.login.token;
    const me = (await app.gql(ME, {}, session)).data.me;
    expect(me).toMatchObject({ email: "nia@example.com", name: "Nia Newcomer", role: "ENGINEER" });

    // An engineer manages no one; as an owner, the same session may.
    expect((await app.gql(`{ invitations { id } }`, {}, session)).errors?.[0].extensions.code).toBe("FORBIDDEN");
    expect((await app.gql(ROLE, { u: me.id, r: "OWNER" }, owner)).data.changeMemberRole.data.role).toBe("OWNER");
    expect((await app.gql(`{ invitations { id } }`, {}, session)).data.invitations).toBeInstanceOf(Array);

    const key = (await app.gql(`mutation { createApiKey(name:"ci", scopes:[READ]) { key } }`, {}, session)).data.createApiKey.key;
    expect((await app.gql(ME, {}, key)).data.me.email).toBe("nia@example.com");

    const live = await openSubscription(session);
    const removed = (await app.gql(DEACTIVATE, { u: me.id }, admin)).data.deactivateMember;
    expect(removed.data.deactivatedAt).toBeTruthy();
    await live.ended; // the open subscription ended with the session
    expect((await app.gql(ME, {}, session)).data.me).toBeNull();
    expect((await app.gql(ME, {}, key)).data.me).toBeNull();
    expect((await app.gql(LOGIN, { e: "nia@example.com", p: "correct horse battery" })).errors?.[0].extensions.code).toBe("FORBIDDEN");
    // What they created stays: the key is revoked, not deleted, and keeps its owner.
    expect(await app.services.db.apiKey.count({ where: { userId: me.id, revokedAt: { not: null } } })).toBe(1);
  });

  it("refuses roles the inviter may not grant, existing members, duplicate invitations and forged links, changing nothing", async () => {
    expect((await app.gql(INVITE, { e: "boss@example.com", r: "ADMIN" }, owner)).data.inviteMember).toMatchObject({
      code: "FORBIDDEN",
      field: "role",
    });
    expect((await app.gql(INVITE, { e: "qa@demo.tuneloop.dev", r: "QA" }, admin)).data.inviteMember).toMatchObject({
      code: "CONFLICT",
      field: "email",
    });
    expect((await app.gql(INVITE, { e: "not-an-email", r: "QA" }, admin)).data.inviteMember).toMatchObject({
      code: "VALIDATION",
      field: "email",
    });
    expect((await app.gql(INVITE, { e: "x@example.com", r: "QA" }, await app.login("engineer"))).errors?.[0].extensions.code).toBe(
      "FORBIDDEN",
    );
    expect((await app.gql(INVITE, { e: "twice@example.com", r: "QA" }, admin)).data.inviteMember.__typename).toBe("InviteMemberSuccess");
    expect((await app.gql(INVITE, { e: "twice@example.com", r: "QA" }, admin)).data.inviteMember).toMatchObject({ code: "CONFLICT" });
    expect(
      (await app.gql(ACCEPT, { t: "forged-token-forged-token", n: "Mallory", p: "correct horse battery" })).data.acceptInvitation,
    ).toMatchObject({ code: "NOT_FOUND", field: "token" });
    expect(
      await app.services.db.accountLink.count({ where: { email: { in: ["boss@example.com", "qa@demo.tuneloop.dev", "x@example.com"] } } }),
    ).toBe(0);

    // An owner can neither demote an admin nor remove them.
    const adminId = (await app.gql(ME, {}, admin)).data.me.id;
    expect((await app.gql(ROLE, { u: adminId, r: "QA" }, owner)).data.changeMemberRole).toMatchObject({ code: "FORBIDDEN" });
    expect((await app.gql(DEACTIVATE, { u: adminId }, owner)).data.deactivateMember).toMatchObject({ code: "FORBIDDEN" });
  });

  it("re-sending replaces the link; a revoked or expired invitation cannot be accepted", async () => {
    const first = (await app.gql(INVITE, { e: "rio@example.com", r: "QA" }, admin)).data.inviteMember.data.invitation;
    const oldToken = await tokenMailedTo("rio@example.com", "accept-invitation");
    const seen = smtp.mails.length;
    const resent = await app.gql(
      `mutation($i:ID!){ resendInvitation(id:$i){ ${ERR} ... on ResendInvitationSuccess { data { emailSent } } } }`,
      { i: first.id },
      admin,
    );
    expect(resent.data.resendInvitation.data.emailSent).toBe(true);
    const newToken = await tokenMailedTo("rio@example.com", "accept-invitation", seen);
    expect((await app.gql(ACCEPT, { t: oldToken, n: "Rio", p: "correct horse battery" })).data.acceptInvitation.code).toBe("NOT_FOUND");

    await app.services.db.accountLink.update({ where: { id: first.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await app.gql(ACCEPT, { t: newToken, n: "Rio", p: "correct horse battery" })).data.acceptInvitation).toMatchObject({
      code: "VALIDATION",
      message: expect.stringContaining("expired"),
    });
    await app.services.db.accountLink.update({ where: { id: first.id }, data: { expiresAt: new Date(Date.now() + 60_000) } });
    await app.gql(`mutation($i:ID!){ revokeInvitation(id:$i){ __typename } }`, { i: first.id }, admin);
    expect((await app.gql(ACCEPT, { t: newToken, n: "Rio", p: "correct horse battery" })).data.acceptInvitation.message).toContain(
      "withdrawn",
    );
    expect(await app.services.db.user.count({ where: { email: "rio@example.com" } })).toBe(0);
  });
});

describe("own account", () => {
  it("password reset: same answer for unknown emails; a 15-minute single-use link that signs out every session", async () => {
    const before = smtp.mails.length;
    const unknown = await app.gql(
      `mutation { requestPasswordReset(email:"nobody@example.com") { __typename ... on RequestPasswordResetSuccess { data } } }`,
    );
    const known = await app.gql(
      `mutation { requestPasswordReset(email:"qa@demo.tuneloop.dev") { __typename ... on RequestPasswordResetSuccess { data } } }`,
    );
    expect(unknown).toEqual(known);
    const token = await tokenMailedTo("qa@demo.tuneloop.dev", "reset-password", before);
    expect(smtp.mails.slice(before).some((m) => JSON.stringify(m.to).includes("nobody@example.com"))).toBe(false);
    const link = await app.services.db.accountLink.findFirstOrThrow({ where: { kind: "PASSWORD_RESET", email: "qa@demo.tuneloop.dev" } });
    expect((link.expiresAt.getTime() - link.createdAt.getTime()) / 60_000).toBeCloseTo(15, 1);

    const oldSession = await app.login("qa");
    const reset = (await app.gql(RESET, { t: token, p: "a brand new password" })).data.resetPassword;
    expect(reset.__typename).toBe("ResetPasswordSuccess");
    expect((await app.gql(ME, {}, oldSession)).data.me).toBeNull();
    expect((await app.gql(ME, {}, reset.data.token)).data.me.email).toBe("qa@demo.tuneloop.dev");
    expect((await app.gql(RESET, { t: token, p: "another new password" })).data.resetPassword).toMatchObject({
      code: "CONFLICT",
      field: "token",
    });
    expect((await app.gql(LOGIN, { e: "qa@demo.tuneloop.dev", p: "a brand new password" })).data.login.token).toBeTruthy();
  });

  it("changes own name and password, lists and ends own sessions", async () => {
    const engineer = await app.login("engineer");
    const other = await app.login("engineer");
    const sessions = (await app.gql(`{ mySessions { id current address } }`, {}, engineer)).data.mySessions;
    expect(sessions.filter((s: any) => s.current)).toHaveLength(1);
    expect(sessions[0].address).toBeTruthy();
    const wrong = await app.gql(
      `mutation { changeMyPassword(currentPassword:"nope", newPassword:"long enough now") { ${ERR} } }`,
      {},
      engineer,
    );
    expect(wrong.data.changeMyPassword).toMatchObject({ code: "UNAUTHENTICATED", field: "currentPassword" });
    const renamed = await app.gql(
      `mutation { updateMyName(name:"Eve E.") { ... on UpdateMyNameSuccess { data { name } } } }`,
      {},
      engineer,
    );
    expect(renamed.data.updateMyName.data.name).toBe("Eve E.");
    const ended = await app.gql(`mutation { signOutEverywhere }`, {}, engineer);
    expect(ended.data.signOutEverywhere).toBeGreaterThanOrEqual(2);
    expect((await app.gql(ME, {}, other)).data.me).toBeNull();
    expect((await app.gql(ME, {}, engineer)).data.me).toBeNull();
  });
});

describe("audit log", () => {
  it("records the acts above with who, what and from where; owners, admins and QA read it, as GraphQL and CSV", async () => {
    const AUDIT = `query($f:AuditFilter){ auditEvents(filter:$f, first:100){ totalCount edges { node { action actorEmail targetType address before after } } } }`;
    const result = (
      await app.gql(AUDIT, { f: { actions: ["member.role_changed", "member.deactivated", "member.invited", "auth.signed_in"] } }, admin)
    ).data.auditEvents;
    const actions = result.edges.map((e: any) => e.node.action);
    expect(actions).toEqual(expect.arrayContaining(["member.role_changed", "member.deactivated", "member.invited", "auth.signed_in"]));
    const roleChange = result.edges.find((e: any) => e.node.action === "member.role_changed").node;
    expect(roleChange).toMatchObject({
      actorEmail: "owner@demo.tuneloop.dev",
      targetType: "User",
      before: { role: "ENGINEER" },
      after: { role: "OWNER" },
    });
    expect(roleChange.address).toBeTruthy();

    // Other domains' acts: an API key made (test 1) and a budget change, with before and after.
    await app.gql(`mutation { updateBudget(input:{ monthlyBudgetUsd: 900 }) { __typename } }`, {}, owner);
    const money = (await app.gql(AUDIT, { f: { actions: ["budget.changed", "api_key.created"] } }, admin)).data.auditEvents.edges.map(
      (e: any) => e.node,
    );
    expect(money.find((e: any) => e.action === "budget.changed")).toMatchObject({
      actorEmail: "owner@demo.tuneloop.dev",
      targetType: "Organization",
      before: { monthlyBudgetUsd: 500 },
      after: { monthlyBudgetUsd: 900 },
    });
    await app.gql(`mutation { setComputeProvider(provider: WORKERS) { __typename } }`, {}, owner);
    await app.gql(`mutation { setApiKeyMaxLifetime(days: 90) { __typename } }`, {}, owner);
    const settings = (
      await app.gql(AUDIT, { f: { actions: ["provider.settings_changed", "api_key.policy_changed"] } }, admin)
    ).data.auditEvents.edges.map((e: any) => e.node);
    expect(settings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "provider.settings_changed",
          before: { computeProvider: "LOCAL" },
          after: { computeProvider: "WORKERS" },
        }),
        expect.objectContaining({ action: "api_key.policy_changed", before: { apiKeyMaxDays: null }, after: { apiKeyMaxDays: 90 } }),
      ]),
    );
    expect(money.find((e: any) => e.action === "api_key.created")).toMatchObject({
      actorEmail: "nia@example.com",
      targetType: "ApiKey",
      after: { name: "ci", scopes: ["read"] },
    });

    // A burst of wrong passwords is one record, however long it goes on.
    for (let i = 0; i < 12; i++) await app.gql(LOGIN, { e: "nia@example.com", p: "not the password" });
    const bursts = (await app.gql(AUDIT, { f: { actions: ["auth.sign_in_failures_burst"] } }, admin)).data.auditEvents;
    expect(bursts.totalCount).toBe(1);
    expect(bursts.edges[0].node).toMatchObject({ actorEmail: "nia@example.com", after: { email: "nia@example.com" } });

    expect((await app.gql(AUDIT, {}, await app.login("engineer"))).errors?.[0].extensions.code).toBe("FORBIDDEN");
    const qa = (await app.gql(LOGIN, { e: "qa@demo.tuneloop.dev", p: "a brand new password" })).data.login.token;
    expect((await app.gql(AUDIT, {}, qa)).data.auditEvents.totalCount).toBeGreaterThan(5);

    const csv = await fetch(`${app.url}/api/audit.csv?action=member.deactivated`, { headers: { authorization: `Bearer ${admin}` } });
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toContain("created_at,action,actor_email");
    expect(lines.slice(1).every((l) => l.includes("member.deactivated"))).toBe(true);
    expect(lines).toHaveLength(2);
    expect((await fetch(`${app.url}/api/audit.csv`, { headers: { authorization: `Bearer ${await app.login("engineer")}` } })).status).toBe(
      403,
    );
  });

  it("lists every action it records once, with the group the settings page filters it under", async () => {
    const list: { action: string; group: string }[] = (await app.gql(`{ auditActions { action group } }`, {}, admin)).data.auditActions;
    expect([...new Set(list.map((a) => a.group))]).toEqual(["Sign-ins", "Members", "API keys", "Money", "Models", "Settings"]);
    expect(new Set(list.map((a) => a.action)).size).toBe(list.length);
    expect(list).toEqual(
      expect.arrayContaining([
        { action: "auth.signed_in", group: "Sign-ins" },
        { action: "member.role_changed", group: "Members" },
        { action: "api_key.created", group: "API keys" },
        { action: "budget.changed", group: "Money" },
        { action: "model.approved", group: "Models" },
        { action: "provider.settings_changed", group: "Settings" },
      ]),
    );
  });
});
