// Starts the real server (server/src/main.ts) in a process of its own, for
// tests and benches that need several instances, a kill, or a server that
// does not share a CPU with its clients.
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "../../..");

export type ServerProcess = { url: string; process: ChildProcess; stop(): Promise<void> };

/** Runs main.ts under Node itself (not through npx or the tsx CLI), so that a kill reaches the server and not a wrapper. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "silent", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk;
      const match = output.match(/Tuneloop API on (http:\/\/[\d.:]+)\/graphql/);
      if (match) clearTimeout(timer), resolveUrl(match[1]);
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`server exited (${code}):\n${output}`))));
  });
  const exited = new Promise<void>((done) => (child.exitCode !== null ? done() : child.once("exit", () => done())));
  return {
    url,
    process: child,
    async stop() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
