import { ApiException, BatchV1Api, CoreV1Api, KubeConfig, type V1Job, type V1Pod, type V1Toleration } from "@kubernetes/client-node";
import type { PricingTier } from "../generated/sqlite/enums.js";
import type { ComputeSettings } from "../config.js";
import { AppError } from "../errors.js";
import { hourlyRate, type GpuCatalog } from "../costs/catalog.js";
import {
  ComputeUnavailableError,
  outcomeOfExit,
  type ComputeProvider,
  type LabelledMachine,
  type LaunchRequest,
  type MachineStatus,
  type Quote,
} from "./provider.js";
import { LABELS, MANAGED_BY, jobManifest, parseSelector, tokenSecret, type JobPlacement } from "./kubernetesManifest.js";

// A batch/v1 Job per attempt on the organization's cluster. The Job's name is
// derived from jobId and attempt, so a repeated launch meets the Job it already
// created (409) instead of starting a second pod. Prices are the GPU catalog's.

/** The cluster to reach (an API server URL and token, or a kubeconfig file) and where jobs' pods go. */
export type KubernetesSettings = {
  apiUrl?: string;
  token?: string;
  kubeconfig?: string;
  namespace: string;
  nodeSelector: string;
  spotNodeSelector: string;
  spotTolerations: string;
};

const UNSCHEDULABLE_DEADLINE_MS = 15 * 60_000;

const condition = (conditions: { type: string; status: string }[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type && c.status === "True");
const podEnded = (pod: V1Pod) => pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded";

/** The API's answer as the reconciler understands it: try later (down, throttled, refused credentials), or a request that cannot work. */
function translate(error: unknown): Error {
  if (!(error instanceof ApiException)) return new ComputeUnavailableError(`Kubernetes API unreachable: ${(error as Error).message}`);
  const message = statusMessage(error.body) ?? `HTTP ${error.code}`;
  if (error.code === 400 || error.code === 422) return new AppError("VALIDATION", `Kubernetes refused the Job: ${message}`, "gpuType");
  const retryAfter = Number(error.headers?.["retry-after"]);
  return new ComputeUnavailableError(
    `Kubernetes API: ${error.code} ${message}`,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  );
}

/** The `message` of a Kubernetes Status object (the body of every error answer). */
function statusMessage(body: unknown): string | undefined {
  try {
    return (typeof body === "string" ? JSON.parse(body) : (body as { message?: string }))?.message;
  } catch {
    return undefined;
  }
}

async function unless404<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return null;
    throw translate(error);
  }
}

export class KubernetesProvider implements ComputeProvider {
  readonly name = "KUBERNETES" as const;
  /** Spot via a node selector and tolerations; a reclaimed pod gets SIGTERM and its grace period, then the Job replaces it. */
  readonly capabilities = { spot: true, recoversItself: true, preemptionNotice: "signal" } as const;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  private readonly placement: Omit<JobPlacement, "image">;

  constructor(
    settings: KubernetesSettings,
    private readonly images: Pick<ComputeSettings, "workerImage" | "gpuWorkerImage">,
    private readonly gpus: GpuCatalog,
    /** A pod no node can take (Unschedulable) this long means no capacity: the attempt fails with GPUProvisioningError. */
    private readonly unschedulableDeadlineMs = UNSCHEDULABLE_DEADLINE_MS,
  ) {
    const config = new KubeConfig();
    if (settings.kubeconfig) config.loadFromFile(settings.kubeconfig);
    else {
      config.loadFromOptions({
        // Plain http (a local proxy such as `kubectl proxy`) has no certificate to verify; the client refuses it otherwise.
        clusters: [{ name: "cluster", server: settings.apiUrl, skipTLSVerify: new URL(settings.apiUrl!).protocol === "http:" }],
        users: [{ name: "tuneloop", token: settings.token }],
        contexts: [{ name: "tuneloop", cluster: "cluster", user: "tuneloop", namespace: settings.namespace }],
        currentContext: "tuneloop",
      });
    }
    this.batch = config.makeApiClient(BatchV1Api);
    this.core = config.makeApiClient(CoreV1Api);
    this.namespace = settings.namespace;
    let spotTolerations: V1Toleration[];
    try {
      spotTolerations = JSON.parse(settings.spotTolerations);
    } catch {
      throw new Error("Invalid configuration: KUBERNETES_SPOT_TOLERATIONS: expected a JSON list of tolerations");
    }
    this.placement = {
      nodeSelector: parseSelector(settings.nodeSelector, "KUBERNETES_NODE_SELECTOR"),
      spotNodeSelector: parseSelector(settings.spotNodeSelector, "KUBERNETES_SPOT_NODE_SELECTOR"),
      spotTolerations,
    };
  }

  quote(gpuType: string, tier: PricingTier): Quote {
    const gpu = this.gpus.find(gpuType);
    if (!gpu) throw new AppError("VALIDATION", `Unknown GPU type ${gpuType}`, "gpuType");
    if (tier === "SPOT" && Object.keys(this.placement.spotNodeSelector).length === 0 && this.placement.spotTolerations.length === 0) {
      throw new AppError(
        "VALIDATION",
        "This cluster has no spot nodes configured (KUBERNETES_SPOT_NODE_SELECTOR, KUBERNETES_SPOT_TOLERATIONS)",
        "pricingTier",
      );
    }
    return {
      provider: this.name,
      region: `kubernetes/${this.namespace}`,
      instanceType: `${gpu.name} x1`,
      tier,
      pricePerHourUsd: hourlyRate(gpu, tier),
      simulated: false,
    };
  }

  async launch(request: LaunchRequest) {
    const { namespace } = this;
    const image = request.backend === "python" ? this.images.gpuWorkerImage : this.images.workerImage;
    const manifest = jobManifest(request, { ...this.placement, image });
    const name = manifest.metadata!.name!;
    let job: V1Job;
    try {
      job = await this.batch.createNamespacedJob({ namespace, body: manifest });
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 409)) throw translate(error);
      // Created by an earlier call for this attempt: the same Job.
      job = await this.batch.readNamespacedJob({ name, namespace }).catch((e) => Promise.reject(translate(e)));
    }
    try {
      await this.core.createNamespacedSecret({ namespace, body: tokenSecret(request, { name, uid: job.metadata!.uid! }) });
    } catch (error) {
      // 409: an earlier call stored a token; it stays valid until the launch ends.
      if (!(error instanceof ApiException && error.code === 409)) throw translate(error);
    }
    return {
      externalId: name,
      region: `kubernetes/${namespace}`,
      instanceType: `${this.gpus.find(request.gpuType)?.name ?? request.gpuType} x1`,
    };
  }

  async poll(externalId: string): Promise<MachineStatus> {
    const job = await unless404(this.batch.readNamespacedJob({ name: externalId, namespace: this.namespace }));
    if (!job) return { state: "ENDED", outcome: "LOST", reason: "The Kubernetes Job is gone" };
    const conditions = job.status?.conditions;
    if (condition(conditions, "Complete")) return { state: "ENDED", outcome: "SUCCEEDED", reason: "The worker finished" };

    const labels = job.metadata?.labels ?? {};
    const pods =
      (
        await unless404(
          this.core.listNamespacedPod({
            namespace: this.namespace,
            labelSelector: `${LABELS.jobId}=${labels[LABELS.jobId]},${LABELS.attempt}=${labels[LABELS.attempt]}`,
          }),
        )
      )?.items ?? [];

    const failed = condition(conditions, "Failed") as { reason?: string; message?: string } | undefined;
    if (failed) {
      if (failed.reason === "DeadlineExceeded")
        return { state: "ENDED", outcome: "FAILED", reason: "The Job ran past its deadline (activeDeadlineSeconds)" };
      const exit = pods.flatMap((pod) => pod.status?.containerStatuses ?? []).find((c) => c.name === "worker")?.state?.terminated;
      if (exit) return outcomeOfExit(exit.exitCode, null);
      return {
        state: "ENDED",
        outcome: "FAILED",
        reason: `The Job failed (${failed.reason ?? "unknown"}${failed.message ? `: ${failed.message}` : ""})`,
      };
    }

    const live = pods.filter((pod) => !podEnded(pod));
    if (live.some((pod) => pod.status?.phase === "Running")) return { state: "RUNNING" };
    const unschedulable = live
      .flatMap((pod) => pod.status?.conditions ?? [])
      .find((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
    if (
      unschedulable?.lastTransitionTime &&
      Date.now() - new Date(unschedulable.lastTransitionTime).getTime() > this.unschedulableDeadlineMs
    ) {
      // No node can take the pod (no GPU of this kind, no spot node free) for longer than we wait: release it.
      await this.cancel(externalId);
      return {
        state: "ENDED",
        outcome: "FAILED",
        reason: `No node could take the pod for ${Math.round(this.unschedulableDeadlineMs / 60_000)} min${unschedulable.message ? ` (${unschedulable.message})` : ""}`,
        noCapacity: true,
      };
    }
    // A pod stopped by a preemption (spot reclaimed, node drained): the pod failure policy ignores it and Kubernetes
    // starts a replacement (podReplacementPolicy: Failed), which claims the job with the launch's token again.
    if (pods.some((pod) => podEnded(pod) && condition(pod.status?.conditions, "DisruptionTarget"))) return { state: "RECOVERING" };
    return { state: "PENDING" };
  }

  async cancel(externalId: string) {
    // Background propagation: the pod and the token's Secret (owned by the Job) go with it.
    await unless404(this.batch.deleteNamespacedJob({ name: externalId, namespace: this.namespace, propagationPolicy: "Background" }));
  }

  async listLabelled(): Promise<LabelledMachine[]> {
    const jobs = await this.batch
      .listNamespacedJob({ namespace: this.namespace, labelSelector: `${LABELS.app}=${MANAGED_BY}` })
      .catch((e) => Promise.reject(translate(e)));
    return jobs.items
      .filter(
        (job) =>
          !job.metadata?.deletionTimestamp &&
          !condition(job.status?.conditions, "Complete") &&
          !condition(job.status?.conditions, "Failed"),
      )
      .map((job) => ({
        externalId: job.metadata!.name!,
        jobId: job.metadata!.labels![LABELS.jobId],
        attempt: Number(job.metadata!.labels![LABELS.attempt]),
      }));
  }
}
