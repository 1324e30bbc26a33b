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

const registry = new WeakMap<ServerConfig, Backends>();

function backendsOf(config: ServerConfig): Backends {
  let backends = registry.get(config);
  if (!backends) {
    const { inference } = config;
    const queue = () =>
      new FairQueue(() => ({ maxRunning: config.inference.concurrency, maxQueuedPerOwner: config.inference.queuePerOrg }));
    const timeoutMs = () => config.inference.timeoutSeconds * 1000;
    backends = {
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
    registry.set(config, backends);
  }
  return backends;
}

/** The backend (and the queue in front of it) that serves a base model. */
export function backendFor(config: ServerConfig, baseModel: string): Served {
  const backends = backendsOf(config);
  if (isBuiltInModel(baseModel)) return backends.engine;
  if (!backends.openaiCompatible) {
    throw new BackendUnavailableError(
      "openai-compatible",
      `no server is configured for ${baseModel} (set OPENAI_COMPATIBLE_URL to a vLLM server started with --enable-lora)`,
    );
  }
  return backends.openaiCompatible;
}

/** The engine backend, for what only it has (the files of built-in base models). */
export const engineBackend = (config: ServerConfig) => backendsOf(config).engine.backend;

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

/** Stops what the backends of a server instance hold (a serving process it started, queued requests). */
export async function closeBackends(config: ServerConfig): Promise<void> {
  const backends = registry.get(config);
  registry.delete(config);
  for (const served of [backends?.engine, backends?.openaiCompatible]) {
    served?.queue.close();
    await served?.backend.close();
  }
}
