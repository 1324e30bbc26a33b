import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { createJob, demoDatasetId } from "@tuneloop/testing/fixtures";
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
      expect(refused).toEqual({
        __typename: "AppError",
        code: "CONFLICT",
        message: 'A template named "raced" already exists',
        field: "name",
      });
    }
    expect(await app.services.db.template.count({ where: { name: "raced" } })).toBe(1);
  });

  it("answers CONFLICT when the name is taken between the check and the write", async () => {
    // HTTP requests reach the check one after another; called side by side, every check passes before any write.
    const user = await app.services.db.user.findUniqueOrThrow({
      where: { email: "engineer@demo.tuneloop.dev" },
      include: { memberships: true },
    });
    const [membership] = user.memberships;
    const viewer = {
      kind: "user" as const,
      userId: user.id,
      orgId: membership.orgId,
      role: membership.role,
      scopes: null,
      credentialId: "test",
    };
    const settled = await Promise.allSettled(
      Array.from({ length: 4 }, () => saveTemplate(app.services.db, viewer, { name: "side by side", preset: "BALANCED", config: {} })),
    );
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    for (const refused of settled.filter((s) => s.status === "rejected")) {
      expect((refused as PromiseRejectedResult).reason).toMatchObject({
        code: "CONFLICT",
        field: "name",
        message: 'A template named "side by side" already exists',
      });
    }
  });

  it("keeps the job's dataset, GPU, pricing tier and notes; starts a job in one click and counts its uses", async () => {
    const datasetId = await demoDatasetId(app, token);
    const source = await createJob(app, token, {
      name: "whole setup",
      notes: "Use for Elena's voice",
      settings: { datasetId, preset: "AGGRESSIVE", gpuType: "A100_SXM_80GB", pricingTier: "ON_DEMAND", overrides: { epochs: 2 } },
    });
    const sourceId = source.data.createTrainingJob.data.id;
    const saved = await app.gql(
      `mutation($j:ID!){ saveJobAsTemplate(jobId:$j, name:"Elena setup"){ __typename ... on SaveJobAsTemplateSuccess { data { id preset gpuType pricingTier notes useCount lastUsedAt dataset { id } config } } } }`,
      { j: sourceId },
      token,
    );
    const template = saved.data.saveJobAsTemplate.data;
    expect(template).toMatchObject({
      preset: "AGGRESSIVE",
      gpuType: "A100_SXM_80GB",
      pricingTier: "ON_DEMAND",
      notes: "Use for Elena's voice",
      useCount: 0,
      lastUsedAt: null,
      dataset: { id: datasetId },
    });
    expect(template.config.epochs).toBe(2);

    const START = `mutation($t:ID!){ createJobFromTemplate(templateId:$t, start:true){ __typename ... on AppError { code message field }
      ... on CreateJobFromTemplateSuccess { data { id name status preset gpuType pricingTier notes config dataset { id } } } } }`;
    const started = (await app.gql(START, { t: template.id }, token)).data.createJobFromTemplate;
    expect(started).toMatchObject({
      __typename: "CreateJobFromTemplateSuccess",
      data: {
        status: "QUEUED",
        preset: "AGGRESSIVE",
        gpuType: "A100_SXM_80GB",
        pricingTier: "ON_DEMAND",
        notes: "Use for Elena's voice",
        dataset: { id: datasetId },
      },
    });
    expect(started.data.name).toMatch(/^Elena setup \d{4}-\d{2}-\d{2}$/);
    expect(started.data.config.epochs).toBe(2);
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: started.data.id }, token);

    // The new-job form names the template it started from: that counts too.
    const viaForm = await createJob(app, token, { name: "from the form", templateId: template.id, settings: { datasetId } });
    expect(viaForm.data.createTrainingJob.__typename).toBe("CreateTrainingJobSuccess");
    const listed = (await app.gql(`{ templates(orderBy: MOST_USED){ name useCount lastUsedAt } }`, {}, token)).data.templates;
    expect(listed[0]).toMatchObject({ name: "Elena setup", useCount: 2, lastUsedAt: expect.any(String) });

    // Another organization's template is not found, and nothing is counted.
    const refused = await createJob(app, token, { name: "bad template", templateId: "no-such-template", settings: { datasetId } });
    expect(refused.data.createTrainingJob).toMatchObject({ code: "NOT_FOUND", field: "templateId" });
    expect(await app.services.db.trainingJob.count({ where: { name: "bad template" } })).toBe(0);
  });
});
