// The reconciler against a real app and database, with a provider whose API
// misbehaves on purpose (down, rate-limited, no such GPU): the faults the local
// provider cannot produce. The local provider itself is tested end to end in local.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { queueJob } from "../workers/testKit.js";
import { AppError } from "../errors.js";
import { reconcile } from "./reconciler.js";
import { ComputeUnavailableError, type ComputeProvider, type LaunchRequest, type MachineStatus } from "./provider.js";

/** A provider with a scripted API: `failures` launch calls are refused before one succeeds. */
class ScriptedProvider implements ComputeProvider {
  readonly name = "LOCAL" as const;
  readonly capabilities = { spot: true, recoversItself: false, preemptionNotice: "none" } as const;
  launches: LaunchRequest[] = [];
  cancelled: string[] = [];
  constructor(
    private failures: number,
    private readonly offers = true,
  ) {}
  quote(gpuType: string, tier: "SPOT" | "ON_DEMAND") {
    if (!this.offers) throw new AppError("VALIDATION", `No ${gpuType} in any region`, "gpuType");
    return { provider: this.name, region: "test-1", instanceType: "gpu-1x", tier, pricePerHourUsd: 1.5, simulated: false };
  }
  async launch(request: LaunchRequest) {
    this.launches.push(request);
    if (this.failures-- > 0) throw new ComputeUnavailableError("429 Too Many Requests");
    return { externalId: `m-${request.jobId}-${request.attempt}`, region: "test-1", instanceType: "gpu-1x" };
  }
  async poll(): Promise<MachineStatus> {
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
    expect(launches[0]).toMatchObject({ attempt: 1, state: "RUNNING", externalId: `m-${jobId}-1`, region: "test-1", pricePerHourUsd: 1.5, simulated: false });
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

  it("launches nothing for an organization whose jobs are run by its own workers", async () => {
    const jobId = await queueJob(app, "self-managed");
    const owner = await app.login("owner");
    const set = await app.gql(`mutation { setComputeProvider(provider: WORKERS) { __typename ... on SetComputeProviderSuccess { data { computeProvider } } } }`, {}, owner);
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
