import { stringify } from "yaml";
import { AppError } from "../errors.js";
import { WORKER_EXIT, type LaunchRequest } from "./provider.js";

// The SkyPilot task YAML for one attempt of one job, launched as a managed job
// (docs.skypilot.co, "YAML spec" and "Managed jobs"): one GPU, spot first with
// an on-demand fallback for spot jobs that allow it, SkyPilot's own recovery for the worker's
// "recover me" exit code, and the job-scoped token as a secret (SkyPilot
// redacts secrets in its dashboard and logs; envs are shown).

/** Our GPU catalog ids as SkyPilot accelerator names (`sky show-gpus`). */
const ACCELERATORS: Record<string, string> = { H100_PCIE_80GB: "H100", A100_SXM_80GB: "A100-80GB", L40S_48GB: "L40S" };

/** The worker's command inside the image (trainer/Dockerfile, trainer/Dockerfile.gpu: WORKDIR /app); SkyPilot runs `run`, not the ENTRYPOINT. */
const WORKER_COMMAND: Record<string, string> = {
  typescript: "node --import tsx trainer/src/main.ts",
  python: "python3 trainer/python/worker.py",
};

export const taskName = (jobId: string, attempt: number) => `tuneloop-${jobId}-${attempt}`;

export function acceleratorOf(gpuType: string) {
  const accelerator = ACCELERATORS[gpuType];
  if (!accelerator) throw new AppError("VALIDATION", `SkyPilot has no accelerator for GPU type ${gpuType}`, "gpuType");
  return `${accelerator}:1`;
}

export function taskYaml(request: LaunchRequest, image: string): string {
  const accelerators = acceleratorOf(request.gpuType);
  const name = taskName(request.jobId, request.attempt);
  const spot = request.tier === "SPOT";
  const choices =
    spot && request.onDemandFallback
      ? [
          { accelerators, use_spot: true },
          { accelerators, use_spot: false },
        ]
      : [{ accelerators, use_spot: spot }];
  const task = {
    name,
    resources: {
      image_id: `docker:${image}`,
      // SkyPilot picks the cheapest of these that has capacity: spot first, on-demand when no spot is left (when the job allows it).
      any_of: choices,
      job_recovery: {
        // A preempted machine is relaunched in the next region at once; other failures are ours to judge.
        strategy: "EAGER_NEXT_REGION",
        max_restarts_on_errors: 0,
        recover_on_exit_codes: [WORKER_EXIT.recover],
      },
    },
    envs: { TUNELOOP_SERVER: request.serverUrl, TUNELOOP_JOB_ID: request.jobId, TUNELOOP_STATE_DIR: "/tmp/tuneloop" },
    secrets: { TUNELOOP_WORKER_TOKEN: request.workerToken },
    run: `cd /app && exec ${WORKER_COMMAND[request.backend] ?? WORKER_COMMAND.typescript} --state-dir "$TUNELOOP_STATE_DIR" --server "$TUNELOOP_SERVER" --job-id "$TUNELOOP_JOB_ID" --worker-id ${name}`,
  };
  return stringify(task, { lineWidth: 0 });
}
