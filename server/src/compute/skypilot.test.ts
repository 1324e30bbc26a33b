// The skypilot provider against a loopback stand-in of a SkyPilot API server
// (testing/skypilotStandIn.ts): the requests it sends, the task YAML, and how
// managed-job states become machine states.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AppError } from "../errors.js";
import { ComputeUnavailableError, type LaunchRequest } from "./provider.js";
import { SkyPilotProvider } from "./skypilot.js";
import { loadGpuCatalog } from "../costs/catalog.js";
import { taskYaml } from "./skypilotTask.js";
import { startSkyPilotStandIn, type SkyPilotStandIn } from "@tuneloop/testing/standIns/skypilot";

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

let api: SkyPilotStandIn;
let provider: SkyPilotProvider;
beforeAll(async () => {
  api = await startSkyPilotStandIn();
});
afterAll(() => api?.close());
beforeEach(() => {
  api.jobs.length = 0;
  api.requests.length = 0;
  api.tasks.length = 0;
  provider = new SkyPilotProvider({ apiUrl: `${api.url}/`, token: "sky-service-account" }, images, gpus, 300);
});

const paths = () => api.requests.map((r) => `${r.method} ${r.path}`);

describe("skypilot task", () => {
  it("matches the golden task YAML: one H100, spot with an on-demand fallback, recovery on the worker's code, the token as a secret", () => {
    const yaml = taskYaml(request, images.gpuWorkerImage);
    expect(yaml).toBe(readFileSync(new URL("./golden/skypilot-task.yaml", import.meta.url), "utf8"));
    const task = parse(yaml);
    expect(task.secrets).toEqual({ TUNELOOP_WORKER_TOKEN: request.workerToken });
    expect(JSON.stringify(task.envs)).not.toContain(request.workerToken);
    expect(parse(taskYaml({ ...request, tier: "ON_DEMAND" }, "i")).resources.any_of).toEqual([{ accelerators: "H100:1", use_spot: false }]);
    // A spot job that does not allow on-demand stays on spot.
    expect(parse(taskYaml({ ...request, onDemandFallback: false }, "i")).resources.any_of).toEqual([
      { accelerators: "H100:1", use_spot: true },
    ]);
    expect(() => taskYaml({ ...request, gpuType: "TPU_V5" }, "i")).toThrow(AppError);
  });
});

describe("skypilot provider", () => {
  it("launches a managed job once: a repeated launch finds it in the queue by name", async () => {
    const launched = await provider.launch(request);
    expect(launched).toEqual({ externalId: "1", region: "skypilot", instanceType: "H100:1" });
    expect(paths()).toEqual(["POST /jobs/queue/v2", "GET /api/get", "POST /jobs/launch", "GET /api/get"]);
    expect(api.requests.every((r) => r.authorization === "Bearer sky-service-account")).toBe(true);
    const launch = api.requests[2].body!;
    expect(launch.name).toBe("tuneloop-cjob123-1");
    expect(parse(launch.task as string)).toEqual(parse(taskYaml(request, images.gpuWorkerImage)));

    api.requests.length = 0;
    expect((await provider.launch(request)).externalId).toBe("1");
    expect(paths()).toEqual(["POST /jobs/queue/v2", "GET /api/get"]);
    expect(api.requests[0].body).toMatchObject({ name_match: "tuneloop-cjob123-1" });
    expect(api.jobs).toHaveLength(1);
  });

  it("a launch still running when the wait ends is retried later on the same request, not submitted twice", async () => {
    api.holdLaunches = true;
    await expect(provider.launch(request)).rejects.toBeInstanceOf(ComputeUnavailableError);
    const retried = provider.launch(request);
    setTimeout(() => api.releaseLaunches(), 50);
    expect((await retried).externalId).toBe("1");
    expect(paths().filter((p) => p === "POST /jobs/launch")).toHaveLength(1);
    expect(api.jobs).toHaveLength(1);
  });

  it("maps managed-job states: recovering is the provider bringing the machine back by itself", async () => {
    const { externalId } = await provider.launch(request);
    expect(provider.capabilities.recoversItself).toBe(true);
    const expected: Record<string, object> = {
      PENDING: { state: "PENDING" },
      STARTING: { state: "PENDING" },
      RUNNING: { state: "RUNNING" },
      RECOVERING: { state: "RECOVERING" },
      SUCCEEDED: { state: "ENDED", outcome: "SUCCEEDED" },
      FAILED: { state: "ENDED", outcome: "FAILED" },
      FAILED_NO_RESOURCE: { state: "ENDED", outcome: "FAILED", reason: expect.stringContaining("No capacity") },
      FAILED_CONTROLLER: { state: "ENDED", outcome: "LOST" },
      CANCELLED: { state: "ENDED", outcome: "LOST" },
    };
    for (const [status, machine] of Object.entries(expected)) {
      api.jobs[0].status = status;
      expect(await provider.poll(externalId), status).toMatchObject(machine);
    }
    expect(api.requests.at(-2)!.body).toMatchObject({ job_ids: [1] });
    api.jobs.length = 0;
    expect(await provider.poll(externalId)).toMatchObject({ state: "ENDED", outcome: "LOST" });
  });

  it("cancels idempotently and lists only its own live managed jobs", async () => {
    await provider.launch(request);
    await provider.launch({ ...request, attempt: 2 });
    api.jobs.push({
      job_id: 3,
      job_name: "someone-elses-job",
      status: "RUNNING",
      region: null,
      cloud: null,
      recovery_count: 0,
      failure_reason: null,
    });
    api.jobs[1].status = "SUCCEEDED";
    expect(await provider.listLabelled()).toEqual([{ externalId: "1", jobId: "cjob123", attempt: 1 }]);

    await provider.cancel("1");
    await provider.cancel("1");
    expect(api.jobs[0].status).toBe("CANCELLED");
    expect(api.requests.filter((r) => r.path === "/jobs/cancel").map((r) => r.body)).toEqual([{ job_ids: [1] }, { job_ids: [1] }]);
  });

  it("a busy server is retried after its Retry-After; a refused launch is a typed error; an unreachable one is retried", async () => {
    api.busy.count = 1;
    await expect(provider.launch(request)).rejects.toMatchObject({ name: "ComputeUnavailableError", retryAfterSeconds: 11 });

    api.failNextLaunch = { type: "ResourcesUnavailableError", message: "Catalog does not contain any instances satisfying the request" };
    const refused = await provider.launch(request).catch((error) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused.message).toContain("ResourcesUnavailableError");
    expect(api.jobs).toHaveLength(0);

    // A failed queue request (controller unreachable) is retried, not taken as the job's failure.
    api.failNextQueue = { type: "ClusterNotUpError", message: "The jobs controller is not up" };
    await expect(provider.poll("1")).rejects.toBeInstanceOf(ComputeUnavailableError);

    const down = new SkyPilotProvider({ apiUrl: "http://127.0.0.1:9" }, images, gpus);
    await expect(down.poll("1")).rejects.toBeInstanceOf(ComputeUnavailableError);
    expect(provider.quote("A100_SXM_80GB", "SPOT")).toMatchObject({ provider: "SKYPILOT", instanceType: "A100-80GB:1", simulated: false });
    expect(() => provider.quote("TPU_V5", "SPOT")).toThrow(AppError);
  });
});
