// Helpers for the money tests (costs, budgets, notifications, failures): jobs
// created through GraphQL, claimed by a real worker key and driven by the real
// trainer report mutations, so costs come from the ingest's billing rule.
import { expect } from "vitest";
import type { TestApp } from "./app.js";
import { demoDatasetId } from "./fixtures.js";
import { CLAIM, createWorkerKey } from "./workerApi.js";
import { outcome, REPORT, trainingPoints } from "./trainerReports.js";
import { transitionJob } from "../../../server/src/jobs/service.js";
import { FINAL_STATUSES } from "../../../server/src/jobs/stateMachine.js";

/** Cancels every job still queued or running, so that each test's worker claims its own job. */
export async function cancelLiveJobs(app: TestApp) {
  const live = await app.services.db.trainingJob.findMany({ where: { status: { notIn: FINAL_STATUSES } }, select: { id: true } });
  for (const { id } of live) await transitionJob(app.services, id, "CANCELLED", { message: "test cleanup" });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const JOB_MONEY = `id name status preset gpuType pricingTier config estimatedCostUsd estimatedCostLowUsd estimatedCostHighUsd estimatedDurationSec
  actualCostUsd billableSeconds currentCostUsd remainingCostUsd projectedCostUsd costVariancePct costOverrun spendRateUsdPerHour
  approvalRequired costApproval { estimateUsd thresholdUsd approvedBy { email } } startedAt finishedAt errorType errorMessage retryCount`;

const CREATE = `mutation($input: CreateTrainingJobInput!){ createTrainingJob(input:$input){ __typename
  ... on CreateTrainingJobSuccess { data { ${JOB_MONEY} } } ... on AppError { code message field } } }`;

/** Creates a job on the demo dataset (TEST_GPU on-demand unless `settings` says otherwise); returns the mutation's result. */
export async function createMoneyJob(
  app: TestApp,
  token: string,
  input: { name: string; start?: boolean; projectId?: string; budgetOverrideReason?: string; settings?: Record<string, unknown> },
) {
  const datasetId = (input.settings?.datasetId as string | undefined) ?? (await demoDatasetId(app, token));
  const { settings, ...rest } = input;
  const response = await app.gql(
    CREATE,
    { input: { ...rest, settings: { datasetId, gpuType: "TEST_GPU", pricingTier: "ON_DEMAND", ...settings } } },
    token,
  );
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.createTrainingJob as { __typename: string; data?: any; code?: string; message?: string; field?: string };
}

export async function jobMoney(app: TestApp, token: string, id: string) {
  const response = await app.gql(`query($id:ID!){ job(id:$id){ ${JOB_MONEY} } }`, { id }, token);
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.job;
}

const workerKeys = new WeakMap<TestApp, Promise<string>>();

/** A trainer for one job: claims it with the app's worker key, then sends numbered reports. */
export class TestTrainer {
  private sequence = 0;
  private constructor(
    private readonly app: TestApp,
    readonly jobId: string,
    readonly token: string,
  ) {}

  static async claim(app: TestApp, jobId: string): Promise<TestTrainer> {
    if (!workerKeys.has(app)) workerKeys.set(app, createWorkerKey(app));
    const key = await workerKeys.get(app)!;
    const claimed = (await app.gql(CLAIM, { w: "money-test-worker", g: null }, key)).data.claimTrainingJob.data.claim;
    expect(claimed?.job.id, "the worker claims the job under test (no other job may be queued)").toBe(jobId);
    return new TestTrainer(app, jobId, claimed.trainerToken);
  }

  private async send(mutation: string, vars: Record<string, unknown>) {
    const result = outcome(await this.app.gql(mutation, { j: this.jobId, s: ++this.sequence, ...vars }, this.token));
    if (result.__typename === "AppError") throw new Error(`report refused: ${result.code} ${result.message}`);
    return result.data;
  }

  status(status: string, totalSteps?: number) {
    return this.send(REPORT.status, { st: status, t: totalSteps ?? null });
  }

  /** Metrics for steps from..to (the bill grows with every report). */
  metrics(fromStep: number, toStep: number) {
    return this.send(REPORT.metrics, { p: trainingPoints(fromStep, toStep) });
  }

  /** PREPROCESSING → MODEL_LOADING → TRAINING (10 steps). */
  async startTraining() {
    await this.status("PREPROCESSING");
    await this.status("MODEL_LOADING");
    await this.status("TRAINING", 10);
  }

  /** Training is done; with `validationFollows` the job moves on to the server's VALIDATION stage. */
  complete(validationFollows = false) {
    return this.send(REPORT.complete, { v: validationFollows });
  }

  /** `facts`: what a trainer measured (FailureFactsInput), for the guidance to size the retry from. */
  fail(errorType: string, message: string, facts: Record<string, unknown> | null = null) {
    return this.send(REPORT.error, { t: errorType, m: message, f: facts });
  }
}

export async function alertsOf(app: TestApp, token: string, types?: string[]) {
  const response = await app.gql(
    `query($t:[AlertType!]){ alerts(types:$t, first: 200){ edges { node { id type message jobId projectId data createdAt } } } }`,
    { t: types ?? null },
    token,
  );
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.alerts.edges.map((e: any) => e.node) as {
    id: string;
    type: string;
    message: string;
    jobId: string | null;
    projectId: string | null;
    data: any;
  }[];
}

/** GPU_CATALOG_FILE of the money tests: TEST_GPU has no provisioning or loading time and a dear rate, so real jobs run for seconds and cost cents. */
export const TEST_GPU_CATALOG_FILE = new URL("../../../server/src/costs/testGpuCatalog.json", import.meta.url).pathname;
