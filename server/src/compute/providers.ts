import type { AppServices } from "../context.js";
import type { ServerConfig } from "../config.js";
import type { ComputeCredential } from "../generated/sqlite/client.js";
import type { GpuCatalog } from "../costs/catalog.js";
import { LocalProvider } from "./local.js";
import { KubernetesProvider } from "./kubernetes.js";
import { SkyPilotProvider } from "./skypilot.js";
import { startComputeReconciler } from "./reconciler.js";
import { providerFromCredential, type Providers } from "./credentials.js";
import type { ComputeProvider } from "./provider.js";

/**
 * One server instance's providers: those its settings offer (an organization on
 * WORKERS gets none: its own workers poll for jobs), and those built from
 * organizations' credentials, kept while a credential is unchanged.
 */
export class ComputeProviders {
  readonly server: Providers;
  /** By credential id and update time. */
  private readonly fromCredentials = new Map<string, ComputeProvider>();

  constructor(
    private readonly config: ServerConfig,
    private readonly secretsKey: string,
    private readonly gpus: GpuCatalog,
  ) {
    const { compute } = config;
    this.server = {
      LOCAL: new LocalProvider(config.dataDir, gpus),
      ...(compute.kubernetes && { KUBERNETES: new KubernetesProvider(compute.kubernetes, compute, gpus) }),
      ...(compute.skypilot && { SKYPILOT: new SkyPilotProvider(compute.skypilot, compute, gpus) }),
    };
  }

  forCredential(credential: ComputeCredential): ComputeProvider {
    const key = `${credential.id}:${credential.updatedAt.getTime()}`;
    let provider = this.fromCredentials.get(key);
    if (provider) return provider;
    provider = providerFromCredential(this.config.compute, this.secretsKey, this.gpus, credential);
    // The provider built from this credential before it changed is not needed any more.
    for (const old of this.fromCredentials.keys()) if (old.startsWith(`${credential.id}:`)) this.fromCredentials.delete(old);
    this.fromCredentials.set(key, provider);
    return provider;
  }

  /** Stops what the providers started themselves (the local provider's trainers). */
  async close(): Promise<void> {
    await Promise.all([...Object.values(this.server), ...this.fromCredentials.values()].map((p) => p.close?.()));
  }
}

/** The background worker: reconciles machines with jobs, unless COMPUTE_LAUNCHES=false. */
export function startCompute(services: AppServices): () => Promise<void> {
  if (!services.config.computeLaunches) return async () => {};
  return startComputeReconciler(services, services.compute.server);
}
