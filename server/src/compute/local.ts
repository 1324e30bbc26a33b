import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { PricingTier } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { hourlyRate, type GpuCatalog } from "../costs/catalog.js";
import {
  NoCapacityError,
  outcomeOfExit,
  type ComputeProvider,
  type LabelledMachine,
  type LaunchRequest,
  type MachineStatus,
  type Quote,
} from "./provider.js";

// The default provider and the embedded demo: a trainer process per job on the
// server's own machine. Its record lives in files under DATA_DIR/compute/local
// (pid, then exit code), so every server instance sharing the folder sees the
// same machines, and a launch repeated after a restart finds the process it
// already started. The price is the catalog's for the job's GPU: simulated.

const ROOT = resolve(import.meta.dirname, "../../..");
const STOP_GRACE_MS = 15_000;

type Record_ = { pid: number; jobId: string; attempt: number };
type ExitRecord = { code: number | null; signal: string | null };

const keyOf = (jobId: string, attempt: number) => `${jobId}-${attempt}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The worker command for a job's backend (the same CLIs users run by hand).
 * Node loads tsx itself, so the pid is the worker's: a kill reaches it, not a wrapper.
 */
function workerCommand(backend: string): [string, string[]] {
  if (backend === "python") return ["python3", [join(ROOT, "trainer/python/worker.py")]];
  return [process.execPath, ["--import", "tsx", join(ROOT, "trainer/src/main.ts")]];
}

export class LocalProvider implements ComputeProvider {
  readonly name = "LOCAL" as const;
  readonly capabilities = { spot: false, recoversItself: false, preemptionNotice: "none" } as const;
  private readonly dir: string;
  private readonly children = new Map<string, ChildProcess>();

  constructor(
    dataDir: string,
    private readonly gpus: GpuCatalog,
  ) {
    this.dir = join(dataDir, "compute", "local");
    mkdirSync(this.dir, { recursive: true });
  }

  quote(gpuType: string, tier: PricingTier): Quote {
    const gpu = this.gpus.find(gpuType);
    if (!gpu) throw new AppError("VALIDATION", `Unknown GPU type ${gpuType}`, "gpuType");
    return {
      provider: this.name,
      region: "local",
      instanceType: "this machine's CPU",
      tier,
      pricePerHourUsd: hourlyRate(gpu, tier),
      simulated: true,
    };
  }

  async launch(request: LaunchRequest) {
    const key = keyOf(request.jobId, request.attempt);
    const launched = { externalId: key, region: "local", instanceType: "this machine's CPU" };
    const known = this.record(key);
    // Launched before (by this instance or one that stopped mid-launch): the same process, not a second one.
    if (known && (alive(known.pid) || existsSync(this.file(key, "exit.json")))) return launched;

    const [command, args] = workerCommand(request.backend);
    const log = openSync(this.file(key, "log"), "a");
    const child = spawn(
      command,
      [
        ...args,
        "--server",
        request.serverUrl,
        "--job-id",
        request.jobId,
        "--worker-id",
        `local-${key}`,
        "--state-dir",
        join(this.dir, `${key}-state`),
      ],
      {
        cwd: ROOT,
        // The token goes in the environment, out of `ps`.
        env: { ...process.env, TUNELOOP_WORKER_TOKEN: request.workerToken },
        stdio: ["ignore", log, log],
      },
    );
    closeSync(log);
    // A spawn that fails reports it as an 'error' event too (handled here: pid is then unset).
    child.on("error", () => {});
    // This machine is the only one the local provider has: a trainer that cannot start here cannot start anywhere.
    if (!child.pid) throw new NoCapacityError(`The trainer process could not start on this machine (${command})`);
    writeFileSync(
      this.file(key, "json"),
      JSON.stringify({ pid: child.pid, jobId: request.jobId, attempt: request.attempt } satisfies Record_),
    );
    this.children.set(key, child);
    child.on("exit", (code, signal) => {
      writeFileSync(this.file(key, "exit.json"), JSON.stringify({ code, signal } satisfies ExitRecord));
      this.children.delete(key);
    });
    return launched;
  }

  async poll(externalId: string): Promise<MachineStatus> {
    const exit = this.read<ExitRecord>(externalId, "exit.json");
    if (exit) return outcomeOfExit(exit.code, exit.signal);
    const record = this.record(externalId);
    if (record && alive(record.pid)) return { state: "RUNNING" };
    // Gone without an exit record: the instance that watched it died with it.
    return { state: "ENDED", outcome: "LOST", reason: "The trainer process is gone" };
  }

  async cancel(externalId: string) {
    const record = this.record(externalId);
    if (record && !this.read(externalId, "exit.json") && alive(record.pid)) {
      process.kill(record.pid, "SIGTERM");
      // A stopped (hung) process receives the signal only once it runs again.
      process.kill(record.pid, "SIGCONT");
    }
  }

  async listLabelled(): Promise<LabelledMachine[]> {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(".json") && !name.endsWith(".exit.json"))
      .map((name) => ({ externalId: name.slice(0, -".json".length), record: this.record(name.slice(0, -".json".length)) }))
      .filter(({ externalId, record }) => record && alive(record.pid) && !this.read(externalId, "exit.json"))
      .map(({ externalId, record }) => ({ externalId, jobId: record!.jobId, attempt: record!.attempt }));
  }

  async logs(externalId: string) {
    return existsSync(this.file(externalId, "log")) ? readFileSync(this.file(externalId, "log"), "utf8") : "";
  }

  /** On shutdown the trainers this instance started checkpoint and stop (SIGTERM); the next start resumes their jobs. */
  async close() {
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((done) => {
          // Done at its exit, which records the exit in this instance's folder: never after the app has gone.
          child.once("exit", () => done());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS).unref();
        }),
    );
    await Promise.all(exits);
  }

  private file(key: string, ext: string) {
    if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new AppError("VALIDATION", "Not a local launch id", "externalId");
    return join(this.dir, `${key}.${ext}`);
  }

  private read<T>(key: string, ext: string): T | null {
    const file = this.file(key, ext);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : null;
  }

  private record(key: string) {
    return this.read<Record_>(key, "json");
  }
}
