import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createJob, uploadDataset } from "@tuneloop/testing/fixtures";
import { demoDatasetJsonl } from "../datasets/demoDataset.js";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { subscribeWs, wsClient } from "@tuneloop/testing/subscribers";
import { CLAIM } from "@tuneloop/testing/workerApi";
import { DEMO_PASSWORD } from "../seed.js";

// Several organizations per person, and service accounts, through the GraphQL
// API over HTTP and graphql-ws: every credential stays inside the organization
// it was made for.

const ERR = `__typename ... on AppError { code message field }`;
const CREATE_ORG = `mutation($n:String!){ createOrganization(name:$n){ ${ERR} ... on CreateOrganizationSuccess { data { token } } } }`;
const SWITCH = `mutation($o:ID!){ switchOrganization(organizationId:$o){ ${ERR} ... on SwitchOrganizationSuccess { data { token } } } }`;
const INVITE = `mutation($e:String!,$r:Role!){ inviteMember(email:$e, role:$r){ ${ERR} ... on InviteMemberSuccess { data { link } } } }`;
const ACCEPT = `mutation($t:String!,$p:String!){ acceptInvitation(token:$t, name:"ignored", password:$p){ ${ERR} ... on AcceptInvitationSuccess { data { token } } } }`;
const ME = `{ me { id role organization { id name } organizations { role current organization { id name } } } }`;
const JOBS = `{ jobs { totalCount edges { node { id name } } } }`;
const ENGINEER = "engineer@demo.tuneloop.dev";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ seedDemo: true });
});
afterAll(() => app?.stop());

/** Creates a job in the caller's organization on a dataset uploaded there; returns its id. */
async function jobIn(token: string, name: string) {
  const dataset = (await uploadDataset(app, token, `${name} data`, demoDatasetJsonl())).data.uploadDataset.data;
  const created = await createJob(app, token, { name, settings: { datasetId: dataset.id } });
  expect(created.data.createTrainingJob.__typename).toBe("CreateTrainingJobSuccess");
  return created.data.createTrainingJob.data.id as string;
}

describe("several organizations per person", () => {
  let demoEngineer: string;
  let betaAdmin: string;
  let betaEngineer: string;
  let betaId: string;

  it("a member creates an organization (as its admin) and invites a person of another organization, who joins with their own password", async () => {
    const owner = await app.login("owner");
    const created = (await app.gql(CREATE_ORG, { n: "Beta Labs" }, owner)).data.createOrganization;
    expect(created.__typename).toBe("CreateOrganizationSuccess");
    betaAdmin = created.data.token;
    expect((await app.gql(ME, {}, owner)).data.me).toBeNull(); // the session moved to the new organization
    const me = (await app.gql(ME, {}, betaAdmin)).data.me;
    betaId = me.organization.id;
    expect(me).toMatchObject({ role: "ADMIN", organization: { name: "Beta Labs" } });
    expect(me.organizations.map((m: any) => [m.organization.name, m.role, m.current])).toEqual([
      ["Demo Advisory", "OWNER", false],
      ["Beta Labs", "ADMIN", true],
    ]);

    const link = (await app.gql(INVITE, { e: ENGINEER, r: "ENGINEER" }, betaAdmin)).data.inviteMember.data.link;
    const token = link.split("#token=")[1];
    expect((await app.gql(ACCEPT, { t: token, p: "not their password" })).data.acceptInvitation).toMatchObject({
      code: "UNAUTHENTICATED",
      field: "password",
    });
    expect(await app.services.db.membership.count({ where: { orgId: betaId } })).toBe(1);
    const accepted = (await app.gql(ACCEPT, { t: token, p: DEMO_PASSWORD })).data.acceptInvitation;
    expect(accepted.__typename).toBe("AcceptInvitationSuccess");
    betaEngineer = accepted.data.token;
    expect((await app.gql(INVITE, { e: ENGINEER, r: "QA" }, betaAdmin)).data.inviteMember).toMatchObject({
      code: "CONFLICT",
      field: "email",
    });

    // Signing in starts in the first organization joined; the session switches to another.
    demoEngineer = await app.login("engineer");
    expect((await app.gql(ME, {}, demoEngineer)).data.me.organization.name).toBe("Demo Advisory");
    const other = await app.login("engineer");
    const switched = (await app.gql(SWITCH, { o: betaId }, other)).data.switchOrganization;
    expect((await app.gql(ME, {}, switched.data.token)).data.me).toMatchObject({ role: "ENGINEER", organization: { name: "Beta Labs" } });
    expect((await app.gql(ME, {}, other)).data.me).toBeNull();
    expect((await app.gql(SWITCH, { o: "not-an-org" }, switched.data.token)).data.switchOrganization).toMatchObject({
      code: "NOT_FOUND",
      field: "organizationId",
    });
  });

  it("each session sees only its organization's jobs, over HTTP and over a graphql-ws subscription", async () => {
    const ws = wsClient(app.url, betaEngineer);
    const live = subscribeWs(ws, `subscription { jobListChanged { jobId change } }`, {});
    await new Promise((r) => setTimeout(r, 300)); // subscribed
    try {
      const demoJob = await jobIn(demoEngineer, "demo only");
      const betaJob = await jobIn(betaEngineer, "beta only");
      await live.until((results) => results.some((r) => r.data?.jobListChanged.jobId === betaJob));
      expect(live.results.map((r) => r.data?.jobListChanged.jobId)).not.toContain(demoJob);

      const betaJobs = (await app.gql(JOBS, {}, betaEngineer)).data.jobs;
      expect(betaJobs.edges.map((e: any) => e.node.id)).toEqual([betaJob]);
      expect((await app.gql(JOBS, {}, demoEngineer)).data.jobs.edges.map((e: any) => e.node.id)).toContain(demoJob);
      expect((await app.gql(`query($id:ID!){ job(id:$id){ id } }`, { id: demoJob }, betaEngineer)).data?.job ?? null).toBeNull();
    } finally {
      await ws.dispose();
    }
  });

  it("an API key made in one organization cannot read another, nor switch", async () => {
    const key = (await app.gql(`mutation { createApiKey(name:"demo ci", scopes:[READ]) { key } }`, {}, demoEngineer)).data.createApiKey.key;
    const names = (await app.gql(JOBS, {}, key)).data.jobs.edges.map((e: any) => e.node.name);
    expect(names).toContain("demo only");
    expect(names).not.toContain("beta only");
    expect((await app.gql(SWITCH, { o: betaId }, key)).data.switchOrganization).toMatchObject({ code: "FORBIDDEN" });
  });

  it("role changes and removal apply to one membership; the last owner or admin rule holds per organization", async () => {
    const engineerId = (await app.gql(ME, {}, betaEngineer)).data.me.id;
    await app.gql(`mutation($u:ID!){ changeMemberRole(userId:$u, role:QA){ __typename } }`, { u: engineerId }, betaAdmin);
    expect((await app.gql(ME, {}, betaEngineer)).data.me.role).toBe("QA");
    expect((await app.gql(ME, {}, demoEngineer)).data.me.role).toBe("ENGINEER");

    const adminId = (await app.gql(ME, {}, betaAdmin)).data.me.id;
    const demote = await app.gql(`mutation($u:ID!){ changeMemberRole(userId:$u, role:QA){ ${ERR} } }`, { u: adminId }, betaAdmin);
    expect(demote.data.changeMemberRole).toMatchObject({ code: "CONFLICT", field: "userId" });

    const live = await subscribeAndWatch(betaEngineer);
    const removed = await app.gql(
      `mutation($u:ID!){ deactivateMember(userId:$u){ ${ERR} ... on DeactivateMemberSuccess { data { deactivatedAt } } } }`,
      { u: engineerId },
      betaAdmin,
    );
    expect(removed.data.deactivateMember.data.deactivatedAt).toBeTruthy();
    await live.ended;
    expect((await app.gql(ME, {}, betaEngineer)).data.me).toBeNull();
    expect((await app.gql(ME, {}, demoEngineer)).data.me.organization.name).toBe("Demo Advisory");
    const orgs = (await app.gql(ME, {}, demoEngineer)).data.me.organizations.map((m: any) => m.organization.name);
    expect(orgs).toEqual(["Demo Advisory"]);
  });
});

/** A graphql-ws subscription; `ended` resolves when the server closes it (fails after 10 s). */
async function subscribeAndWatch(token: string) {
  // The server's close (4403) is what this waits for, not an error to print.
  const ws = createClient({
    url: `${app.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
  });
  const ended = new Promise<void>((resolve) => ws.on("closed", () => resolve()));
  subscribeWs(ws, `subscription { jobListChanged { jobId } }`, {});
  await new Promise((r) => setTimeout(r, 300));
  return {
    ended: Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error("the subscription is still open")), 10_000))]),
  };
}

describe("service accounts", () => {
  const SA = `id name role deactivatedAt apiKeys { id prefix scopes revokedAt }`;
  const CREATE_SA = `mutation($n:String!,$r:Role!){ createServiceAccount(name:$n, role:$r){ ${ERR} ... on CreateServiceAccountSuccess { data { ${SA} } } } }`;
  const SA_KEY = `mutation($id:ID!,$s:[ApiKeyScope!]!){ createServiceAccountKey(serviceAccountId:$id, name:"fleet", scopes:$s){ ${ERR} ... on CreateServiceAccountKeySuccess { data { key apiKey { id } } } } }`;

  it("keys of the organization outlive the person who made them; only owners and admins manage them; the audit log records it", async () => {
    const owner = await app.login("owner");
    const admin = await app.login("admin");
    expect((await app.gql(CREATE_SA, { n: "CI", r: "ENGINEER" }, await app.login("engineer"))).errors?.[0].extensions.code).toBe(
      "FORBIDDEN",
    );
    expect((await app.gql(CREATE_SA, { n: "Root", r: "ADMIN" }, owner)).data.createServiceAccount).toMatchObject({
      code: "FORBIDDEN",
      field: "role",
    });

    const ci = (await app.gql(CREATE_SA, { n: "CI", r: "ENGINEER" }, owner)).data.createServiceAccount.data;
    expect(ci).toMatchObject({ name: "CI", role: "ENGINEER", deactivatedAt: null, apiKeys: [] });
    const ciKey = (await app.gql(SA_KEY, { id: ci.id, s: ["READ", "WRITE"] }, owner)).data.createServiceAccountKey.data;
    const fleet = (await app.gql(CREATE_SA, { n: "GPU fleet", r: "ENGINEER" }, owner)).data.createServiceAccount.data;
    const workerKey = (await app.gql(SA_KEY, { id: fleet.id, s: ["WORKER"] }, owner)).data.createServiceAccountKey.data.key;

    // Not a person: not among the members, and it cannot sign in.
    const members = (await app.gql(`{ me { organization { members { name } } } }`, {}, admin)).data.me.organization.members.map(
      (m: any) => m.name,
    );
    expect(members).not.toContain("CI");
    expect((await app.gql(`{ serviceAccounts { name } }`, {}, admin)).data.serviceAccounts.map((s: any) => s.name)).toEqual([
      "CI",
      "GPU fleet",
    ]);

    // The owner who made them is removed: their own sessions end, the service accounts' keys work on.
    const ownerId = (await app.gql(`{ me { id } }`, {}, owner)).data.me.id;
    await app.gql(`mutation($u:ID!){ deactivateMember(userId:$u){ __typename } }`, { u: ownerId }, admin);
    expect((await app.gql(`{ me { id } }`, {}, owner)).data.me).toBeNull();
    expect((await app.gql(`{ me { name } }`, {}, ciKey.key)).data.me.name).toBe("CI");
    expect((await app.gql(JOBS, {}, ciKey.key)).data.jobs.totalCount).toBeGreaterThan(0);
    const claimed = await app.gql(CLAIM, { w: "fleet-1", g: null }, workerKey);
    expect(claimed.data.claimTrainingJob.__typename).toBe("ClaimTrainingJobSuccess");

    // Revoking one key, then deactivating the account, end its access.
    await app.gql(`mutation($id:ID!){ revokeApiKey(id:$id){ __typename } }`, { id: ciKey.apiKey.id }, admin);
    expect((await app.gql(`{ me { id } }`, {}, ciKey.key)).data.me).toBeNull();
    const off = await app.gql(
      `mutation($id:ID!){ deactivateServiceAccount(serviceAccountId:$id){ ${ERR} ... on DeactivateServiceAccountSuccess { data { ${SA} } } } }`,
      { id: fleet.id },
      admin,
    );
    expect(off.data.deactivateServiceAccount.data.deactivatedAt).toBeTruthy();
    expect(off.data.deactivateServiceAccount.data.apiKeys.every((k: any) => k.revokedAt)).toBe(true);
    expect((await app.gql(CLAIM, { w: "fleet-1", g: null }, workerKey)).errors?.[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await app.gql(SA_KEY, { id: fleet.id, s: ["READ"] }, admin)).data.createServiceAccountKey).toMatchObject({ code: "CONFLICT" });

    const AUDIT = `{ auditEvents(filter:{ actions:["service_account.created","service_account.deactivated","api_key.created","api_key.revoked"] }, first:50){ edges { node { action actorEmail after } } } }`;
    const events = (await app.gql(AUDIT, {}, admin)).data.auditEvents.edges.map((e: any) => e.node);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "service_account.created",
          actorEmail: "owner@demo.tuneloop.dev",
          after: { name: "CI", role: "ENGINEER" },
        }),
        expect.objectContaining({
          action: "api_key.created",
          after: expect.objectContaining({ serviceAccount: "GPU fleet", scopes: ["worker"] }),
        }),
        expect.objectContaining({ action: "api_key.revoked", actorEmail: "admin@demo.tuneloop.dev" }),
        expect.objectContaining({ action: "service_account.deactivated", actorEmail: "admin@demo.tuneloop.dev" }),
      ]),
    );
  });
});
