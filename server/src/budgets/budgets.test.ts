import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// TEST_GPU costs $72/h on-demand (2 cents a second), so real jobs move real budgets in seconds.
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { demoDatasetId } from "@tuneloop/testing/fixtures";
import { HEARTBEAT } from "@tuneloop/testing/workerApi";
import { alertsOf, cancelLiveJobs, createMoneyJob, jobMoney, sleep, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";
import { waitFor } from "@tuneloop/testing/waitFor";
import { monthOf } from "./month.js";
import { costForSeconds } from "../costs/estimate.js";

const BUDGET = `query($m:String){ budget(month:$m){ month budgetUsd spentUsd committedUsd forecastUsd remainingUsd percentUsed forecastPercent activeJobs hardStopAtBudget jobApprovalUsd reportUrl
  jobs { jobId name status costUsd estimatedCostUsd remainingCostUsd clientName projectName }
  projects { projectId name clientName budgetUsd spentUsd forecastUsd percentUsed jobs }
  clients { clientName spentUsd } } }`;
const UPDATE = `mutation($i:UpdateBudgetInput!){ updateBudget(input:$i){ __typename ... on AppError { code message field } ... on UpdateBudgetSuccess { data { budgetUsd spentUsd percentUsed hardStopAtBudget jobApprovalUsd } } } }`;
const ERR = `__typename ... on AppError { code message field }`;

describe(`monthly budgets, approvals and the cost report (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let engineer: string;
  let owner: string;
  const month = monthOf(new Date());
  const budget = async (token = engineer) => (await app.gql(BUDGET, { m: month }, token)).data.budget;
  const updateBudget = async (input: Record<string, unknown>, token = owner) =>
    (await app.gql(UPDATE, { i: input }, token)).data.updateBudget;
  const csv = (token: string | null, m = month) =>
    fetch(`${app.url}/api/budgets/${m}/report.csv`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    app = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE });
    [engineer, owner] = await Promise.all([app.login("engineer"), app.login("owner")]);
  });
  afterAll(() => app.stop());
  afterEach(() => cancelLiveJobs(app));

  it("lets engineers read the budget and only owners change it", async () => {
    const empty = await budget();
    expect(empty).toMatchObject({
      month,
      budgetUsd: 500,
      spentUsd: 0,
      forecastUsd: 0,
      remainingUsd: 500,
      percentUsed: 0,
      hardStopAtBudget: false,
      jobApprovalUsd: 150,
      jobs: [],
      reportUrl: `/api/budgets/${month}/report.csv`,
    });
    const refused = await app.gql(UPDATE, { i: { monthlyBudgetUsd: 900 } }, engineer);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: "FORBIDDEN" });
    expect(await updateBudget({ monthlyBudgetUsd: -1 })).toMatchObject({ code: "VALIDATION", field: "monthlyBudgetUsd" });
    expect((await updateBudget({ monthlyBudgetUsd: 900 })).data.budgetUsd).toBe(900);
    expect((await app.gql(BUDGET, { m: "2026-13" }, engineer)).errors?.[0].extensions).toMatchObject({
      code: "VALIDATION",
      field: "month",
    });
    // The CSV route wants a credential and a real month.
    expect((await csv(null)).status).toBe(401);
    expect((await csv(engineer, "June")).status).toBe(400);
  });

  it("alerts at 80% and 95% once a month, refuses a job over budget unless an owner overrides, and hard-stops at 100%", async () => {
    // A first job (named like a spreadsheet formula) runs for about a second and completes.
    const j1 = (await createMoneyJob(app, engineer, { name: '=HYPERLINK("http://evil") advisor', start: true })).data;
    const t1 = await TestTrainer.claim(app, j1.id);
    await t1.startTraining();
    await sleep(800);
    await t1.complete();
    const spent = (await jobMoney(app, engineer, j1.id)).actualCostUsd;
    expect(spent).toBeGreaterThan(0.015);
    expect((await budget()).spentUsd).toBeCloseTo(spent, 6);

    // Owners move the budget: 85% used crosses 80%, then 97% crosses 95%; each alert comes once.
    await updateBudget({ monthlyBudgetUsd: spent / 0.85 });
    const budgetAlerts = () => alertsOf(app, owner, ["BUDGET_80", "BUDGET_95", "BUDGET_100"]);
    expect((await budgetAlerts()).map((a) => a.type)).toEqual(["BUDGET_80"]);
    await updateBudget({ monthlyBudgetUsd: spent / 0.97 });
    await updateBudget({ monthlyBudgetUsd: spent / 0.85 });
    await updateBudget({ monthlyBudgetUsd: spent / 0.97 });
    const alerts = await budgetAlerts();
    expect(alerts.map((a) => a.type)).toEqual(["BUDGET_95", "BUDGET_80"]);
    expect(alerts[0].message).toContain(`of its $${(spent / 0.97).toFixed(2)} budget for ${month} (97%)`);
    expect(alerts[0].data).toMatchObject({ month, activeJobs: 0 });

    // With a hard stop and $0.10 left, a new job (estimated above that) is refused, with the numbers.
    const limit = spent + 0.1;
    await updateBudget({ monthlyBudgetUsd: limit, hardStopAtBudget: true });
    const refused = await createMoneyJob(app, engineer, { name: "over budget", start: true });
    expect(refused).toMatchObject({ __typename: "AppError", code: "BUDGET_EXCEEDED", field: "budgetOverrideReason" });
    expect(refused.message).toMatch(new RegExp(`over the \\$${limit.toFixed(2)} budget: \\$${spent.toFixed(2)} spent`));
    expect(refused.message).toContain("An owner can let it through with a reason.");
    expect(await app.services.db.trainingJob.count({ where: { name: "over budget" } })).toBe(0);
    expect(await createMoneyJob(app, engineer, { name: "over budget", start: true, budgetOverrideReason: "client pays" })).toMatchObject({
      code: "FORBIDDEN",
      field: "budgetOverrideReason",
    });
    expect(await createMoneyJob(app, owner, { name: "over budget", start: true, budgetOverrideReason: "  " })).toMatchObject({
      code: "VALIDATION",
      field: "budgetOverrideReason",
    });

    const j2 = (
      await createMoneyJob(app, owner, {
        name: "over budget",
        start: true,
        budgetOverrideReason: "Acme pays this run on top of the retainer",
      })
    ).data;
    expect(j2.status).toBe("QUEUED");
    const overrides = (
      await app.gql(`{ budgetOverrides { reason budgetUsd forecastUsd jobEstimateUsd job { id } user { email } } }`, {}, engineer)
    ).data.budgetOverrides;
    expect(overrides).toEqual([
      {
        reason: "Acme pays this run on top of the retainer",
        budgetUsd: expect.any(Number),
        forecastUsd: expect.any(Number),
        jobEstimateUsd: j2.estimatedCostUsd,
        job: { id: j2.id },
        user: { email: "owner@demo.tuneloop.dev" },
      },
    ]);
    expect(overrides[0].budgetUsd).toBeCloseTo(limit, 9);
    expect(overrides[0].forecastUsd).toBeGreaterThan(limit);

    // It runs; between the trainer's reports the spend keeps counting, and the hard stop cancels it before the budget is passed.
    const t2 = await TestTrainer.claim(app, j2.id);
    await t2.startTraining();
    const running = await budget();
    expect(running.activeJobs).toBe(1);
    expect(running.forecastUsd).toBeGreaterThan(running.spentUsd);
    const cancelled = await waitFor(
      "the hard stop",
      async () => {
        const job = await jobMoney(app, engineer, j2.id);
        return job.status === "CANCELLED" ? job : null;
      },
      10_000,
    );
    expect(cancelled.actualCostUsd).toBeGreaterThan(0.02);
    const after = await budget();
    expect(after.spentUsd).toBeLessThanOrEqual(limit);
    expect(after.spentUsd).toBeCloseTo(spent + cancelled.actualCostUsd, 6);
    const beat = (await app.gql(HEARTBEAT, { id: j2.id }, t2.token)).data.heartbeatTrainingJob.data;
    expect(beat).toMatchObject({ status: "CANCELLED", cancelRequested: true });
    const events = await app.services.db.jobEvent.findMany({ where: { jobId: j2.id, type: "status_changed" }, orderBy: { id: "asc" } });
    expect(events.at(-1)!.message).toMatch(/budget of \$[\d.]+ is spent \(hard stop\)/);
    const hundred = await waitFor("the 100% alert", async () => (await alertsOf(app, owner, ["BUDGET_100"]))[0], 5000);
    expect(hundred.message).toContain("Hard stop: 1 job(s) cancelled.");
    expect((await budgetAlerts()).map((a) => a.type)).toEqual(["BUDGET_100", "BUDGET_95", "BUDGET_80"]);

    // The month's financial CSV: one row per job, a total, and no formula a spreadsheet would run.
    const response = await csv(engineer);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="tuneloop-costs-${month}.csv"`);
    const lines = (await response.text()).trim().split("\n");
    expect(lines[0]).toBe(
      "month,job_id,job_name,client,project,status,preset,gpu_type,pricing_tier,hourly_rate_usd,billable_hours,estimated_cost_usd,cost_usd,variance_pct,started_at,finished_at,created_by",
    );
    expect(lines).toHaveLength(4);
    const first = lines.find((l) => l.includes(j1.id))!;
    expect(first).toContain(`"'=HYPERLINK(""http://evil"") advisor"`);
    expect(first).toContain(`,COMPLETED,BALANCED,TEST_GPU,ON_DEMAND,72,`);
    const total = lines.at(-1)!.split(",");
    expect(total.slice(0, 2)).toEqual([month, "TOTAL"]);
    expect(Number(total[12])).toBeCloseTo(after.spentUsd, 3);
  });

  it("holds a job above the approval threshold until an owner approves its cost", async () => {
    await updateBudget({ monthlyBudgetUsd: 10_000, hardStopAtBudget: false, jobApprovalUsd: 0.05 });
    const job = (await createMoneyJob(app, engineer, { name: "needs approval", start: true })).data;
    expect(job.estimatedCostUsd).toBeGreaterThan(0.05);
    expect(job).toMatchObject({ status: "PENDING", approvalRequired: true, costApproval: null });
    const requested = await alertsOf(app, owner, ["APPROVAL_REQUESTED"]);
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ jobId: job.id });

    const START = `mutation($id:ID!){ startTrainingJob(id:$id){ ${ERR} ... on StartTrainingJobSuccess { data { status } } } }`;
    const APPROVE = `mutation($id:ID!){ approveTrainingJobCost(jobId:$id){ ${ERR} ... on ApproveTrainingJobCostSuccess { data { approvalRequired costApproval { estimateUsd thresholdUsd approvedBy { email } } } } } }`;
    expect((await app.gql(START, { id: job.id }, engineer)).data.startTrainingJob).toMatchObject({
      code: "APPROVAL_REQUIRED",
      field: "jobId",
    });
    expect((await app.gql(APPROVE, { id: job.id }, engineer)).errors?.[0].extensions.code).toBe("FORBIDDEN");
    expect((await app.gql(APPROVE, { id: job.id }, owner)).data.approveTrainingJobCost.data).toEqual({
      approvalRequired: false,
      costApproval: { estimateUsd: job.estimatedCostUsd, thresholdUsd: 0.05, approvedBy: { email: "owner@demo.tuneloop.dev" } },
    });
    expect((await app.gql(START, { id: job.id }, engineer)).data.startTrainingJob.data.status).toBe("QUEUED");
    // A job below the threshold needs nothing.
    await updateBudget({ jobApprovalUsd: 150 });
    const cheap = (await createMoneyJob(app, engineer, { name: "cheap", start: false })).data;
    expect((await app.gql(APPROVE, { id: cheap.id }, owner)).data.approveTrainingJobCost).toMatchObject({ code: "CONFLICT" });
    expect(await alertsOf(app, owner, ["APPROVAL_REQUESTED"])).toHaveLength(1);
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: job.id }, engineer);
  });

  it("keeps a project within 110% of its budget: refuses what would pass it, cancels what reaches it", async () => {
    const datasetId = await demoDatasetId(app, engineer);
    const estimate = (
      await app.gql(
        `query($i:JobSettingsInput!){ costEstimate(input:$i){ costUsd } }`,
        { i: { datasetId, gpuType: "TEST_GPU", pricingTier: "ON_DEMAND" } },
        engineer,
      )
    ).data.costEstimate.costUsd;
    const CREATE = `mutation($n:String!,$c:String,$b:Float){ createProject(name:$n, clientName:$c, monthlyBudgetUsd:$b){ ${ERR} ... on CreateProjectSuccess { data { id name clientName monthlyBudgetUsd } } } }`;
    expect((await app.gql(CREATE, { n: "Acme", b: 5 }, engineer)).data.createProject).toMatchObject({
      code: "FORBIDDEN",
      field: "monthlyBudgetUsd",
    });
    const project = (await app.gql(CREATE, { n: "Acme onboarding", c: "Acme Wealth", b: estimate / 2 }, owner)).data.createProject.data;
    expect((await app.gql(CREATE, { n: "Acme onboarding" }, engineer)).data.createProject).toMatchObject({
      code: "CONFLICT",
      field: "name",
    });

    // Past the cap: refused even with an owner's reason.
    const capped = await createMoneyJob(app, owner, {
      name: "too big",
      start: true,
      projectId: project.id,
      budgetOverrideReason: "please",
    });
    expect(capped).toMatchObject({ code: "BUDGET_EXCEEDED", field: "projectId" });
    expect(capped.message).toContain("past its hard cap");

    // Over the budget but under the cap: an owner may let it through.
    const PROJECT_BUDGET = `mutation($p:ID!,$b:Float){ updateProjectBudget(projectId:$p, monthlyBudgetUsd:$b){ ${ERR} ... on UpdateProjectBudgetSuccess { data { projects { projectId budgetUsd } } } } }`;
    await app.gql(PROJECT_BUDGET, { p: project.id, b: estimate / 1.05 }, owner);
    expect(await createMoneyJob(app, engineer, { name: "acme run", start: true, projectId: project.id })).toMatchObject({
      code: "BUDGET_EXCEEDED",
      field: "budgetOverrideReason",
    });
    const job = (
      await createMoneyJob(app, owner, { name: "acme run", start: true, projectId: project.id, budgetOverrideReason: "agreed with Acme" })
    ).data;

    // It runs until the project's spend nears 110% of its budget, then it is cancelled.
    const trainer = await TestTrainer.claim(app, job.id);
    await trainer.startTraining();
    const cancelled = await waitFor(
      "the project cap",
      async () => {
        const j = await jobMoney(app, engineer, job.id);
        return j.status === "CANCELLED" ? j : null;
      },
      10_000,
    );
    const cap = (estimate / 1.05) * 1.1;
    expect(cancelled.actualCostUsd).toBeLessThanOrEqual(cap);
    // Stopped when the spend plus 3 seconds of billing reached the cap, not earlier.
    expect(cancelled.actualCostUsd).toBeGreaterThanOrEqual(cap - (72 / 3600) * 3 - 1e-4);
    const projectAlerts = await waitFor(
      "the project alerts",
      async () => {
        const found = await alertsOf(app, owner, ["PROJECT_BUDGET_EXCEEDED"]);
        return found.length === 2 ? found : null;
      },
      5000,
    );
    expect(projectAlerts.every((a) => a.projectId === project.id)).toBe(true);
    expect(projectAlerts[0].message).toMatch(/1 job\(s\) were cancelled so that it stays under \$/);

    const summary = await budget();
    const line = summary.projects.find((p: any) => p.projectId === project.id);
    expect(line).toMatchObject({ name: "Acme onboarding", clientName: "Acme Wealth", jobs: 1 });
    expect(line.budgetUsd).toBeCloseTo(estimate / 1.05, 9);
    expect(line.spentUsd).toBeCloseTo(cancelled.actualCostUsd, 6);
    expect(summary.clients.find((c: any) => c.clientName === "Acme Wealth").spentUsd).toBeCloseTo(cancelled.actualCostUsd, 6);
    expect(summary.jobs.find((j: any) => j.jobId === job.id)).toMatchObject({
      projectName: "Acme onboarding",
      clientName: "Acme Wealth",
      status: "CANCELLED",
      remainingCostUsd: 0,
    });
  });
  it("admits jobs queued at the same moment one after the other, so together they cannot pass the budget", async () => {
    await updateBudget({ hardStopAtBudget: false, jobApprovalUsd: 10_000 });
    const pending = (await createMoneyJob(app, engineer, { name: "race 0", start: false })).data;
    // Room for two more jobs: the second of four racing admissions must see the first.
    const room = (await budget()).forecastUsd + 2.5 * pending.estimatedCostUsd;
    await updateBudget({ monthlyBudgetUsd: room });
    const START = `mutation($id:ID!){ startTrainingJob(id:$id){ ${ERR} ... on StartTrainingJobSuccess { data { status } } } }`;
    const results = await Promise.all([
      app.gql(START, { id: pending.id }, engineer).then((r) => r.data.startTrainingJob),
      ...[1, 2, 3].map((n) => createMoneyJob(app, engineer, { name: `race ${n}`, start: true })),
    ]);
    const admitted = results.filter((r) => !("code" in r) || !r.code);
    const refused = results.filter((r) => r.code);
    expect(admitted).toHaveLength(2);
    expect(refused.map((r) => r.code)).toEqual(["BUDGET_EXCEEDED", "BUDGET_EXCEEDED"]);
    const after = await budget();
    expect(after.activeJobs).toBe(2);
    expect(after.forecastUsd).toBeLessThanOrEqual(room + 1e-9);
    // The refused creations left nothing behind; the refused start left its job pending.
    const created = admitted.filter((r) => r.__typename === "CreateTrainingJobSuccess").length;
    expect(await app.services.db.trainingJob.count({ where: { name: { startsWith: "race " } } })).toBe(1 + created);
    expect((await jobMoney(app, engineer, pending.id)).status).toBe(results[0].code ? "PENDING" : "QUEUED");
  });
  it("stops the bill when training is done: the validation stage runs on the server and is not billed", async () => {
    const job = (await createMoneyJob(app, engineer, { name: "billed until trained", start: true })).data;
    const trainer = await TestTrainer.claim(app, job.id);
    await trainer.startTraining();
    await sleep(300);
    await trainer.complete(true);
    const atHandOver = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(atHandOver.billingEndedAt).not.toBeNull();
    await sleep(700);
    const later = await jobMoney(app, engineer, job.id);
    expect(["VALIDATION", "COMPLETED"]).toContain(later.status);
    expect(later.spendRateUsdPerHour).toBe(0);
    const trainedSeconds = (atHandOver.billingEndedAt!.getTime() - atHandOver.startedAt!.getTime()) / 1000;
    expect(later.billableSeconds).toBeCloseTo(trainedSeconds, 6);
    expect(later.currentCostUsd).toBe(costForSeconds(trainedSeconds, 72));
  });
});
