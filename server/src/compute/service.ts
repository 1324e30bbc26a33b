import type { AppServices } from "../context.js";
import type { ComputeProviderName } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { hourlyRate } from "../costs/catalog.js";
import { resolveSettings, type JobSettings } from "../costs/service.js";
import { CREDENTIAL_PROVIDERS, providerSource } from "./credentials.js";
import { encryptSecret } from "./secrets.js";
import type { Quote } from "./provider.js";

export type ComputeQuote = Omit<Quote, "provider"> & {
  provider: ComputeProviderName;
  /** Where a spot job goes when spot fails it, if it allows on-demand. */
  fallback: { tier: "ON_DEMAND"; pricePerHourUsd: number; when: string } | null;
};

/** Where a job with these settings would run and at what price, before it is created; the same checks as the launch. */
export async function computeQuote(services: AppServices, orgId: string, input: JobSettings): Promise<ComputeQuote> {
  const settings = await resolveSettings(services, orgId, input);
  const { computeProvider } = await services.db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { computeProvider: true } });
  if (computeProvider === "WORKERS") {
    return {
      provider: "WORKERS",
      region: "your own workers",
      instanceType: settings.gpu.name,
      tier: settings.tier,
      pricePerHourUsd: hourlyRate(settings.gpu, settings.tier),
      simulated: false,
      fallback: null,
    };
  }
  const provider = (await providerSource(services, services.compute.server, orgId)).get(orgId, computeProvider);
  if (!provider)
    throw new AppError(
      "VALIDATION",
      `Neither this server nor your organization has ${computeProvider.toLowerCase()} settings (Settings → Compute)`,
      "provider",
    );
  const quote = provider.quote(settings.gpu.id, settings.tier);
  if (settings.tier !== "SPOT" || !settings.onDemandFallback) return { ...quote, fallback: null };
  const onDemand = provider.quote(settings.gpu.id, "ON_DEMAND");
  const after = settings.onDemandAfterPreemptions;
  const when =
    [provider.name === "SKYPILOT" && "when no spot capacity is left", after && `after ${after} preemption${after === 1 ? "" : "s"}`]
      .filter(Boolean)
      .join(", or ") || "once you set how many preemptions before on-demand";
  return { ...quote, fallback: { tier: "ON_DEMAND", pricePerHourUsd: onDemand.pricePerHourUsd, when } };
}

export type CredentialInput = { provider: ComputeProviderName; apiUrl: string; token?: string | null; namespace?: string | null };

/** Stores an organization's credentials for a provider; the token encrypted, and kept when left out of an update. */
export async function setComputeCredential(services: AppServices, orgId: string, input: CredentialInput) {
  if (!(CREDENTIAL_PROVIDERS as readonly string[]).includes(input.provider)) {
    throw new AppError(
      "VALIDATION",
      `Credentials are for ${CREDENTIAL_PROVIDERS.map((p) => p.toLowerCase()).join(" and ")}, not ${input.provider.toLowerCase()}`,
      "provider",
    );
  }
  let url: URL;
  try {
    url = new URL(input.apiUrl.trim());
  } catch {
    throw new AppError("VALIDATION", "The API URL must be a full URL, e.g. https://skypilot.example.com", "apiUrl");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new AppError("VALIDATION", "The API URL must be http or https", "apiUrl");
  const namespace = (input.namespace ?? "").trim();
  if (namespace && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw new AppError("VALIDATION", "Not a Kubernetes namespace name", "namespace");
  const token = input.token?.trim();
  const where = { orgId_provider: { orgId, provider: input.provider } };
  const existing = await services.db.computeCredential.findUnique({ where });
  if (!token && !existing) throw new AppError("VALIDATION", "Enter the API token", "token");
  const secret = token ? { tokenCipher: encryptSecret(token, services.keys.computeSecrets), tokenLast4: token.slice(-4) } : {};
  return services.db.computeCredential.upsert({
    where,
    create: {
      orgId,
      provider: input.provider,
      apiUrl: url.toString().replace(/\/$/, ""),
      namespace,
      tokenCipher: "",
      tokenLast4: "",
      ...secret,
    },
    update: { apiUrl: url.toString().replace(/\/$/, ""), namespace, ...secret },
  });
}
