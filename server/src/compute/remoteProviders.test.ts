// The kubernetes and skypilot providers driven by the real reconciler and
// database, against their API stand-ins: a preempted Kubernetes pod gets the job
// a new Job, a recovering SkyPilot job is left to SkyPilot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { queueJob } from "../workers/testKit.js";
import { hashToken } from "../auth/tokens.js";
import { reconcile } from "./reconciler.js";
import { KubernetesProvider } from "./kubernetes.js";
import { SkyPilotProvider } from "./skypilot.js";
import { startKubernetesStandIn, type KubernetesStandIn } from "./testing/kubernetesStandIn.js";
import { startSkyPilotStandIn, type SkyPilotStandIn } from "./testing/skypilotStandIn.js";

const images = { workerImage: "tuneloop-worker:test", gpuWorkerImage: "tuneloop-worker-gpu:test" };

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
const useProvider = (computeProvider: "KUBERNETES" | "SKYPILOT") => db().organization.update({ where: { slug: "demo" }, data: { computeProvider } });
const launchesOf = (jobId: string) => db().computeLaunch.findMany({ where: { jobId }, orderBy: { attempt: "asc" } });

describe("remote providers through the reconciler", () => {
  it("refuses to switch the organization to a provider this server has no settings for", async () => {
    const owner = await app.login("owner");
    const result = await app.gql(`mutation { setComputeProvider(provider: KUBERNETES) { __typename ... on AppError { code field message } } }`, {}, owner);
    expect(result.data.setComputeProvider).toMatchObject({ __typename: "AppError", code: "VALIDATION", field: "provider" });
    expect((await db().organization.findUniqueOrThrow({ where: { slug: "demo" } })).computeProvider).toBe("LOCAL");
  });

  it("kubernetes: launches a Job with the job's token in its Secret; a preempted pod ends the attempt and the next Job is launched", async () => {
    await useProvider("KUBERNETES");
    const jobId = await queueJob(app, "on kubernetes");
    const providers = { KUBERNETES: new KubernetesProvider({ apiUrl: kube.url, namespace: "ml", nodeSelector: "", spotNodeSelector: "spot=true", spotTolerations: "[]" }, images) };

    await reconcile(app.services, providers);
    const [first] = await launchesOf(jobId);
    const name = `tuneloop-${jobId}-1`;
    expect(first).toMatchObject({ provider: "KUBERNETES", state: "RUNNING", externalId: name, region: "kubernetes/ml", simulated: false });
    const token = kube.secrets.get(name)!.stringData!["worker-token"];
    // The Secret holds a live token scoped to this job only.
    expect(await db().apiKey.findFirst({ where: { hash: hashToken(token), jobId, revokedAt: null } })).not.toBeNull();
    expect(kube.jobs.get(name)!.spec!.template.spec!.containers[0].args).toEqual(["--server", app.services.listeningUrl, "--job-id", jobId, "--worker-id", name]);

    const labels = kube.jobs.get(name)!.spec!.template.metadata!.labels!;
    kube.pods.push({ metadata: { name: `${name}-x`, labels }, status: { phase: "Failed", conditions: [{ type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" }] } });
    await reconcile(app.services, providers);
    await reconcile(app.services, providers);
    const launches = await launchesOf(jobId);
    expect(launches.map((l) => [l.attempt, l.state, l.outcome])).toEqual([
      [1, "ENDED", "INTERRUPTED"],
      [2, "RUNNING", null],
    ]);
    expect(launches[0].reason).toContain("PreemptionByScheduler");
    expect([...kube.jobs.keys()]).toEqual([`tuneloop-${jobId}-2`]);
  });

  it("skypilot: a recovering managed job is left to SkyPilot (no second launch); its end is recorded", async () => {
    await useProvider("SKYPILOT");
    const jobId = await queueJob(app, "on skypilot");
    const providers = { SKYPILOT: new SkyPilotProvider({ apiUrl: sky.url }, images) };

    await reconcile(app.services, providers);
    const [launch] = await launchesOf(jobId);
    expect(launch).toMatchObject({ provider: "SKYPILOT", state: "RUNNING", externalId: "1" });
    expect(sky.tasks[0]).toMatchObject({ name: `tuneloop-${jobId}-1`, envs: { TUNELOOP_JOB_ID: jobId } });

    sky.jobs[0].status = "RECOVERING";
    await reconcile(app.services, providers);
    await reconcile(app.services, providers);
    expect(await launchesOf(jobId)).toEqual([expect.objectContaining({ attempt: 1, state: "RUNNING" })]);
    expect(sky.requests.filter((r) => r.path === "/jobs/launch")).toHaveLength(1);

    sky.jobs[0].status = "FAILED_NO_RESOURCE";
    await reconcile(app.services, providers);
    expect(await launchesOf(jobId)).toEqual([expect.objectContaining({ state: "ENDED", outcome: "FAILED" })]);
    expect((await db().trainingJob.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("FAILED");
  });
});
