import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createJob, createOtherOrganization, demoDatasetId } from "@tuneloop/testing/fixtures";
import { setPassword } from "./service.js";

describe("authentication, roles and organization isolation", () => {
  let app: TestApp;
  let engineer: string;
  let datasetId: string;
  let jobId: string;
  beforeAll(async () => {
    app = await startTestApp();
    engineer = await app.login("engineer");
    datasetId = await demoDatasetId(app, engineer);
    jobId = (await createJob(app, engineer, { name: "private", settings: { datasetId } })).data.createTrainingJob.data.id;
  });
  afterAll(() => app.stop());

  it("refuses anonymous requests with UNAUTHENTICATED and a wrong password with a field", async () => {
    const anonymous = await app.gql(`{ jobs { totalCount } }`);
    expect(anonymous.errors![0].extensions.code).toBe("UNAUTHENTICATED");
    const wrong = await app.gql(`mutation { login(email:"engineer@demo.tuneloop.dev", password:"nope"){ token } }`);
    expect(wrong.errors![0]).toMatchObject({
      message: "Email or password is wrong",
      extensions: { code: "UNAUTHENTICATED", field: "password" },
    });
    const me = await app.gql(`{ me { email } }`);
    expect(me.data.me).toBeNull();
  });

  it("lets each role do only what it should", async () => {
    const qa = await app.login("qa");
    const asQa = await createJob(app, qa, { name: "qa job", settings: { datasetId } });
    expect(asQa.errors![0].extensions.code).toBe("FORBIDDEN");
    const readAsQa = await app.gql(`{ jobs { totalCount } }`, {}, qa);
    expect(readAsQa.data.jobs.totalCount).toBe(1);
    const owner = await app.login("owner");
    expect((await createJob(app, owner, { name: "owner job", settings: { datasetId } })).data.createTrainingJob.data.status).toBe(
      "PENDING",
    );
    const admin = await app.login("admin");
    expect((await createJob(app, admin, { name: "admin job", settings: { datasetId } })).data.createTrainingJob.data.status).toBe(
      "PENDING",
    );
  });

  it("authenticates API keys by scope, stores only their hash, and honours revocation", async () => {
    const created = await app.gql(`mutation { createApiKey(name:"ci", scopes:[READ]) { key apiKey { id prefix scopes } } }`, {}, engineer);
    const { key, apiKey } = created.data.createApiKey;
    const lastUsed = async () =>
      (await app.gql(`{ apiKeys { id lastUsedAt } }`, {}, engineer)).data.apiKeys.find((k: { id: string }) => k.id === apiKey.id)
        .lastUsedAt;
    expect(await lastUsed()).toBeNull();
    expect(key).toMatch(/^tlk_/);
    expect(apiKey.scopes).toEqual(["READ"]);
    const stored = await app.services.db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(stored.hash).not.toContain(key);
    expect(JSON.stringify(stored)).not.toContain(key);

    expect((await app.gql(`{ jobs { totalCount } }`, {}, key)).data.jobs.totalCount).toBeGreaterThan(0);
    const write = await createJob(app, key, { name: "read-only key", settings: { datasetId } });
    expect(write.errors![0].extensions.code).toBe("FORBIDDEN");
    const listed = await app.gql(`{ apiKeys { id prefix } }`, {}, engineer);
    expect(JSON.stringify(listed)).not.toContain(key);
    const used = await lastUsed();
    expect(Date.now() - Date.parse(used)).toBeLessThan(60_000);
    // Written once a minute at most, not on every request.
    await app.gql(`{ jobs { totalCount } }`, {}, key);
    expect(await lastUsed()).toBe(used);

    const revoked = await app.gql(
      `mutation($id:ID!){ revokeApiKey(id:$id){ ... on RevokeApiKeySuccess { data { revokedAt } } } }`,
      { id: apiKey.id },
      engineer,
    );
    expect(revoked.data.revokeApiKey.data.revokedAt).toBeTruthy();
    expect((await app.gql(`{ jobs { totalCount } }`, {}, key)).errors![0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("never shows or changes another organization's data", async () => {
    const rival = await createOtherOrganization(app);
    expect((await app.gql(`{ jobs { totalCount } }`, {}, rival)).data.jobs.totalCount).toBe(0);
    expect((await app.gql(`{ datasets { totalCount } }`, {}, rival)).data.datasets.totalCount).toBe(0);
    const peek = await app.gql(`query($id:ID!){ job(id:$id){ name } }`, { id: jobId }, rival);
    expect(peek.errors![0].extensions).toMatchObject({ code: "NOT_FOUND" });
    const cancel = await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ ... on AppError { code } } }`, { id: jobId }, rival);
    expect(cancel.data.cancelTrainingJob.code).toBe("NOT_FOUND");
    const onTheirData = await createJob(app, rival, { name: "steal", settings: { datasetId } });
    expect(onTheirData.data.createTrainingJob).toMatchObject({ code: "NOT_FOUND", field: "datasetId" });
    expect((await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("PENDING");
  });
  it("pauses sign-in for an email after ten wrong passwords, and forgets failures after a success", async () => {
    const org = await app.services.db.organization.findFirstOrThrow({ where: { slug: "demo" } });
    const [guessed, careless] = await Promise.all(
      ["guessed", "careless"].map(async (name) => {
        const user = await app.services.db.user.create({
          data: { email: `${name}@demo.tuneloop.dev`, name, memberships: { create: { orgId: org.id, role: "ENGINEER" } } },
        });
        await setPassword(app.services, user.id, "right-password");
        return user.email;
      }),
    );
    const LOGIN = `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`;
    const signIn = async (email: string, password: string) => {
      const r = await app.gql(LOGIN, { e: email, p: password });
      return r.data?.login?.token ? "ok" : r.errors![0].extensions.code;
    };
    for (let i = 0; i < 10; i++) expect(await signIn(guessed, `guess ${i}`)).toBe("UNAUTHENTICATED");
    // Now even the right password waits, with the reason next to the field.
    const paused = await app.gql(LOGIN, { e: guessed, p: "right-password" });
    expect(paused.errors![0].extensions).toMatchObject({ code: "RATE_LIMITED", field: "password" });
    expect(paused.errors![0].message).toMatch(/try again in 15 minute/);
    // Another user is not affected; a success in between starts the count again.
    for (let i = 0; i < 9; i++) expect(await signIn(careless, "typo")).toBe("UNAUTHENTICATED");
    expect(await signIn(careless, "right-password")).toBe("ok");
    for (let i = 0; i < 9; i++) expect(await signIn(careless, "typo")).toBe("UNAUTHENTICATED");
    expect(await signIn(careless, "right-password")).toBe("ok");
  });
});
