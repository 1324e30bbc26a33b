import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createJob, demoDatasetId } from "@tuneloop/testing/fixtures";
import { transitionJob } from "./service.js";

const ACTION = (name: string, extra = "") =>
  `mutation($id:ID!){ ${name}(id:$id${extra}){ __typename ... on AppError { code message field } ... on ${name.charAt(0).toUpperCase() + name.slice(1)}Success { data { ... on TrainingJob { id status name retryCount config } } } } }`;

describe("training job lifecycle over GraphQL", () => {
  let app: TestApp;
  let token: string;
  let datasetId: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = await app.login("engineer");
    datasetId = await demoDatasetId(app, token);
  });
  afterAll(() => app.stop());

  it("creates a job with the Balanced preset by default, a stored estimate and tags", async () => {
    const result = await createJob(app, token, {
      name: "Advisor voice v1",
      tags: ["Client-A", "voice", "voice"],
      notes: "first try",
      settings: { datasetId },
    });
    const job = result.data.createTrainingJob.data;
    expect(job).toMatchObject({ status: "PENDING", preset: "BALANCED", tags: ["client-a", "voice"] });
    expect(job.config).toMatchObject({ rank: 16, alpha: 32, learningRate: 2e-4, epochs: 3, targetModules: ["q_proj", "v_proj"] });
    expect(job.estimatedCostUsd).toBeGreaterThan(0);
    expect(job.estimatedCostLowUsd).toBeLessThan(job.estimatedCostUsd);
    expect(job.estimatedCostHighUsd).toBeGreaterThan(job.estimatedCostUsd);
  });

  it("applies presets and range-checks overrides, naming the field", async () => {
    const aggressive = await createJob(app, token, {
      name: "agg",
      settings: { datasetId, preset: "AGGRESSIVE", overrides: { batchSize: 8 } },
    });
    expect(aggressive.data.createTrainingJob.data.config).toMatchObject({
      rank: 32,
      alpha: 64,
      learningRate: 3e-4,
      epochs: 4,
      batchSize: 8,
    });
    const bad = await createJob(app, token, { name: "bad", settings: { datasetId, overrides: { learningRate: 0.5 } } });
    expect(bad.data.createTrainingJob).toMatchObject({
      code: "VALIDATION",
      field: "config.learningRate",
      message: "config.learningRate: learning rate must be at most 1e-2",
    });
    // An unknown setting is refused by the input's type, before anything runs.
    const unknown = await createJob(app, token, { name: "bad", settings: { datasetId, overrides: { turbo: true } } });
    expect(unknown.errors?.[0].message).toContain('Field "turbo" is not defined by type "JobSettingsOverrides"');
    const noName = await createJob(app, token, { name: " ", settings: { datasetId } });
    expect(noName.data.createTrainingJob).toMatchObject({ code: "VALIDATION", field: "name" });
    const gpu = await createJob(app, token, { name: "x", settings: { datasetId, gpuType: "TPU" } });
    expect(gpu.data.createTrainingJob).toMatchObject({ code: "VALIDATION", field: "gpuType" });
  });

  it("costs on-demand more than spot for the same settings", async () => {
    const q = `query($i:JobSettingsInput!){ costEstimate(input:$i){ costUsd costLowUsd costHighUsd durationSeconds hourlyRateUsd confidence stages { stage seconds } } }`;
    const spot = (await app.gql(q, { i: { datasetId, pricingTier: "SPOT" } }, token)).data.costEstimate;
    const onDemand = (await app.gql(q, { i: { datasetId, pricingTier: "ON_DEMAND" } }, token)).data.costEstimate;
    expect(spot.hourlyRateUsd).toBe(2.49);
    expect(onDemand.hourlyRateUsd).toBe(7.99);
    expect(onDemand.costUsd).toBeGreaterThan(spot.costUsd);
    expect(spot.stages.map((s: any) => s.stage)).toEqual(["provisioning", "preprocessing", "model_loading", "training", "finalization"]);
    const longer = (await app.gql(q, { i: { datasetId, overrides: { epochs: 6 } } }, token)).data.costEstimate;
    expect(longer.durationSeconds).toBeGreaterThan(spot.durationSeconds);
  });

  it("starts, cancels, refuses illegal transitions, and retries", async () => {
    const id = (await createJob(app, token, { name: "to cancel", settings: { datasetId } })).data.createTrainingJob.data.id;
    const started = await app.gql(ACTION("startTrainingJob"), { id }, token);
    expect(started.data.startTrainingJob.data.status).toBe("QUEUED");
    const again = await app.gql(ACTION("startTrainingJob"), { id }, token);
    expect(again.data.startTrainingJob).toMatchObject({ code: "INVALID_TRANSITION", field: "status" });
    expect(again.data.startTrainingJob.message).toContain("A queued job cannot become queued");

    const cancelled = await app.gql(ACTION("cancelTrainingJob"), { id }, token);
    expect(cancelled.data.cancelTrainingJob.data.status).toBe("CANCELLED");
    const deleted = await app.gql(`mutation($id:ID!){ deleteTrainingJob(id:$id){ ... on AppError { code message } } }`, { id }, token);
    expect(deleted.data.deleteTrainingJob).toMatchObject({
      code: "CONFLICT",
      message: "Only a job that never started can be deleted; this one is cancelled.",
    });

    const retried = await app.gql(ACTION("retryTrainingJob"), { id }, token);
    expect(retried.data.retryTrainingJob.data).toMatchObject({ status: "QUEUED", retryCount: 1, name: "to cancel (retry 1)" });

    const events = await app.services.db.jobEvent.findMany({ where: { jobId: id }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["created", "status_changed", "status_changed"]);
  });

  it("walks the stages to completion and refuses to skip one", async () => {
    const id = (await createJob(app, token, { name: "walk", settings: { datasetId }, start: true })).data.createTrainingJob.data.id;
    await expect(transitionJob(app.services, id, "TRAINING")).rejects.toThrow("A queued job cannot become training");
    for (const status of [
      "PROVISIONING",
      "PREPROCESSING",
      "MODEL_LOADING",
      "TRAINING",
      "RECOVERING",
      "PROVISIONING",
      "PREPROCESSING",
      "MODEL_LOADING",
      "TRAINING",
      "FINALIZATION",
      "COMPLETED",
    ] as const) {
      await transitionJob(app.services, id, status);
    }
    const job = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id } });
    expect(job.status).toBe("COMPLETED");
    expect(job.startedAt).not.toBeNull();
    expect(job.finishedAt).not.toBeNull();
    await expect(transitionJob(app.services, id, "CANCELLED")).rejects.toThrow("from completed it can become: nothing");
    expect((await app.services.db.trainingJob.findUniqueOrThrow({ where: { id } })).status).toBe("COMPLETED");
  });

  it("answers a mutation whose client selects only __typename", async () => {
    const id = (await createJob(app, token, { name: "typename only", settings: { datasetId } })).data.createTrainingJob.data.id;
    const result = await app.gql(
      `mutation($id:ID!){ startTrainingJob(id:$id){ __typename ... on StartTrainingJobSuccess { data { __typename } } } }`,
      { id },
      token,
    );
    expect(result).toEqual({ data: { startTrainingJob: { __typename: "StartTrainingJobSuccess", data: { __typename: "TrainingJob" } } } });
  });

  it("deletes a job that never started", async () => {
    const id = (await createJob(app, token, { name: "to delete", settings: { datasetId } })).data.createTrainingJob.data.id;
    const deleted = await app.gql(
      `mutation($id:ID!){ deleteTrainingJob(id:$id){ __typename ... on DeleteTrainingJobSuccess { data } } }`,
      { id },
      token,
    );
    expect(deleted.data.deleteTrainingJob.data).toBe(id);
    expect(await app.services.db.trainingJob.findUnique({ where: { id } })).toBeNull();
  });

  it("saves a template and creates a job from it", async () => {
    const id = (
      await createJob(app, token, { name: "templated", settings: { datasetId, preset: "CONSERVATIVE", overrides: { dropout: 0.1 } } })
    ).data.createTrainingJob.data.id;
    const saved = await app.gql(
      `mutation($id:ID!){ saveJobAsTemplate(jobId:$id, name:"Careful voice"){ __typename ... on SaveJobAsTemplateSuccess { data { id preset config } } } }`,
      { id },
      token,
    );
    const template = saved.data.saveJobAsTemplate.data;
    expect(template).toMatchObject({ preset: "CONSERVATIVE", config: { rank: 8, dropout: 0.1 } });
    const dup = await app.gql(
      `mutation($id:ID!){ saveJobAsTemplate(jobId:$id, name:"Careful voice"){ __typename ... on AppError { code field } } }`,
      { id },
      token,
    );
    expect(dup.data.saveJobAsTemplate).toMatchObject({ code: "CONFLICT", field: "name" });
    const fromTemplate = await app.gql(
      `mutation($t:ID!,$d:ID!){ createJobFromTemplate(templateId:$t, datasetId:$d, name:"from template"){ __typename ... on CreateJobFromTemplateSuccess { data { preset config } } } }`,
      { t: template.id, d: datasetId },
      token,
    );
    expect(fromTemplate.data.createJobFromTemplate.data).toMatchObject({ preset: "CONSERVATIVE", config: { rank: 8, dropout: 0.1 } });
  });

  it("edits tags and notes", async () => {
    const id = (await createJob(app, token, { name: "notes", settings: { datasetId } })).data.createTrainingJob.data.id;
    const result = await app.gql(
      `mutation($id:ID!){ updateTrainingJob(id:$id, notes:"lr looked high", tags:["Keep","review"]){ ... on UpdateTrainingJobSuccess { data { notes tags } } } }`,
      { id },
      token,
    );
    expect(result.data.updateTrainingJob.data).toEqual({ notes: "lr looked high", tags: ["keep", "review"] });
  });
});

describe("job list: filters, search, sort and pagination", () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = await app.login("engineer");
    const datasetId = await demoDatasetId(app, token);
    const owner = await app.login("owner");
    for (let i = 0; i < 12; i++) {
      const who = i % 3 === 0 ? owner : token;
      await createJob(app, who, {
        name: `run ${String(i).padStart(2, "0")}`,
        notes: i === 7 ? "the Tokenizer bug" : null,
        tags: i % 2 ? ["odd"] : ["even"],
        settings: { datasetId, preset: i % 4 === 0 ? "AGGRESSIVE" : "BALANCED" },
        start: i < 4,
      });
    }
  });
  afterAll(() => app.stop());

  const list = (args: string) =>
    app.gql(
      `{ jobs(${args}) { totalCount pageInfo { hasNextPage endCursor } edges { node { name status tags preset createdBy { email } } } } }`,
      {},
      token,
    );

  it("filters by status, tag, preset and creator", async () => {
    expect((await list(`filter:{status:[QUEUED]}`)).data.jobs.totalCount).toBe(4);
    expect((await list(`filter:{tag:"ODD"}`)).data.jobs.totalCount).toBe(6);
    expect((await list(`filter:{preset:[AGGRESSIVE]}`)).data.jobs.totalCount).toBe(3);
    const owner = await app.services.db.user.findFirstOrThrow({ where: { memberships: { some: { role: "OWNER" } } } });
    const byOwner = await list(`filter:{createdById:"${owner.id}"}`);
    expect(byOwner.data.jobs.totalCount).toBe(4);
    expect(byOwner.data.jobs.edges.every((e: any) => e.node.createdBy.email.startsWith("owner@"))).toBe(true);
  });

  it("searches names and notes case-insensitively", async () => {
    const result = await list(`filter:{search:"tokenizer"}`);
    expect(result.data.jobs.edges.map((e: any) => e.node.name)).toEqual(["run 07"]);
  });

  it("filters by date range and cost range", async () => {
    expect((await list(`filter:{createdAfter:"2000-01-01T00:00:00Z", maxCostUsd: 0}`)).data.jobs.totalCount).toBe(12);
    expect((await list(`filter:{createdBefore:"2000-01-01T00:00:00Z"}`)).data.jobs.totalCount).toBe(0);
    expect((await list(`filter:{minCostUsd: 1}`)).data.jobs.totalCount).toBe(0);
  });

  it("sorts and pages without overlap", async () => {
    const first = await list(`first:5, sort:{field:NAME, direction:ASC}`);
    expect(first.data.jobs.edges.map((e: any) => e.node.name)).toEqual(["run 00", "run 01", "run 02", "run 03", "run 04"]);
    expect(first.data.jobs.pageInfo.hasNextPage).toBe(true);
    const second = await list(`first:5, after:"${first.data.jobs.pageInfo.endCursor}", sort:{field:NAME, direction:ASC}`);
    expect(second.data.jobs.edges.map((e: any) => e.node.name)).toEqual(["run 05", "run 06", "run 07", "run 08", "run 09"]);
  });
});
