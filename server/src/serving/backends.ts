import { MODEL_SIZES } from "../../../shared/demoModels.js";
import type { ServerConfig } from "../config.js";
import { AppError } from "../errors.js";
import { BackendUnavailableError, type InferenceBackend } from "./backend.js";
import { EngineBackend } from "./engineBackend.js";
import { OpenAICompatibleBackend } from "./openaiCompatible.js";
import { FairQueue } from "./scheduler.js";

// Which backend serves a base model: the built-in demo models are the engine's
// (its serving process), any other (a Hugging Face hub id) is the
// OpenAI-compatible server's (vLLM), when one is configured.

export const isBuiltInModel = (baseModel: string) => Object.values(MODEL_SIZES).some((recipe) => recipe.name === baseModel);

type Served = { backend: InferenceBackend; queue: FairQueue };
type Backends = { engine: Served & { backend: EngineBackend }; openaiCompatible: Served | null };

/** One server instance's backends, each with its queue; made on first use from config.inference (read then). */
export class InferenceBackends {
  private made: Backends | null = null;
  /** A completed job's adapter name on its backend (its files never change): no lookup per request. */
  readonly adapterNames = new Map<string, string>();

  constructor(private readonly config: ServerConfig) {}

  private get backends(): Backends {
    if (!this.made) {
      const { inference } = this.config;
      const queue = () => new FairQueue(() => ({ maxRunning: inference.concurrency, maxQueuedPerOwner: inference.queuePerOrg }));
      const timeoutMs = () => inference.timeoutSeconds * 1000;
      this.made = {
        engine: { backend: new EngineBackend({ url: inference.engineUrl, timeoutMs }), queue: queue() },
        openaiCompatible: inference.openaiCompatible
          ? {
              backend: new OpenAICompatibleBackend({
                baseURL: inference.openaiCompatible.url,
                apiKey: inference.openaiCompatible.apiKey,
                timeoutMs,
              }),
              queue: queue(),
            }
          : null,
      };
    }
    return this.made;
  }

  /** The backend (and the queue in front of it) that serves a base model. */
  forModel(baseModel: string): Served {
    if (isBuiltInModel(baseModel)) return this.backends.engine;
    if (!this.backends.openaiCompatible) {
      throw new BackendUnavailableError(
        "openai-compatible",
        `no server is configured for ${baseModel} (set OPENAI_COMPATIBLE_URL to a vLLM server started with --enable-lora)`,
      );
    }
    return this.backends.openaiCompatible;
  }

  /** The engine backend, for what only it has (the files of built-in base models). */
  get engine(): EngineBackend {
    return this.backends.engine.backend;
  }

  /** Stops what the backends hold (a serving process this server started, queued requests). */
  async close(): Promise<void> {
    const made = this.made;
    this.made = null;
    for (const served of [made?.engine, made?.openaiCompatible]) {
      served?.queue.close();
      await served?.backend.close();
    }
  }
}

/** Checks that a backend serves the adapter's base model before anything is loaded. */
export async function checkServesBase(backend: InferenceBackend, baseModel: string) {
  const served = await backend.baseModels();
  if (!served.includes(baseModel)) {
    throw new AppError(
      "VALIDATION",
      `The adapter was trained on ${baseModel}; the ${backend.kind} backend serves ${served.join(", ") || "no base model"}`,
      "baseModel",
    );
  }
}
