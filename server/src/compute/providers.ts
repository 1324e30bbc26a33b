import type { AppServices } from "../context.js";
import { LocalProvider } from "./local.js";
import { KubernetesProvider } from "./kubernetes.js";
import { SkyPilotProvider } from "./skypilot.js";
import { startComputeReconciler, type Providers } from "./reconciler.js";

/** The providers this server can launch with; an organization on WORKERS gets none (its own workers poll for jobs). */
export function createProviders(services: AppServices): Providers {
  const { compute } = services.config;
  return {
    LOCAL: new LocalProvider(services.config.dataDir),
    ...(compute.kubernetes && { KUBERNETES: new KubernetesProvider(compute.kubernetes, compute) }),
    ...(compute.skypilot && { SKYPILOT: new SkyPilotProvider(compute.skypilot, compute) }),
  };
}

/** The background worker: reconciles machines with jobs, unless COMPUTE_LAUNCHES=false. */
export function startCompute(services: AppServices): () => Promise<void> {
  if (!services.config.computeLaunches) return async () => {};
  return startComputeReconciler(services, createProviders(services));
}
