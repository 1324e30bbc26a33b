import type { AppServices } from "../context.js";
import type { ServerConfig } from "../config.js";
import { LocalProvider } from "./local.js";
import { KubernetesProvider } from "./kubernetes.js";
import { SkyPilotProvider } from "./skypilot.js";
import { startComputeReconciler } from "./reconciler.js";
import type { Providers } from "./credentials.js";

const byConfig = new WeakMap<ServerConfig, Providers>();

/** The providers this server's settings offer (one set per configuration); an organization on WORKERS gets none (its own workers poll for jobs). */
export function serverProviders(services: AppServices): Providers {
  let providers = byConfig.get(services.config);
  if (providers) return providers;
  const { compute } = services.config;
  providers = {
    LOCAL: new LocalProvider(services.config.dataDir),
    ...(compute.kubernetes && { KUBERNETES: new KubernetesProvider(compute.kubernetes, compute) }),
    ...(compute.skypilot && { SKYPILOT: new SkyPilotProvider(compute.skypilot, compute) }),
  };
  byConfig.set(services.config, providers);
  return providers;
}

/** The background worker: reconciles machines with jobs, unless COMPUTE_LAUNCHES=false. */
export function startCompute(services: AppServices): () => Promise<void> {
  if (!services.config.computeLaunches) return async () => {};
  return startComputeReconciler(services, serverProviders(services));
}
