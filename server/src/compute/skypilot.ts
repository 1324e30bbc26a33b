import type { PricingTier } from "../generated/sqlite/enums.js";
import type { ComputeSettings } from "../config.js";
import { AppError } from "../errors.js";
import { hourlyRate, type GpuCatalog } from "../costs/catalog.js";
import {
  ComputeUnavailableError,
  type ComputeProvider,
  type LabelledMachine,
  type LaunchRequest,
  type MachineStatus,
  type Quote,
} from "./provider.js";
import { acceleratorOf, taskName, taskYaml } from "./skypilotTask.js";

// Managed jobs through a SkyPilot API server's REST API (skypilot-org/skypilot:
// sky/jobs/server/server.py for the routes, sky/server/requests/payloads.py for
// the bodies, sky/server/server.py for /api/get). Every call is asynchronous on
// the server: the POST answers with a request id (header X-Skypilot-Request-ID),
// and GET /api/get?request_id=… waits for the request and returns
// {status, return_value: "<json>", error: "<json>"}. SkyPilot relaunches a
// preempted job by itself (job_recovery); the job is RECOVERING meanwhile.

export type SkyPilotSettings = { apiUrl: string; token?: string };

type ManagedJob = {
  job_id: number;
  job_name: string;
  status: string;
  region?: string | null;
  cloud?: string | null;
  failure_reason?: string | null;
};
type RequestResult = { status: string; return_value?: string | null; error?: string | null };

/** A launch request may wait for the jobs controller to start (minutes): after this the reconciler asks again later. */
const RESULT_WAIT_MS = 45_000;
const NAME = /^tuneloop-(.+)-(\d+)$/;
const FINISHED = new Set([
  "SUCCEEDED",
  "CANCELLED",
  "FAILED",
  "FAILED_SETUP",
  "FAILED_PRECHECKS",
  "FAILED_NO_RESOURCE",
  "FAILED_CONTROLLER",
]);

/** Managed-job states (sky/jobs/state.py ManagedJobStatus) as the reconciler sees them. */
function statusOf(job: ManagedJob): MachineStatus {
  const detail = job.failure_reason ? `: ${job.failure_reason}` : "";
  switch (job.status) {
    case "SUCCEEDED":
      return { state: "ENDED", outcome: "SUCCEEDED", reason: "The worker finished" };
    case "RECOVERING":
      return { state: "RECOVERING" };
    case "RUNNING":
    case "CANCELLING":
      return { state: "RUNNING" };
    case "CANCELLED":
      return { state: "ENDED", outcome: "LOST", reason: "The managed job was cancelled outside Tuneloop" };
    case "FAILED_CONTROLLER":
      return { state: "ENDED", outcome: "LOST", reason: `SkyPilot's jobs controller failed${detail}` };
    case "FAILED_NO_RESOURCE":
      return { state: "ENDED", outcome: "FAILED", reason: `No capacity for this GPU in any allowed region${detail}`, noCapacity: true };
    case "FAILED":
    case "FAILED_SETUP":
    case "FAILED_PRECHECKS":
      return { state: "ENDED", outcome: "FAILED", reason: `The managed job ended ${job.status}${detail}` };
    default:
      return { state: "PENDING" };
  }
}

export class SkyPilotProvider implements ComputeProvider {
  readonly name = "SKYPILOT" as const;
  readonly capabilities = { spot: true, recoversItself: true, preemptionNotice: "none" } as const;
  /** Launch requests still running on the API server, by task name: a repeated launch waits on the same request. */
  private readonly pendingLaunches = new Map<string, string>();

  constructor(
    private readonly settings: SkyPilotSettings,
    private readonly images: Pick<ComputeSettings, "workerImage" | "gpuWorkerImage">,
    private readonly gpus: GpuCatalog,
    private readonly resultWaitMs = RESULT_WAIT_MS,
  ) {}

  quote(gpuType: string, tier: PricingTier): Quote {
    const gpu = this.gpus.find(gpuType);
    if (!gpu) throw new AppError("VALIDATION", `Unknown GPU type ${gpuType}`, "gpuType");
    return {
      provider: this.name,
      region: "skypilot (cheapest region with capacity)",
      instanceType: acceleratorOf(gpuType),
      tier,
      pricePerHourUsd: hourlyRate(gpu, tier),
      simulated: false,
    };
  }

  async launch(request: LaunchRequest) {
    const name = taskName(request.jobId, request.attempt);
    // Launched by an earlier call (this instance or one that stopped mid-launch): the same managed job.
    const existing = (await this.queue({ name_match: name })).find((job) => job.job_name === name);
    if (existing) return this.launched(existing.job_id, request.gpuType);

    let requestId = this.pendingLaunches.get(name);
    if (!requestId) {
      const image = request.backend === "python" ? this.images.gpuWorkerImage : this.images.workerImage;
      requestId = await this.submit("/jobs/launch", { task: taskYaml(request, image), name });
      this.pendingLaunches.set(name, requestId);
    }
    try {
      const value = await this.result(requestId);
      // jobs.launch returns (job_id, handle); older servers encode just the id.
      return this.launched(Array.isArray(value) ? value[0] : value, request.gpuType);
    } catch (error) {
      if (!(error instanceof ComputeUnavailableError)) this.pendingLaunches.delete(name);
      throw error;
    }
  }

  async poll(externalId: string): Promise<MachineStatus> {
    const [job] = await this.queue({ job_ids: [Number(externalId)] });
    return job ? statusOf(job) : { state: "ENDED", outcome: "LOST", reason: "The managed job is gone from SkyPilot's queue" };
  }

  async cancel(externalId: string) {
    try {
      await this.result(await this.submit("/jobs/cancel", { job_ids: [Number(externalId)] }));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Refused: fine when the job has already ended or is unknown (cancel is idempotent).
      const [job] = await this.queue({ job_ids: [Number(externalId)] });
      if (job && !FINISHED.has(job.status))
        throw new ComputeUnavailableError(`SkyPilot did not cancel managed job ${externalId}: ${error.message}`);
    }
  }

  async listLabelled(): Promise<LabelledMachine[]> {
    const jobs = await this.queue({ name_match: "tuneloop-", skip_finished: true });
    return jobs
      .filter((job) => !FINISHED.has(job.status))
      .flatMap((job) => {
        const match = NAME.exec(job.job_name);
        return match ? [{ externalId: String(job.job_id), jobId: match[1], attempt: Number(match[2]) }] : [];
      });
  }

  private launched(jobId: unknown, gpuType: string) {
    if (typeof jobId !== "number")
      throw new ComputeUnavailableError(`SkyPilot answered the launch without a job id (${JSON.stringify(jobId)})`);
    return { externalId: String(jobId), region: "skypilot", instanceType: acceleratorOf(gpuType) };
  }

  private async queue(filter: Record<string, unknown>): Promise<ManagedJob[]> {
    // A refused queue request is the API server's trouble, never the job's: asked again next tick.
    const value = await this.result(await this.submit("/jobs/queue/v2", { skip_finished: false, ...filter })).catch((error) => {
      throw error instanceof AppError ? new ComputeUnavailableError(error.message) : error;
    });
    // queue/v2 returns {jobs, total, …}; servers before it return the list.
    return (Array.isArray(value) ? value : (value as { jobs: ManagedJob[] }).jobs) as ManagedJob[];
  }

  /** Schedules a request on the API server; its id comes back in a header. */
  private async submit(path: string, body: Record<string, unknown>): Promise<string> {
    const response = await this.http(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const requestId = response.headers.get("x-skypilot-request-id");
    if (!requestId) throw new ComputeUnavailableError(`SkyPilot API server answered ${path} without a request id`);
    return requestId;
  }

  /** Waits for a request and returns its decoded return value; a failed request is a typed error. */
  private async result(requestId: string): Promise<unknown> {
    const response = await this.http(`/api/get?request_id=${encodeURIComponent(requestId)}`, {
      signal: AbortSignal.timeout(this.resultWaitMs),
    });
    const result = (await response.json()) as RequestResult;
    if (result.status === "SUCCEEDED") return result.return_value ? JSON.parse(result.return_value) : null;
    if (result.status === "FAILED") {
      const error = result.error ? (JSON.parse(result.error) as { type?: string; message?: string }) : {};
      throw new AppError("VALIDATION", `SkyPilot: ${error.type ?? "error"}: ${error.message ?? "the request failed"}`, "gpuType");
    }
    throw new ComputeUnavailableError(`SkyPilot request ${requestId} is ${result.status}`);
  }

  private async http(path: string, init: RequestInit): Promise<Response> {
    const headers = {
      ...(init.headers as Record<string, string>),
      ...(this.settings.token && { authorization: `Bearer ${this.settings.token}` }),
    };
    let response: Response;
    try {
      response = await fetch(`${this.settings.apiUrl.replace(/\/$/, "")}${path}`, { ...init, headers });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      throw new ComputeUnavailableError(
        timedOut ? "SkyPilot API server is still working on the request" : `SkyPilot API server unreachable: ${(error as Error).message}`,
      );
    }
    if (response.ok) return response;
    const detail = ((await response.json().catch(() => null)) as { detail?: unknown } | null)?.detail ?? response.statusText;
    const message = `SkyPilot API server: ${response.status} ${typeof detail === "string" ? detail : JSON.stringify(detail)}`;
    if (response.status === 400 || response.status === 422) throw new AppError("VALIDATION", message, "gpuType");
    const retryAfter = Number(response.headers.get("retry-after"));
    throw new ComputeUnavailableError(message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
  }
}
