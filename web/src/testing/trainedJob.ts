import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

/**
 * A job trained by the real trainer worker on the tiny base model, with a
 * quick validation finished — made by packages/testing/src/trainedJob.ts in a
 * child process (the engine runs in Node, not in the test's DOM environment).
 */
export async function trainedJob(apiUrl: string, name: string): Promise<{ jobId: string; runId: string }> {
  // The repository root (vitest runs from web/).
  const root = resolve(process.cwd(), process.cwd().endsWith("/web") ? ".." : ".");
  const { stdout } = await promisify(execFile)(
    "npx",
    ["tsx", "packages/testing/src/trainedJob.ts", "--server", apiUrl, "--quick", "--name", name],
    { cwd: root, timeout: 170_000, env: process.env },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!);
}
