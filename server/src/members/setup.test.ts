import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { runCli } from "../cli/main.js";

// First run without the demo: the setup link (printed by `tuneloop setup`)
// creates the first organization and its admin, once.

const ERR = `__typename ... on AppError { code message field }`;
const SETUP = `mutation($t:String!,$o:String!,$n:String!,$e:String!,$p:String!){ completeSetup(token:$t, organization:$o, name:$n, email:$e, password:$p){ ${ERR} ... on CompleteSetupSuccess { data { token } } } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ seedDemo: false });
});
afterAll(async () => {
  await app?.stop();
});

async function setupCli(...args: string[]) {
  const out: string[] = [];
  const code = await runCli(
    ["setup", ...args],
    { DATABASE_URL: app.services.config.databaseUrl, DATA_DIR: app.dataDir, TUNELOOP_URL: app.url } as never,
    (t) => out.push(t),
    (t) => out.push(t),
  );
  return { code, text: out.join("\n"), token: out.join("\n").match(/#token=([\w-]+)/)?.[1] };
}

it("a fresh server asks for setup; the newest setup link creates the organization and its admin, once", async () => {
  expect((await app.gql(`{ setupRequired }`)).data.setupRequired).toBe(true);
  expect((await app.gql(`{ jobs { totalCount } }`)).errors?.[0].extensions.code).toBe("UNAUTHENTICATED");

  expect((await setupCli("--org", "Acme")).code).toBe(2);
  const first = await setupCli("--org", "Acme Advisory", "--email", "ada@acme.dev");
  expect(first.code).toBe(0);
  expect(first.text).toContain(`${app.url}/setup#token=`);
  const second = await setupCli("--org", "Acme Advisory", "--email", "ada@acme.dev");
  expect((await app.gql(`query($t:String!){ setupLink(token:$t){ orgName email } }`, { t: second.token })).data.setupLink).toEqual({
    orgName: "Acme Advisory",
    email: "ada@acme.dev",
  });

  const input = { o: "Acme Advisory", n: "Ada Acme", e: "ada@acme.dev", p: "a long admin password" };
  expect((await app.gql(SETUP, { ...input, t: first.token })).data.completeSetup).toMatchObject({ code: "CONFLICT", field: "token" });
  expect((await app.gql(SETUP, { ...input, t: second.token, p: "short" })).data.completeSetup).toMatchObject({
    code: "VALIDATION",
    field: "password",
  });
  const done = (await app.gql(SETUP, { ...input, t: second.token })).data.completeSetup;
  expect(done.__typename).toBe("CompleteSetupSuccess");
  expect((await app.gql(`{ me { email role organization { name slug } } }`, {}, done.data.token)).data.me).toEqual({
    email: "ada@acme.dev",
    role: "ADMIN",
    organization: { name: "Acme Advisory", slug: "acme-advisory" },
  });
  expect((await app.gql(`{ setupRequired }`)).data.setupRequired).toBe(false);

  expect((await app.gql(SETUP, { ...input, t: second.token })).data.completeSetup).toMatchObject({ code: "CONFLICT", field: "token" });
  const again = await setupCli("--org", "Other", "--email", "eve@other.dev");
  expect(again.code).toBe(1);
  expect(again.text).toContain("already has an organization");

  // The only admin can neither step down nor leave the organization without one.
  const me = (await app.gql(`{ me { id } }`, {}, done.data.token)).data.me;
  const demote = await app.gql(`mutation($u:ID!){ changeMemberRole(userId:$u, role:ENGINEER){ ${ERR} } }`, { u: me.id }, done.data.token);
  expect(demote.data.changeMemberRole).toMatchObject({ code: "CONFLICT", field: "userId" });
  const audit = await app.gql(
    `{ auditEvents(filter:{actions:["setup.completed"]}) { edges { node { actorEmail after } } } }`,
    {},
    done.data.token,
  );
  expect(audit.data.auditEvents.edges[0].node).toEqual({
    actorEmail: "ada@acme.dev",
    after: { organization: "Acme Advisory", admin: "ada@acme.dev" },
  });
});
