// The kubernetes and skypilot providers driven by the real reconciler and
// database, against their API stand-ins: a preempted Kubernetes pod is replaced
// by its Job and a recovering SkyPilot job by SkyPilot, and either claims the job
// again with the launch's token; no capacity fails the job with its retry advice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { CLAIM, queueJob } from "@tuneloop/testing/workerApi";
import { hashToken } from "../auth/tokens.js";
import { reconcile } from "./reconciler.js";
import { KubernetesProvider } from "./kubernetes.js";
import { SkyPilotProvider } from "./skypilot.js";
import { loadGpuCatalog } from "../costs/catalog.js";
import { startKubernetesStandIn, type KubernetesStandIn } from "@tuneloop/testing/standIns/kubernetes";
import { startSkyPilotStandIn, type SkyPilotStandIn } from "@tuneloop/testing/standIns/skypilot";

const images = { workerImage: "tuneloop-worker:test", gpuWorkerImage: "tuneloop-worker-gpu:test" };
const gpus = loadGpuCatalog();

let app: TestApp;
let kube: KubernetesStandIn;
let sky: SkyPilotStandIn;
beforeAll(async () => {
  [app, kube, sky] = await Promise.all([startTestApp({ seedDemo: true }), startKubernetesStandIn(), startSkyPilotStandIn()]);
});
afterAll(async () => {
  await Promise.all([app?.stop(), kube?.close(), sky?.close()]);
});

const db = () => app.services.db;
const useProvider = (computeProvider: "KUBERNETES" | "SKYPILOT") =>
  db().organization.update({ where: { slug: "demo" }, data: { computeProvider } });
/** A machine's worker claiming its job with the launch's token (as trainer/src/worker does with --job-id). */
const claim = async (token: string, jobId: string, workerId: string) =>
  (await app.gql(CLAIM, { w: workerId, j: jobId }, token)).data.claimTrainingJob;
const launchesOf = (jobId: string) => db().computeLaunch.findMany({ where: { jobId }, orderBy: { attempt: "asc" } });

describe("remote providers through the reconciler", () => {
  it("refuses to switch the organization to a provider this server has no settings for", async () => {
    const owner = await app.login("owner");
    const result = await app.gql(
      `mutation { setComputeProvider(provider: KUBERNETES) { __typename ... on AppError { code field message } } }`,
      {},
      owner,
    );
    expect(result.data.setComputeProvider).toMatchObject({ __typename: "AppError", code: "VALIDATION", field: "provider" });
    expect((await db().organization.findUniqueOrThrow({ where: { slug: "demo" } })).computeProvider).toBe("LOCAL");
  });

  it("kubernetes: the launch's token claims again after the Job replaces a preempted pod, and is refused once the launch ends", async () => {
    await useProvider("KUBERNETES");
    const jobId = await queueJob(app, "on kubernetes");
    const providers = {
      KUBERNETES: new KubernetesProvider(
        { apiUrl: kube.url, namespace: "ml", nodeSelector: "", spotNodeSelector: "spot=true", spotTolerations: "[]" },
        images,
        gpus,
      ),
    };

    await reconcile(app.services, providers);
    const [first] = await launchesOf(jobId);
    const name = `tuneloop-${jobId}-1`;
    expect(first).toMatchObject({ provider: "KUBERNETES", state: "RUNNING", externalId: name, region: "kubernetes/ml", simulated: false });
    const token = kube.secrets.get(name)!.stringData!["worker-token"];
    // The Secret holds a live token scoped to this job and this launch only.
    expect(await db().apiKey.findFirst({ where: { hash: hashToken(token), jobId, launchId: first.id, revokedAt: null } })).not.toBeNull();
    expect(kube.jobs.get(name)!.spec!.template.spec!.containers[0].args).toEqual([
      "--server",
      app.services.listeningUrl,
      "--job-id",
      jobId,
      "--worker-id",
      name,
    ]);

    const labels = kube.jobs.get(name)!.spec!.template.metadata!.labels!;
    kube.pods.push({ metadata: { name: `${name}-a`, labels }, status: { phase: "Running" } });
    expect((await claim(token, jobId, "pod-a")).__typename).toBe("ClaimTrainingJobSuccess");

    // Preempted: the Job replaces the pod by itself; the job goes back at once, and nothing new is launched.
    kube.pods[0] = {
      metadata: { name: `${name}-a`, labels },
      status: { phase: "Failed", conditions: [{ type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" }] },
    };
    await reconcile(app.services, providers);
    expect((await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("RECOVERING");
    kube.pods.push({ metadata: { name: `${name}-b`, labels }, status: { phase: "Running" } });
    await reconcile(app.services, providers);
    expect(await launchesOf(jobId)).toEqual([expect.objectContaining({ attempt: 1, state: "RUNNING" })]);
    expect([...kube.jobs.keys()]).toEqual([name]);
    // The replacement pod reads the same Secret: the same token claims the job again.
    const again = await claim(token, jobId, "pod-b");
    expect(again.data.claim.job).toMatchObject({ id: jobId, status: "PROVISIONING", workerId: "pod-b" });

    kube.jobs.get(name)!.status = { conditions: [{ type: "Complete", status: "True" }] };
    await reconcile(app.services, providers);
    expect(await launchesOf(jobId)).toEqual([expect.objectContaining({ state: "ENDED", outcome: "SUCCEEDED" })]);
    await db().trainingJob.update({ where: { id: jobId }, data: { status: "RECOVERING", leaseExpiresAt: null } });
    // The launch has ended: its token claims nothing any more.
    const refused = await app.gql(CLAIM, { w: "pod-c", j: jobId }, token);
    expect(refused.errors?.[0]?.extensions?.code ?? refused.data?.claimTrainingJob?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    await db().trainingJob.update({ where: { id: jobId }, data: { status: "CANCELLED" } });
  });

  it("skypilot: a recovering managed job is left to SkyPilot and claims again with its token; no capacity fails the job with the retry advice", async () => {
    await useProvider("SKYPILOT");
    const jobId = await queueJob(app, "on skypilot");
    const providers = { SKYPILOT: new SkyPilotProvider({ apiUrl: sky.url }, images, gpus) };

    await reconcile(app.services, providers);
    const [launch] = await launchesOf(jobId);
    expect(launch).toMatchObject({ provider: "SKYPILOT", state: "RUNNING", externalId: "1" });
    expect(sky.tasks[0]).toMatchObject({ name: `tuneloop-${jobId}-1`, envs: { TUNELOOP_JOB_ID: jobId } });
    const token = (sky.tasks[0].secrets as Record<string, string>).TUNELOOP_WORKER_TOKEN;
    expect((await claim(token, jobId, "sky-1")).__typename).toBe("ClaimTrainingJobSuccess");

    sky.jobs[0].status = "RECOVERING";
    await reconcile(app.services, providers);
    expect((await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("RECOVERING");
    await reconcile(app.services, providers);
    expect(await launchesOf(jobId)).toEqual([expect.objectContaining({ attempt: 1, state: "RUNNING" })]);
    expect(sky.requests.filter((r) => r.path === "/jobs/launch")).toHaveLength(1);
    sky.jobs[0].status = "RUNNING";
    expect((await claim(token, jobId, "sky-1-recovered")).data.claim.job).toMatchObject({ status: "PROVISIONING" });

    sky.jobs[0].status = "FAILED_NO_RESOURCE";
    sky.jobs[0].failure_reason = "Failed to acquire resources in all zones in [RunPod]";
    await reconcile(app.services, providers);
    expect(await launchesOf(jobId)).toEqual([expect.objectContaining({ state: "ENDED", outcome: "FAILED" })]);
    const engineer = await app.login("engineer");
    const failed = (
      await app.gql(
        `query($id:ID!){ job(id:$id){ status errorType failureGuidance { explanation suggestedChanges { field from to } } } }`,
        { id: jobId },
        engineer,
      )
    ).data.job;
    expect(failed).toMatchObject({
      status: "FAILED",
      errorType: "GPUProvisioningError",
      failureGuidance: { suggestedChanges: [{ field: "pricingTier", from: "SPOT", to: "ON_DEMAND" }] },
    });
    expect(failed.failureGuidance.explanation).toContain("switch to on-demand");

    // The one-click retry: a new job on on-demand, launched on on-demand.
    const retried = (
      await app.gql(
        `mutation($id:ID!){ retryTrainingJob(id:$id){ __typename ... on RetryTrainingJobSuccess { data { id status pricingTier } } } }`,
        { id: jobId },
        engineer,
      )
    ).data.retryTrainingJob.data;
    expect(retried).toMatchObject({ status: "QUEUED", pricingTier: "ON_DEMAND" });
    await reconcile(app.services, providers);
    expect(await launchesOf(retried.id)).toEqual([expect.objectContaining({ attempt: 1, tier: "ON_DEMAND", state: "RUNNING" })]);
    expect((sky.tasks.at(-1)!.resources as { any_of: unknown[] }).any_of).toEqual([{ accelerators: "H100:1", use_spot: false }]);
    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: retried.id }, engineer);
  });
});
