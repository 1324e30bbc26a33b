import type { V1Job, V1Secret, V1Toleration } from "@kubernetes/client-node";
import { AppError } from "../errors.js";
import { WORKER_EXIT, type LaunchRequest } from "./provider.js";

// The batch/v1 Job (and its Secret) that runs one attempt of one job: one pod,
// one GPU, the worker with `--job-id`. Names and labels carry jobId and attempt,
// so a repeated launch meets the same Job and an orphan is found by label.

export const LABELS = { app: "app.kubernetes.io/managed-by", jobId: "tuneloop.dev/job-id", attempt: "tuneloop.dev/attempt" } as const;
export const MANAGED_BY = "tuneloop";
export const TOKEN_KEY = "worker-token";

/** How a pod is placed and how long it may run; read from the server's configuration. */
export type JobPlacement = {
  image: string;
  nodeSelector: Record<string, string>;
  /** Added for spot jobs: where the spot nodes are and the taints they carry. */
  spotNodeSelector: Record<string, string>;
  spotTolerations: V1Toleration[];
};

/** A worker told to stop checkpoints and exits within this (SIGTERM, then SIGKILL). */
const GRACE_SECONDS = 120;
/** No attempt runs longer than this: a stuck pod cannot hold a GPU for ever. */
const DEADLINE_SECONDS = 48 * 3600;
/** A finished Job (and its pod's logs) is kept this long, then Kubernetes deletes it. */
const TTL_SECONDS = 3600;

/** The Job's name: DNS-1123, unique per job and attempt. */
export function jobName(jobId: string, attempt: number) {
  const name = `tuneloop-${jobId.toLowerCase()}-${attempt}`;
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
    throw new AppError("VALIDATION", `Job id ${jobId} cannot name a Kubernetes Job`, "jobId");
  return name;
}

/** `a=b,c=d` as a node selector; a malformed pair is a configuration error. */
export function parseSelector(text: string, setting: string): Record<string, string> {
  const pairs = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.split("="));
  if (pairs.some((p) => p.length !== 2 || !p[0])) throw new Error(`Invalid configuration: ${setting}: expected key=value,key=value`);
  return Object.fromEntries(pairs);
}

export function jobManifest(request: LaunchRequest, placement: JobPlacement): V1Job {
  const name = jobName(request.jobId, request.attempt);
  const labels = { [LABELS.app]: MANAGED_BY, [LABELS.jobId]: request.jobId, [LABELS.attempt]: String(request.attempt) };
  const spot = request.tier === "SPOT";
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels },
    spec: {
      // A failed pod is not retried (our reconciler judges failures); a preempted one is replaced (the policy ignores it).
      backoffLimit: 0,
      // A pod is replaced only once the old one has stopped, never two workers at once.
      podReplacementPolicy: "Failed",
      activeDeadlineSeconds: DEADLINE_SECONDS,
      ttlSecondsAfterFinished: TTL_SECONDS,
      podFailurePolicy: {
        rules: [
          // A preemption (spot reclaimed, node drained) is not the worker's fault: it does not count as a failure.
          { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
          // The worker says another machine would fail the same way.
          { action: "FailJob", onExitCodes: { containerName: "worker", operator: "In", values: [WORKER_EXIT.doNotRetry] } },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: GRACE_SECONDS,
          nodeSelector: { ...placement.nodeSelector, ...(spot ? placement.spotNodeSelector : {}) },
          tolerations: spot ? placement.spotTolerations : [],
          containers: [
            {
              name: "worker",
              image: placement.image,
              args: ["--server", request.serverUrl, "--job-id", request.jobId, "--worker-id", name],
              env: [
                { name: "TUNELOOP_SERVER", value: request.serverUrl },
                // The job-scoped token comes from the Secret, never as a value in the Job.
                { name: "TUNELOOP_WORKER_TOKEN", valueFrom: { secretKeyRef: { name, key: TOKEN_KEY } } },
              ],
              resources: { limits: { "nvidia.com/gpu": "1" } },
            },
          ],
        },
      },
    },
  };
}

/** The Secret with the worker's token, owned by its Job: deleting the Job deletes it. */
export function tokenSecret(request: LaunchRequest, job: { name: string; uid: string }): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: job.name,
      labels: { [LABELS.app]: MANAGED_BY, [LABELS.jobId]: request.jobId, [LABELS.attempt]: String(request.attempt) },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.name, uid: job.uid }],
    },
    type: "Opaque",
    stringData: { [TOKEN_KEY]: request.workerToken },
  };
}
