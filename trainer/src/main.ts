// `pnpm trainer --server URL --token KEY [--worker-id …] [--gpu-types …] [--once] [--job-id …] [--memory-budget-mb …]`
// Claims training jobs from a Tuneloop server and runs them (see trainer/README.md).
import { hostname, homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runWorker } from "./worker/worker";

const usage = `Usage: pnpm trainer --server URL --token KEY [options]

  --server URL                   Tuneloop server (or TUNELOOP_SERVER)
  --token KEY                    API key with the WORKER scope (or TUNELOOP_WORKER_TOKEN, which keeps it out of ps)
  --worker-id ID                 Name shown on the jobs it runs (default: the host name)
  --gpu-types A,B                Only claim jobs for these GPU types
  --once                         Run at most one job, then exit
  --job-id ID                    Run only this job (a machine launched for it, with its job token), then exit:
                                 0 done, 75 interrupted (launch another machine), 78 failed (do not retry)
  --memory-budget-mb N           Refuse jobs whose estimated memory exceeds N MB (OutOfMemoryError with advice)
  --max-duration-seconds N       Fail a job that trains longer than N seconds (TimeoutError)
  --offline-deadline-seconds N   Give a job up when the server is unreachable this long (NetworkError; default 600)
  --state-dir DIR                Report queue and scratch files (default ~/.tuneloop/worker/<worker-id>)
  --metrics-every N              Send metrics every N steps (default 5)
  --shutdown-grace-seconds N     After SIGTERM, try this long to upload the last checkpoint (default 10)
  --no-validation                Complete jobs without validation, and claim no validation runs
`;

function number(name: string, value: string | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number\n\n${usage}`);
    process.exit(64);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    token: { type: "string" },
    "worker-id": { type: "string" },
    "gpu-types": { type: "string" },
    once: { type: "boolean", default: false },
    "job-id": { type: "string" },
    "memory-budget-mb": { type: "string" },
    "max-duration-seconds": { type: "string" },
    "offline-deadline-seconds": { type: "string" },
    "state-dir": { type: "string" },
    "metrics-every": { type: "string" },
    "shutdown-grace-seconds": { type: "string" },
    "no-validation": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const serverUrl = values.server ?? process.env.TUNELOOP_SERVER;
const apiKey = values.token ?? process.env.TUNELOOP_WORKER_TOKEN;
if (values.help || !serverUrl || !apiKey) {
  console.error(usage);
  process.exit(values.help ? 0 : 64);
}
const workerId = values["worker-id"] ?? hostname();

const code = await runWorker({
  serverUrl,
  apiKey,
  workerId,
  gpuTypes: values["gpu-types"]
    ? values["gpu-types"]
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : null,
  once: values.once,
  jobId: values["job-id"] ?? null,
  memoryBudgetMb: number("memory-budget-mb", values["memory-budget-mb"], null),
  maxDurationSeconds: number("max-duration-seconds", values["max-duration-seconds"], null),
  offlineDeadlineSeconds: number("offline-deadline-seconds", values["offline-deadline-seconds"], 600)!,
  stateDir: resolve(values["state-dir"] ?? join(homedir(), ".tuneloop", "worker", workerId)),
  metricsEverySteps: number("metrics-every", values["metrics-every"], 5)!,
  shutdownGraceSeconds: number("shutdown-grace-seconds", values["shutdown-grace-seconds"], 10)!,
  validationFollows: !values["no-validation"],
});
process.exit(code);
