// The kubernetes provider against a loopback stand-in of the Kubernetes API
// (testing/kubernetesStandIn.ts): the requests @kubernetes/client-node sends and
// how the provider reads the answers. Every manifest is validated with kubernetes-models.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Secret } from "kubernetes-models/v1/Secret";
import type { V1Pod } from "@kubernetes/client-node";
import { AppError } from "../errors.js";
import { loadGpuCatalog } from "../costs/catalog.js";
import { KubernetesProvider, type KubernetesSettings } from "./kubernetes.js";
import { jobManifest, tokenSecret } from "./kubernetesManifest.js";
import { ComputeUnavailableError, type LaunchRequest } from "./provider.js";
import { startKubernetesStandIn, type KubernetesStandIn } from "@tuneloop/testing/standIns/kubernetes";

const images = { workerImage: "registry.example/tuneloop-worker:1", gpuWorkerImage: "registry.example/tuneloop-worker-gpu:1" };
const gpus = loadGpuCatalog();
const request: LaunchRequest = {
  jobId: "cjob123",
  attempt: 1,
  gpuType: "H100_PCIE_80GB",
  tier: "SPOT",
  onDemandFallback: true,
  backend: "python",
  serverUrl: "https://tuneloop.example",
  workerToken: "tl_trainer_secret",
};
const spot = {
  spotNodeSelector: "cloud.google.com/gke-spot=true",
  spotTolerations: JSON.stringify([{ key: "cloud.google.com/gke-spot", operator: "Equal", value: "true", effect: "NoSchedule" }]),
};

let api: KubernetesStandIn;
let provider: KubernetesProvider;
beforeAll(async () => {
  api = await startKubernetesStandIn();
});
afterAll(() => api?.close());
beforeEach(() => {
  api.jobs.clear();
  api.secrets.clear();
  api.pods.length = 0;
  api.requests.length = 0;
  const settings: KubernetesSettings = {
    apiUrl: api.url,
    token: "cluster-token",
    namespace: "ml",
    nodeSelector: "nvidia.com/gpu.present=true",
    ...spot,
  };
  provider = new KubernetesProvider(settings, images, gpus);
});

/** A pod of the launched Job, as the kubelet would report it. */
function pod(phase: string, extra: Partial<NonNullable<V1Pod["status"]>> = {}): V1Pod {
  const labels = api.jobs.get("tuneloop-cjob123-1")!.spec!.template.metadata!.labels!;
  return { metadata: { name: `tuneloop-cjob123-1-${api.pods.length}`, labels }, status: { phase, ...extra } };
}
const exited = (exitCode: number) => ({
  containerStatuses: [{ name: "worker", image: "", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode } } }],
});
const setJobCondition = (type: string, reason: string) =>
  (api.jobs.get("tuneloop-cjob123-1")!.status = { conditions: [{ type, status: "True", reason, message: `${reason} happened` }] });

describe("kubernetes manifest", () => {
  it("matches the golden manifest, and kubernetes-models accepts the Job and its Secret", () => {
    const manifest = jobManifest(request, {
      image: images.gpuWorkerImage,
      nodeSelector: { "nvidia.com/gpu.present": "true" },
      spotNodeSelector: { "cloud.google.com/gke-spot": "true" },
      spotTolerations: JSON.parse(spot.spotTolerations),
    });
    expect(manifest).toEqual(JSON.parse(readFileSync(new URL("./golden/kubernetes-job.json", import.meta.url), "utf8")));
    expect(() => new Job(manifest as never).validate()).not.toThrow();
    expect(() => new Secret(tokenSecret(request, { name: "tuneloop-cjob123-1", uid: "uid-1" }) as never).validate()).not.toThrow();
    // The validator is not a formality: a manifest missing the container's name is refused.
    const broken = structuredClone(manifest);
    delete (broken.spec!.template.spec!.containers[0] as { name?: string }).name;
    expect(() => new Job(broken as never).validate()).toThrow();
  });

  it("places on-demand jobs without the spot selector and tolerations", () => {
    const manifest = jobManifest(
      { ...request, tier: "ON_DEMAND" },
      { image: "i", nodeSelector: { a: "b" }, spotNodeSelector: { spot: "true" }, spotTolerations: [{ key: "spot" }] },
    );
    expect(manifest.spec!.template.spec).toMatchObject({ nodeSelector: { a: "b" }, tolerations: [] });
    expect(() => new Job(manifest as never).validate()).not.toThrow();
  });
});

describe("kubernetes provider", () => {
  it("creates the Job, then its token Secret owned by the Job; the token is never in the Job", async () => {
    const launched = await provider.launch(request);
    expect(launched).toEqual({ externalId: "tuneloop-cjob123-1", region: "kubernetes/ml", instanceType: "NVIDIA H100 PCIe 80GB x1" });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /apis/batch/v1/namespaces/ml/jobs",
      "POST /api/v1/namespaces/ml/secrets",
    ]);
    const job = api.requests[0].body;
    expect(JSON.stringify(job)).not.toContain(request.workerToken);
    expect(() => new Job(job as never).validate()).not.toThrow();
    const secret = api.secrets.get("tuneloop-cjob123-1")!;
    expect(secret.stringData).toEqual({ "worker-token": request.workerToken });
    expect(secret.metadata!.ownerReferences).toEqual([
      { apiVersion: "batch/v1", kind: "Job", name: "tuneloop-cjob123-1", uid: api.jobs.get("tuneloop-cjob123-1")!.metadata!.uid },
    ]);
  });

  it("launching the same attempt again meets the same Job (409) and starts nothing new", async () => {
    await provider.launch(request);
    const again = await provider.launch({ ...request, workerToken: "tl_trainer_other" });
    expect(again.externalId).toBe("tuneloop-cjob123-1");
    expect(api.jobs.size).toBe(1);
    expect(api.requests.slice(2).map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /apis/batch/v1/namespaces/ml/jobs",
      "GET /apis/batch/v1/namespaces/ml/jobs/tuneloop-cjob123-1",
      "POST /api/v1/namespaces/ml/secrets",
    ]);
  });

  it("reads the Job and its pods: pending, running, finished, failed by exit code or deadline, gone", async () => {
    await provider.launch(request);
    expect(await provider.poll("tuneloop-cjob123-1")).toEqual({ state: "PENDING" });
    const podList = api.requests.at(-1)!;
    expect(podList.path).toBe("/api/v1/namespaces/ml/pods");
    expect(podList.query.get("labelSelector")).toBe("tuneloop.dev/job-id=cjob123,tuneloop.dev/attempt=1");

    api.pods.push(pod("Running"));
    expect(await provider.poll("tuneloop-cjob123-1")).toEqual({ state: "RUNNING" });

    api.pods[0] = pod("Failed", exited(78));
    setJobCondition("Failed", "PodFailurePolicy");
    expect(await provider.poll("tuneloop-cjob123-1")).toMatchObject({ state: "ENDED", outcome: "FAILED" });
    api.pods[0] = pod("Failed", exited(75));
    setJobCondition("Failed", "BackoffLimitExceeded");
    expect(await provider.poll("tuneloop-cjob123-1")).toMatchObject({ state: "ENDED", outcome: "INTERRUPTED" });
    setJobCondition("Failed", "DeadlineExceeded");
    expect(await provider.poll("tuneloop-cjob123-1")).toMatchObject({
      state: "ENDED",
      outcome: "FAILED",
      reason: expect.stringContaining("deadline"),
    });
    setJobCondition("Complete", "CompletionsReached");
    expect(await provider.poll("tuneloop-cjob123-1")).toMatchObject({ state: "ENDED", outcome: "SUCCEEDED" });

    api.jobs.clear();
    expect(await provider.poll("tuneloop-cjob123-1")).toMatchObject({ state: "ENDED", outcome: "LOST" });
  });

  it("reports a preempted pod (DisruptionTarget) as recovering while the Job replaces it, and keeps the Job", async () => {
    await provider.launch(request);
    const preemption = {
      type: "DisruptionTarget",
      status: "True",
      reason: "TerminationByKubelet",
      message: "Pod was terminated in response to imminent node shutdown.",
    };
    api.pods.push(pod("Running", { conditions: [preemption] }));
    // Still checkpointing within its grace period: not ended yet.
    expect(await provider.poll("tuneloop-cjob123-1")).toEqual({ state: "RUNNING" });

    // Stopped: the pod failure policy ignores it, so the Job (not us) starts a replacement pod with the same Secret.
    api.pods[0] = pod("Failed", { conditions: [preemption], ...exited(75) });
    expect(await provider.poll("tuneloop-cjob123-1")).toEqual({ state: "RECOVERING" });
    api.pods.push(pod("Pending"));
    expect(await provider.poll("tuneloop-cjob123-1")).toEqual({ state: "RECOVERING" });
    api.pods[1] = pod("Running");
    expect(await provider.poll("tuneloop-cjob123-1")).toEqual({ state: "RUNNING" });
    expect(api.requests.some((r) => r.method === "DELETE")).toBe(false);
    expect(api.jobs.has("tuneloop-cjob123-1")).toBe(true);
  });

  it("a pod no node can take past the deadline is no capacity: the Job is released", async () => {
    const impatient = new KubernetesProvider(
      { apiUrl: api.url, token: "t", namespace: "ml", nodeSelector: "", ...spot },
      images,
      gpus,
      60_000,
    );
    await impatient.launch(request);
    // PodScheduled=False/Unschedulable, as the scheduler writes it (pod-v1 PodCondition).
    const unschedulable = (since: Date) => ({
      conditions: [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
          lastTransitionTime: since,
        },
      ],
    });
    api.pods.push(pod("Pending", unschedulable(new Date())));
    expect(await impatient.poll("tuneloop-cjob123-1")).toEqual({ state: "PENDING" });
    api.pods[0] = pod("Pending", unschedulable(new Date(Date.now() - 61_000)));
    expect(await impatient.poll("tuneloop-cjob123-1")).toMatchObject({
      state: "ENDED",
      outcome: "FAILED",
      noCapacity: true,
      reason: expect.stringContaining("Insufficient nvidia.com/gpu"),
    });
    expect(api.jobs.has("tuneloop-cjob123-1")).toBe(false);
  });

  it("cancels idempotently (404 is already gone) and lists only its own live Jobs by label", async () => {
    await provider.launch(request);
    await provider.launch({ ...request, jobId: "cjob456" });
    api.jobs.get("tuneloop-cjob456-1")!.status = { conditions: [{ type: "Complete", status: "True" }] };
    api.jobs.set("someone-else", { metadata: { name: "someone-else", labels: { app: "other" } } });

    expect(await provider.listLabelled()).toEqual([{ externalId: "tuneloop-cjob123-1", jobId: "cjob123", attempt: 1 }]);
    expect(api.requests.at(-1)!.query.get("labelSelector")).toBe("app.kubernetes.io/managed-by=tuneloop");

    await provider.cancel("tuneloop-cjob123-1");
    await provider.cancel("tuneloop-cjob123-1");
    expect(api.jobs.has("tuneloop-cjob123-1")).toBe(false);
  });

  it("turns a throttled API into a retry after its Retry-After, and a request it cannot serve into a typed error", async () => {
    api.throttle.count = 1;
    const throttled = await provider.launch(request).catch((error) => error);
    expect(throttled).toBeInstanceOf(ComputeUnavailableError);
    expect(throttled).toMatchObject({ retryAfterSeconds: 7, message: expect.stringContaining("429") });
    expect(api.jobs.size).toBe(0);

    expect(() => provider.quote("TPU_V5", "SPOT")).toThrow(AppError);
    const noSpot = new KubernetesProvider(
      { apiUrl: api.url, namespace: "ml", nodeSelector: "", spotNodeSelector: "", spotTolerations: "[]" },
      images,
      gpus,
    );
    expect(() => noSpot.quote("H100_PCIE_80GB", "SPOT")).toThrow(/no spot nodes/);
    expect(noSpot.quote("H100_PCIE_80GB", "ON_DEMAND")).toMatchObject({
      provider: "KUBERNETES",
      tier: "ON_DEMAND",
      pricePerHourUsd: gpus.find("H100_PCIE_80GB")!.onDemandUsdPerHour,
      simulated: false,
    });

    const down = new KubernetesProvider({ apiUrl: "http://127.0.0.1:9", namespace: "ml", nodeSelector: "", ...spot }, images, gpus);
    await expect(down.poll("tuneloop-cjob123-1")).rejects.toBeInstanceOf(ComputeUnavailableError);
  });
});
