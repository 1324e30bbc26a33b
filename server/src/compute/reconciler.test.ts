// The reconciler against a real app and database, with a provider whose API
// misbehaves on purpose (down, rate-limited, no such GPU): the faults the local
// provider cannot produce. The local provider itself is tested end to end in local.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { CLAIM, queueJob, uploadArtifact } from "@tuneloop/testing/workerApi";
import { REPORT } from "@tuneloop/testing/trainerReports";
import { queueAutomaticRuns } from "../validation/service.js";
import { AppError } from "../errors.js";
import { reconcile } from "./reconciler.js";
import { LocalProvider } from "./local.js";
import { ComputeUnavailableError, type ComputeProvider, type LaunchRequest, type MachineStatus } from "./provider.js";

/** A provider with a scripted API: `failures` launch calls are refused before one succeeds. */
class ScriptedProvider implements ComputeProvider {
  readonly name = "LOCAL" as const;
  readonly capabilities = { spot: true, recoversItself: false, preemptionNotice: "none" } as const;
  launches: LaunchRequest[] = [];
  cancelled: string[] = [];
  /** Machines the cloud took back (spot preemption). */
  preempted = new Set<string>();
  constructor(
    private failures: number,
    private readonly offers = true,
  ) {}
  quote(gpuType: string, tier: "SPOT" | "ON_DEMAND") {
    if (!this.offers) throw new AppError("VALIDATION", `No ${gpuType} in any region`, "gpuType");
    return {
      provider: this.name,
      region: "test-1",
      instanceType: "gpu-1x",
      tier,
      pricePerHourUsd: tier === "SPOT" ? 1.5 : 4.5,
      simulated: false,
    };
  }
  async launch(request: LaunchRequest) {
    this.launches.push(request);
    if (this.failures-- > 0) throw new ComputeUnavailableError("429 Too Many Requests");
    return { externalId: `m-${request.jobId}-${request.attempt}`, region: "test-1", instanceType: "gpu-1x" };
  }
  async poll(externalId: string): Promise<MachineStatus> {
    if (this.preempted.has(externalId)) return { state: "ENDED", outcome: "INTERRUPTED", reason: "Preempted" };
    return { state: "RUNNING" };
  }
  async cancel(externalId: string) {
    this.cancelled.push(externalId);
  }
  async listLabelled() {
    return [];
  }
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ seedDemo: true });
});
afterAll(() => app?.stop());

const db = () => app.services.db;
const eventTypes = async (jobId: string) => (await db().jobEvent.findMany({ where: { jobId }, orderBy: { id: "asc" } })).map((e) => e.type);

describe("compute reconciler", () => {
  it("keeps the job queued while the provider's API refuses, backs off, then launches the same attempt once", async () => {
    const jobId = await queueJob(app, "rate limited");
    const provider = new ScriptedProvider(2);
    const providers = { LOCAL: provider };

    await reconcile(app.services, providers);
    let [launch] = await db().computeLaunch.findMany({ where: { jobId } });
    expect(launch).toMatchObject({ attempt: 1, state: "LAUNCHING", launchTries: 1, reason: "429 Too Many Requests" });
    expect((launch.retryAt!.getTime() - Date.now()) / 1000).toBeGreaterThan(1);
    expect((await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("QUEUED");
    expect(await eventTypes(jobId)).toContain("compute_unavailable");

    // Before the backoff is over nothing is tried again.
    await reconcile(app.services, providers);
    expect(provider.launches).toHaveLength(1);

    await db().computeLaunch.update({ where: { id: launch.id }, data: { retryAt: new Date() } });
    await reconcile(app.services, providers);
    [launch] = await db().computeLaunch.findMany({ where: { jobId } });
    expect(launch).toMatchObject({ launchTries: 2, state: "LAUNCHING" });
    expect((launch.retryAt!.getTime() - Date.now()) / 1000).toBeGreaterThan(3); // doubled

    await db().computeLaunch.update({ where: { id: launch.id }, data: { retryAt: new Date() } });
    await reconcile(app.services, providers);
    const launches = await db().computeLaunch.findMany({ where: { jobId } });
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({
      attempt: 1,
      state: "RUNNING",
      externalId: `m-${jobId}-1`,
      region: "test-1",
      pricePerHourUsd: 1.5,
      simulated: false,
    });
    expect(provider.launches.map((l) => `${l.jobId}:${l.attempt}`)).toEqual(Array(3).fill(`${jobId}:1`));
    expect((await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } })).machineSince).toEqual(launches[0].startedAt);

    // A cancelled job's machine is released at once, and its bill ends there.
    const session = await app.login("engineer");
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: jobId }, session);
    await reconcile(app.services, providers);
    expect(provider.cancelled).toEqual([`m-${jobId}-1`]);
    const [released] = await db().computeLaunch.findMany({ where: { jobId } });
    expect(released).toMatchObject({ state: "ENDED", outcome: "CANCELLED" });
    const job = await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(job.machineSince).toBeNull();
    expect(job.machineSeconds).toBeCloseTo((released.endedAt!.getTime() - released.startedAt!.getTime()) / 1000, 3);
  });

  it("after the job's number of preemptions, launches the next attempt on on-demand and bills each machine at its own price", async () => {
    const jobId = await queueJob(
      app,
      "spot then on-demand",
      {},
      { pricingTier: "SPOT", onDemandFallback: true, onDemandAfterPreemptions: 2 },
    );
    const provider = new ScriptedProvider(0);
    // Machines held for hours, not milliseconds, so that the bill is in dollars.
    const heldFor = async (attempt: number, hours: number) => {
      const startedAt = new Date(Date.now() - hours * 3_600_000);
      await db().computeLaunch.updateMany({ where: { jobId, attempt }, data: { startedAt } });
      await db().trainingJob.update({ where: { id: jobId }, data: { machineSince: startedAt } });
    };
    for (let attempt = 1; attempt <= 2; attempt++) {
      await reconcile(app.services, { LOCAL: provider });
      const request = provider.launches.at(-1)!;
      expect(request).toMatchObject({ attempt, tier: "SPOT", onDemandFallback: true });
      // The machine's worker claims with the launch's token, then the cloud takes the machine back.
      const claimed = await app.gql(CLAIM, { w: `m-${attempt}`, j: jobId }, request.workerToken);
      expect(claimed.data.claimTrainingJob.data.claim.job.status).toBe("PROVISIONING");
      await heldFor(attempt, 1);
      provider.preempted.add(`m-${jobId}-${attempt}`);
      await reconcile(app.services, { LOCAL: provider });
      expect((await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("RECOVERING");
    }
    await reconcile(app.services, { LOCAL: provider });
    const launches = await db().computeLaunch.findMany({ where: { jobId }, orderBy: { attempt: "asc" } });
    expect(launches.map((l) => [l.attempt, l.tier, l.pricePerHourUsd, l.outcome])).toEqual([
      [1, "SPOT", 1.5, "INTERRUPTED"],
      [2, "SPOT", 1.5, "INTERRUPTED"],
      [3, "ON_DEMAND", 4.5, null],
    ]);
    expect(provider.launches.at(-1)).toMatchObject({ attempt: 3, tier: "ON_DEMAND", onDemandFallback: false });
    await heldFor(3, 2);
    const engineer = await app.login("engineer");
    const running = await app.gql(`query($id:ID!){ job(id:$id){ currentCostUsd spendRateUsdPerHour } }`, { id: jobId }, engineer);
    expect(running.data.job.spendRateUsdPerHour).toBe(4.5);
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: jobId }, engineer);
    await reconcile(app.services, { LOCAL: provider });
    // Two spot hours at $1.50 and two on-demand hours at $4.50, not four hours at the job's own rate.
    const billed = await app.gql(`query($id:ID!){ job(id:$id){ actualCostUsd currentCostUsd hourlyRateUsd } }`, { id: jobId }, engineer);
    expect(billed.data.job.actualCostUsd).toBeCloseTo(1.5 + 1.5 + 2 * 4.5, 2);
    expect(billed.data.job.currentCostUsd).toBeCloseTo(12, 2);
    expect(4 * billed.data.job.hourlyRateUsd).not.toBeCloseTo(12, 1);
  });

  it("launches a machine for a validation no worker holds once the machine that trained the job is gone; its token claims only that validation", async () => {
    const jobId = await queueJob(app, "validated elsewhere");
    const provider = new ScriptedProvider(0);
    await reconcile(app.services, { LOCAL: provider });
    const first = provider.launches.at(-1)!;
    const claim = (await app.gql(CLAIM, { w: "m-train", j: jobId }, first.workerToken)).data.claimTrainingJob.data.claim;
    for (const [kind, name] of [
      ["adapter_model", "adapter_model.safetensors"],
      ["adapter_config", "adapter_config.json"],
    ]) {
      expect((await uploadArtifact(app, claim.trainerToken, jobId, kind, name, "{}")).data.uploadArtifact.__typename).toBe(
        "UploadArtifactSuccess",
      );
    }
    let sequence = claim.lastSequence;
    for (const status of ["PREPROCESSING", "MODEL_LOADING", "TRAINING"])
      await app.gql(REPORT.status, { j: jobId, s: ++sequence, st: status }, claim.trainerToken);
    expect(
      (await app.gql(REPORT.complete, { j: jobId, s: ++sequence, v: true }, claim.trainerToken)).data.completeTrainingJob.data.status,
    ).toBe("VALIDATION");
    await queueAutomaticRuns(app.services);
    // While the training machine is held, it is the one to validate: no second launch.
    await reconcile(app.services, { LOCAL: provider });
    expect(provider.launches).toHaveLength(1);

    provider.preempted.add(`m-${jobId}-1`);
    await reconcile(app.services, { LOCAL: provider });
    await reconcile(app.services, { LOCAL: provider });
    const second = provider.launches.at(-1)!;
    expect(second).toMatchObject({ jobId, attempt: 2 });
    const CLAIM_RUN = `mutation($j:ID){ claimValidationRun(workerId:"m-validate", jobId:$j){ __typename ... on AppError { code }
      ... on ClaimValidationRunSuccess { data { claim { run { id automatic } job { id } tasks { key } } } } } }`;
    const other = await queueJob(app, "not this token's");
    expect((await app.gql(CLAIM_RUN, { j: other }, second.workerToken)).data.claimValidationRun.code).toBe("FORBIDDEN");
    const taken = (await app.gql(CLAIM_RUN, { j: jobId }, second.workerToken)).data.claimValidationRun.data.claim;
    expect(taken).toMatchObject({ run: { automatic: true }, job: { id: jobId } });
    expect(taken.tasks.length).toBeGreaterThan(2);
    // Held by a worker now: no further launch for the job.
    await reconcile(app.services, { LOCAL: provider });
    expect(provider.launches.filter((l) => l.jobId === jobId)).toHaveLength(2);
    const engineer = await app.login("engineer");
    for (const id of [jobId, other]) await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id }, engineer);
    await reconcile(app.services, { LOCAL: provider });
  });

  it("refuses switching to on-demand after preemptions when the job does not allow on-demand", async () => {
    const engineer = await app.login("engineer");
    const datasetId = (await db().dataset.findFirstOrThrow({ where: { status: "VALID" } })).id;
    const result = await app.gql(
      `mutation($i:CreateTrainingJobInput!){ createTrainingJob(input:$i){ __typename ... on AppError { code field } } }`,
      { i: { name: "no fallback", settings: { datasetId, onDemandAfterPreemptions: 2 } } },
      engineer,
    );
    expect(result.data.createTrainingJob).toEqual({ __typename: "AppError", code: "VALIDATION", field: "onDemandAfterPreemptions" });
  });

  it("fails a job the provider cannot offer before launching anything", async () => {
    const jobId = await queueJob(app, "no such gpu");
    const provider = new ScriptedProvider(0, false);
    await reconcile(app.services, { LOCAL: provider });
    const job = await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "FAILED", errorType: "GPUProvisioningError" });
    expect(job.errorMessage).toContain("No H100_PCIE_80GB in any region");
    expect(provider.launches).toHaveLength(0);
    expect(await db().computeLaunch.count({ where: { jobId } })).toBe(0);
  });

  it("fails the job with the no-capacity guidance when the local provider cannot start a trainer", async () => {
    const jobId = await queueJob(app, "cannot start", { backend: "python" });
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent"; // no python3 to start: this machine, the only one the local provider has, cannot run it
    try {
      await reconcile(app.services, { LOCAL: new LocalProvider(app.services.config.dataDir, app.services.gpus) });
    } finally {
      process.env.PATH = path;
    }
    expect(await db().computeLaunch.findMany({ where: { jobId } })).toEqual([
      expect.objectContaining({ state: "ENDED", outcome: "FAILED" }),
    ]);
    const engineer = await app.login("engineer");
    const job = (
      await app.gql(
        `query($id:ID!){ job(id:$id){ status errorType failureGuidance { suggestedChanges { field to } } } }`,
        { id: jobId },
        engineer,
      )
    ).data.job;
    expect(job).toMatchObject({
      status: "FAILED",
      errorType: "GPUProvisioningError",
      failureGuidance: { suggestedChanges: [{ field: "pricingTier", to: "ON_DEMAND" }] },
    });
  });

  it("launches nothing for an organization whose jobs are run by its own workers", async () => {
    const jobId = await queueJob(app, "self-managed");
    const owner = await app.login("owner");
    const set = await app.gql(
      `mutation { setComputeProvider(provider: WORKERS) { __typename ... on SetComputeProviderSuccess { data { computeProvider } } } }`,
      {},
      owner,
    );
    expect(set.data.setComputeProvider.data.computeProvider).toBe("WORKERS");
    const engineer = await app.login("engineer");
    await app.gql(`mutation { setComputeProvider(provider: LOCAL) { __typename } }`, {}, engineer);
    const org = await db().organization.findUniqueOrThrow({ where: { slug: "demo" } });
    expect(org.computeProvider).toBe("WORKERS"); // engineers cannot change it

    const provider = new ScriptedProvider(0);
    await reconcile(app.services, { LOCAL: provider });
    expect(provider.launches).toHaveLength(0);
    expect(await db().computeLaunch.count({ where: { jobId } })).toBe(0);
    await app.gql(`mutation { setComputeProvider(provider: LOCAL) { __typename } }`, {}, owner);
  });
});
