import type { AppServices } from "../context.js";
import type { ComputeSettings } from "../config.js";
import type { ComputeCredential } from "../generated/sqlite/client.js";
import type { ComputeProviderName } from "../generated/sqlite/enums.js";
import { KubernetesProvider } from "./kubernetes.js";
import { SkyPilotProvider } from "./skypilot.js";
import { decryptSecret } from "./secrets.js";
import type { ComputeProvider } from "./provider.js";
import type { GpuCatalog } from "../costs/catalog.js";

// An organization's own provider credentials (Settings → Compute) win over the
// server's env settings, which remain the fallback.

export type Providers = Partial<Record<ComputeProviderName, ComputeProvider>>;
/** The providers a pass of the reconciler (or a quote) works with. */
export type ProviderSource = { get(orgId: string, name: ComputeProviderName): ComputeProvider | undefined; all(): ComputeProvider[] };

/** Providers that take an organization's own credentials. */
export const CREDENTIAL_PROVIDERS = ["KUBERNETES", "SKYPILOT"] as const;

/** The provider an organization's credential describes, with the server's images and placement. */
export function providerFromCredential(
  compute: ComputeSettings,
  secretsKey: string,
  gpus: GpuCatalog,
  credential: ComputeCredential,
): ComputeProvider {
  const token = decryptSecret(credential.tokenCipher, secretsKey);
  if (credential.provider === "KUBERNETES") {
    const placement = compute.kubernetes ?? { nodeSelector: "", spotNodeSelector: "", spotTolerations: "[]" };
    return new KubernetesProvider(
      {
        apiUrl: credential.apiUrl,
        token,
        namespace: credential.namespace || compute.kubernetes?.namespace || "tuneloop",
        nodeSelector: placement.nodeSelector,
        spotNodeSelector: placement.spotNodeSelector,
        spotTolerations: placement.spotTolerations,
      },
      compute,
      gpus,
    );
  }
  return new SkyPilotProvider({ apiUrl: credential.apiUrl, token }, compute, gpus);
}

/** The server's providers, with each organization's own credentials on top (read once per call). */
export async function providerSource(services: AppServices, providers: Providers, orgId?: string): Promise<ProviderSource> {
  const credentials = await services.db.computeCredential.findMany({ where: orgId ? { orgId } : {} });
  const own = new Map(credentials.map((c) => [`${c.orgId}:${c.provider}`, services.compute.forCredential(c)]));
  return {
    get: (org, name) => own.get(`${org}:${name}`) ?? providers[name],
    all: () => [...Object.values(providers), ...own.values()],
  };
}
