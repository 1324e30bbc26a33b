import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The real trainer, as users start it: `tsx trainer/src/main.ts --server URL`
// in its own process, with a WORKER-scoped API key in its environment.

const ROOT = new URL("../../", import.meta.url).pathname;

/** Settings that make a run on the trainer's tiny base model take seconds (demo dataset: ~12 steps an epoch). */
export const tinyRun = (epochs: number) => ({
  baseModel: "tuneloop-llama-tiny",
  maxSeqLength: 48,
  epochs,
  batchSize: 4,
  learningRate: 1e-2,
  rank: 4,
  seed: 7,
  checkpointEvery: 60,
});

/** `env`: extra environment, e.g. TUNELOOP_MODEL_CACHE for a fresh base-model cache (the first job builds it). */
export function startTrainer(serverUrl: string, workerKey: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    join(ROOT, "node_modules/.bin/tsx"),
    [
      join(ROOT, "trainer/src/main.ts"),
      "--server",
      serverUrl,
      "--state-dir",
      mkdtempSync(join(tmpdir(), "tuneloop-e2e-worker-")),
      "--no-validation",
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, TUNELOOP_WORKER_TOKEN: workerKey },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}
