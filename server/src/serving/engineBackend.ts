import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { BackendUnavailableError } from "./backend.js";
import { OpenAICompatibleBackend } from "./openaiCompatible.js";

// The `engine` backend: the engine's serving process (packages/serving), which
// hosts the built-in base models and their adapters behind the same OpenAI API
// as vLLM. `pnpm start` starts it and sets ENGINE_SERVING_URL; a server without
// that setting (a test, a bare `tsx server/src/main.ts`) starts its own on first
// use, on a free port, and stops it with the app.

const ROOT = resolve(import.meta.dirname, "../../..");
const ENTRY = resolve(ROOT, "packages/serving/src/main.ts");
const START_TIMEOUT_MS = 60_000;

/** A serving process this server started; it restarts on the next use after it dies. */
class ManagedServingProcess {
  private child: ChildProcess | null = null;
  private url: Promise<string> | null = null;

  start(): Promise<string> {
    this.url ??= new Promise<string>((resolveUrl, reject) => {
      // Node loads tsx itself, so the pid is the serving process's own.
      // It exits when its stdin closes: a server that dies leaves no serving process behind.
      const child = spawn(process.execPath, ["--import", "tsx", ENTRY, "--port", "0", "--exit-with-stdin"], {
        cwd: ROOT,
        stdio: ["pipe", "pipe", "inherit"],
      });
      this.child = child;
      const timer = setTimeout(() => reject(new BackendUnavailableError("engine", "the serving process did not start")), START_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const match = line.match(/^listening on (http:\S+)/);
        if (match) {
          clearTimeout(timer);
          resolveUrl(`${match[1]}/v1`);
        }
      });
      child.on("error", (error) => reject(new BackendUnavailableError("engine", error.message)));
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new BackendUnavailableError("engine", `the serving process exited (code ${code})`));
        if (this.child === child) [this.child, this.url] = [null, null];
      });
      // A server that is done must not wait on its serving process.
      child.unref();
      (child.stdin as unknown as { unref(): void }).unref();
      (child.stdout as unknown as { unref(): void }).unref();
    });
    return this.url;
  }

  stop() {
    this.child?.kill("SIGTERM");
    [this.child, this.url] = [null, null];
  }
}

export class EngineBackend extends OpenAICompatibleBackend {
  private readonly managed: ManagedServingProcess | null;
  private readonly baseURL: () => Promise<string>;

  constructor(options: { url: string | null; timeoutMs: () => number }) {
    const managed = options.url ? null : new ManagedServingProcess();
    const baseURL = () => (managed ? managed.start() : Promise.resolve(options.url!.replace(/\/$/, "")));
    super({ kind: "engine", baseURL, timeoutMs: options.timeoutMs });
    this.managed = managed;
    this.baseURL = baseURL;
  }

  /** A file of a built-in base model (config, weights, tokenizer), for deployment packages; the serving process builds the model first if needed. */
  async baseModelFile(baseModel: string, file: string): Promise<Readable> {
    const url = `${await this.baseURL()}/tuneloop/base_models/${encodeURIComponent(baseModel)}/${encodeURIComponent(file)}`;
    const response = await fetch(url).catch((error: Error) => {
      throw new BackendUnavailableError(this.kind, (error.cause as Error | undefined)?.message ?? error.message);
    });
    if (!response.ok || !response.body)
      throw new BackendUnavailableError(this.kind, `${file} of ${baseModel}: ${response.status} ${await response.text()}`);
    return Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
  }

  override async close(): Promise<void> {
    this.managed?.stop();
  }
}
