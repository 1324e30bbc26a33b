import { afterAll, beforeAll, describe, expect, it } from "vitest";

// TEST_GPU costs $36/h spot and $72/h on demand: jobs of a few seconds cost cents.
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { createOtherOrganization } from "@tuneloop/testing/fixtures";
import { cancelLiveJobs, createMoneyJob, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";

// The business owner's money views, through GraphQL over HTTP: revenue and
// margin per project and client (and their CSV), cost advice drawn from the
// organization's own finished and failed jobs, and the report's cost-benefit section.

let app: TestApp;
let owner: string;
let engineer: string;
let project: { id: string };
let rivalProject: { id: string };
const jobs: Record<string, string> = {};

/** A job run by a test trainer to completion or to an error; returns its id. */
async function runJob(name: string, options: { projectId?: string; settings?: Record<string, unknown>; fail?: string }) {
  const created = await createMoneyJob(app, engineer, { name, start: true, projectId: options.projectId, settings: options.settings });
  expect(created.__typename, JSON.stringify(created)).toBe("CreateTrainingJobSuccess");
  const trainer = await TestTrainer.claim(app, created.data.id);
  await trainer.startTraining();
  await trainer.metrics(1, 5);
  if (options.fail) await trainer.fail(options.fail, "CUDA out of memory. Tried to allocate 2.00 GiB");
  else await trainer.complete();
  return created.data.id as string;
}

/** A finished validation as a worker stores it (only the figures these views read). */
async function storeValidation(jobId: string, perplexityImprovementPct: number) {
  return app.services.db.validationRun.create({
    data: {
      jobId,
      status: "COMPLETED",
      settings: {
        baseModel: "tuneloop-llama-tiny",
        perplexityPassMarkPct: 30,
        retentionAlertPct: 95,
        validationFraction: 0.2,
        seed: 1,
        maxSeqLength: 48,
        questionCount: 0,
        scenarioCount: 0,
        brandVoiceSample: 0,
        generation: { maxNewTokens: 8, temperature: 0.7, topK: 40 },
      },
      details: {},
      perplexityBase: 20,
      perplexityAdapted: 20 * (1 - perplexityImprovementPct / 100),
      perplexityImprovementPct,
      perplexityPassed: perplexityImprovementPct >= 30,
      knowledgeQuestions: 4,
      knowledgeBaseCorrect: 2,
      knowledgeAdaptedCorrect: 2,
      retentionPct: 100,
      retentionAlert: false,
      finishedAt: new Date(),
    },
  });
}

const cost = async (id: string) =>
  (await app.gql(`query($id:ID!){ job(id:$id){ actualCostUsd } }`, { id }, engineer)).data.job.actualCostUsd as number;

beforeAll(async () => {
  app = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE });
  [owner, engineer] = await Promise.all([app.login("owner"), app.login("engineer")]);
  await cancelLiveJobs(app);
  const made = await app.gql(
    `mutation{ createProject(name:"Acme assistant", clientName:"Acme Bank", contractValueUsd: 20000){ __typename ... on CreateProjectSuccess { data { id contractValueUsd } } ... on AppError { code message } } }`,
    {},
    owner,
  );
  project = made.data.createProject.data;
  expect(made.data.createProject.data.contractValueUsd).toBe(20000);
  rivalProject = (
    await app.gql(
      `mutation{ createProject(name:"Acme pilot", clientName:"Acme Bank"){ ... on CreateProjectSuccess { data { id } } } }`,
      {},
      owner,
    )
  ).data.createProject.data;
  // History: batch 8 runs out of memory twice on the test GPU, and batch 4 completes there.
  jobs.oom1 = await runJob("oom 1", { settings: { overrides: { batchSize: 8 } }, fail: "OutOfMemoryError" });
  jobs.oom2 = await runJob("oom 2", { settings: { overrides: { batchSize: 8 } }, fail: "OutOfMemoryError" });
  jobs.ok8 = await runJob("batch 8 ok", { settings: { overrides: { batchSize: 8 } } });
  jobs.balanced = await runJob("balanced", { projectId: project.id, settings: { overrides: { batchSize: 4 } } });
  jobs.aggressive = await runJob("aggressive", {
    projectId: rivalProject.id,
    settings: { preset: "AGGRESSIVE", pricingTier: "SPOT", overrides: { batchSize: 4 } },
  });
  await storeValidation(jobs.balanced, 40);
  await storeValidation(jobs.aggressive, 10);
}, 120_000);
afterAll(() => app?.stop());

describe(`project profitability (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  const QUERY = `{ profitability { targetPct csvUrl projects { projectId name clientName revenueUsd trainingCostUsd marginUsd marginPct trainingSharePct meetsTarget jobs }
    clients { clientName revenueUsd trainingCostUsd marginUsd jobs } } }`;

  it("shows revenue, training cost and margin per project and per client", async () => {
    const { profitability } = (await app.gql(QUERY, {}, owner)).data;
    expect(profitability.targetPct).toBe(5);
    const acme = profitability.projects.find((p: any) => p.projectId === project.id);
    const spent = await cost(jobs.balanced);
    expect(spent).toBeGreaterThan(0);
    expect(acme).toMatchObject({ name: "Acme assistant", clientName: "Acme Bank", revenueUsd: 20000, jobs: 1 });
    expect(acme.trainingCostUsd).toBeCloseTo(spent, 6);
    expect(acme.marginUsd).toBeCloseTo(20000 - spent, 6);
    expect(acme.trainingSharePct).toBeCloseTo((100 * spent) / 20000, 6);
    expect(acme.meetsTarget).toBe(acme.trainingSharePct < 5);
    // No contract value: cost without a margin.
    const pilot = profitability.projects.find((p: any) => p.projectId === rivalProject.id);
    expect(pilot).toMatchObject({ revenueUsd: null, marginUsd: null, meetsTarget: null, jobs: 1 });
    const client = profitability.clients.find((c: any) => c.clientName === "Acme Bank");
    const both = spent + (await cost(jobs.aggressive));
    expect(client).toMatchObject({ revenueUsd: 20000, jobs: 2 });
    expect(client.trainingCostUsd).toBeCloseTo(both, 6);
    expect(client.marginUsd).toBeCloseTo(20000 - both, 6);
  });

  it("lets only an owner set a project's revenue, and checks the amount", async () => {
    const SET = `mutation($p:ID!,$v:Float){ updateProjectRevenue(projectId:$p, contractValueUsd:$v){ __typename ... on UpdateProjectRevenueSuccess { data { contractValueUsd } } ... on AppError { code field } } }`;
    const refused = await app.gql(SET, { p: rivalProject.id, v: 5000 }, engineer);
    expect(refused.errors?.[0].extensions.code ?? refused.data?.updateProjectRevenue.code).toBe("FORBIDDEN");
    expect((await app.gql(SET, { p: rivalProject.id, v: -1 }, owner)).data.updateProjectRevenue).toMatchObject({
      code: "VALIDATION",
      field: "contractValueUsd",
    });
    expect((await app.gql(SET, { p: rivalProject.id, v: 5000 }, owner)).data.updateProjectRevenue.data.contractValueUsd).toBe(5000);
    const { profitability } = (await app.gql(QUERY, {}, owner)).data;
    expect(profitability.clients.find((c: any) => c.clientName === "Acme Bank").revenueUsd).toBe(25000);
    expect((await app.gql(SET, { p: rivalProject.id, v: null }, owner)).data.updateProjectRevenue.data.contractValueUsd).toBeNull();
    const rival = await createOtherOrganization(app);
    expect((await app.gql(QUERY, {}, rival)).data.profitability.projects).toEqual([]);
  });

  it("exports the same lines as CSV, with formula-like names defused", async () => {
    await app.gql(`mutation{ createProject(name:"=HYPERLINK(1)", clientName:"+Evil", contractValueUsd: 100){ __typename } }`, {}, owner);
    const response = await fetch(`${app.url}/api/budgets/profitability.csv`, { headers: { authorization: `Bearer ${owner}` } });
    expect(response.status).toBe(200);
    const lines = (await response.text()).trim().split("\n");
    expect(lines[0]).toBe(
      "level,name,client,revenue_usd,training_cost_usd,margin_usd,margin_pct,training_share_pct,meets_5pct_target,jobs",
    );
    const acme = lines.find((l) => l.startsWith("project,Acme assistant,"))!.split(",");
    expect(Number(acme[3])).toBe(20000);
    expect(Number(acme[4])).toBeCloseTo(await cost(jobs.balanced), 3);
    expect(lines.some((l) => l.startsWith("client,Acme Bank,Acme Bank,20000,"))).toBe(true);
    expect(lines.some((l) => l.startsWith("project,'=HYPERLINK(1),'+Evil,100,"))).toBe(true);
    expect((await fetch(`${app.url}/api/budgets/profitability.csv`)).status).toBe(401);
  });
});

describe("cost advice from history", () => {
  const ADVICE = `query($d:ID){ costAdvice(datasetId:$d){ kind message jobs gpuType batchSize suggestedBatchSize failedJobs savingsUsd interruptions preset datasetSize improvementPct costUsd } }`;

  it("names the batch size that ran out of memory on a GPU and the one that completed there", async () => {
    const advice = (await app.gql(ADVICE, {}, engineer)).data.costAdvice;
    const oom = advice.find((a: any) => a.kind === "OUT_OF_MEMORY");
    expect(oom).toMatchObject({ gpuType: "TEST_GPU", batchSize: 8, suggestedBatchSize: 4, failedJobs: 2, jobs: 3 });
    expect(oom.message).toMatch(/^On Test GPU 24GB .*, batch 8 ran out of memory in 2 of 3 jobs: use batch 4/);
  });

  it("adds up what spot saved this month against on-demand prices", async () => {
    const advice = (await app.gql(ADVICE, {}, engineer)).data.costAdvice;
    const spot = advice.find((a: any) => a.kind === "SPOT_SAVINGS");
    // The test GPU costs $36/h spot and $72/h on demand: the spot job saved exactly what it cost.
    expect(spot).toMatchObject({ jobs: 1, interruptions: 0 });
    // The bill is rounded to a hundredth of a cent, the saving is not: equal to three decimals.
    expect(spot.savingsUsd).toBeCloseTo(await cost(jobs.aggressive), 3);
    expect(spot.message).toMatch(/^Spot saved \$[\d,.]+ this month against on-demand prices, over 1 job with 0 interruptions\.$/);
  });

  it("names the preset with the best quality per dollar on datasets of a size", async () => {
    const datasetId = (await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: jobs.balanced } })).datasetId;
    const advice = (await app.gql(ADVICE, { d: datasetId }, engineer)).data.costAdvice;
    const value = advice.find((a: any) => a.kind === "PRESET_VALUE");
    // Balanced: 40% for its cost; Aggressive: 10% for a spot job's (half the price per hour, similar hours).
    const [balancedCost, aggressiveCost] = [await cost(jobs.balanced), await cost(jobs.aggressive)];
    expect(40 / balancedCost).toBeGreaterThan(10 / aggressiveCost);
    expect(value).toMatchObject({ preset: "BALANCED", improvementPct: 40, jobs: 1 });
    expect(value.costUsd).toBeCloseTo(balancedCost, 6);
    expect(value.message).toMatch(
      /^Balanced gave the best quality per dollar on datasets of this size \(.+ conversations\): 40% perplexity improvement for \$[\d,.]+ a job on average, against Aggressive's 10%/,
    );
  });
});

describe("cost-benefit in the validation report", () => {
  it("sets training cost (earlier failed attempts included) against the project's contract value", async () => {
    // A retry of a failed attempt in the project: the report counts both attempts.
    const failed = await runJob("first attempt", {
      projectId: project.id,
      settings: { overrides: { batchSize: 4 } },
      fail: "UnknownError",
    });
    const retried = await app.gql(
      `mutation($id:ID!){ retryTrainingJob(id:$id){ __typename ... on RetryTrainingJobSuccess { data { id } } ... on AppError { message } } }`,
      { id: failed },
      engineer,
    );
    const retryId = retried.data.retryTrainingJob.data.id;
    await app.gql(`mutation($id:ID!){ startTrainingJob(id:$id){ __typename } }`, { id: retryId }, engineer);
    const trainer = await TestTrainer.claim(app, retryId);
    await trainer.startTraining();
    await trainer.metrics(1, 5);
    await trainer.complete();
    const run = await storeValidation(retryId, 35);
    const report = (await app.gql(`query($id:ID!){ validationRun(id:$id){ report } }`, { id: run.id }, owner)).data.validationRun.report;
    const total = (await cost(failed)) + (await cost(retryId));
    expect(report.costBenefit).toMatchObject({
      earlierAttempts: 1,
      interruptions: 0,
      salePriceUsd: 20000,
      priceSource: "project",
      targetPct: 5,
    });
    expect(report.costBenefit.trainingCostUsd).toBeCloseTo(total, 6);
    expect(report.costBenefit.marginUsd).toBeCloseTo(20000 - total, 6);
    expect(report.costBenefit.costSharePct).toBeCloseTo((100 * total) / 20000, 6);
    expect(report.costBenefit.meetsTarget).toBe(report.costBenefit.costSharePct < 5);
    const pdf = await fetch(`${app.url}/api/reports/${run.id}/report.pdf`, { headers: { authorization: `Bearer ${owner}` } });
    expect(pdf.status).toBe(200);
  });
});
