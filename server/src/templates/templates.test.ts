import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, usingPostgres, type TestApp } from "../testing/harness.js";
import { createJob, demoDatasetId } from "../testing/fixtures.js";
import { saveTemplate } from "./service.js";

const SAVE = `mutation($j:ID!,$n:String!){ saveJobAsTemplate(jobId:$j, name:$n){ __typename ... on AppError { code message field } ... on SaveJobAsTemplateSuccess { data { id name } } } }`;

describe(`templates (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let token: string;
  let jobId: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = await app.login("engineer");
    const job = await createJob(app, token, { name: "template source", settings: { datasetId: await demoDatasetId(app, token) } });
    jobId = job.data.createTrainingJob.data.id;
  });
  afterAll(() => app?.stop());

  it("saves a name once when several requests race for it: the others get CONFLICT", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => app.gql(SAVE, { j: jobId, n: "raced" }, token)));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    const outcomes = results.map((r) => r.data.saveJobAsTemplate);
    expect(outcomes.filter((o) => o.__typename === "SaveJobAsTemplateSuccess")).toHaveLength(1);
    for (const refused of outcomes.filter((o) => o.__typename === "AppError")) {
      expect(refused).toEqual({ __typename: "AppError", code: "CONFLICT", message: 'A template named "raced" already exists', field: "name" });
    }
    expect(await app.services.db.template.count({ where: { name: "raced" } })).toBe(1);
  });

  it("answers CONFLICT when the name is taken between the check and the write", async () => {
    // HTTP requests reach the check one after another; called side by side, every check passes before any write.
    const user = await app.services.db.user.findUniqueOrThrow({ where: { email: "engineer@demo.tuneloop.dev" } });
    const viewer = { kind: "user" as const, userId: user.id, orgId: user.orgId, role: user.role, scopes: null, credentialId: "test" };
    const settled = await Promise.allSettled(Array.from({ length: 4 }, () => saveTemplate(app.services.db, viewer, { name: "side by side", preset: "BALANCED", config: {} })));
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    for (const refused of settled.filter((s) => s.status === "rejected")) {
      expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT", field: "name", message: 'A template named "side by side" already exists' });
    }
  });
});
