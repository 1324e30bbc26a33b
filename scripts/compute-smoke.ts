// A smoke test of a real compute provider for users who have one: quote, launch
// one tiny attempt, poll until it runs or ends, then cancel it. It reads the same
// settings as the server (SKYPILOT_API_URL / KUBERNETES_API_URL, KUBERNETES_KUBECONFIG,
// WORKER_IMAGE, …). The launched worker holds a dummy token: it is refused by the
// server and exits 78 (do not retry) — the point is the provider's API, not training.
//
//   node_modules/.bin/tsx scripts/compute-smoke.ts --provider skypilot [--gpu H100_PCIE_80GB] [--tier SPOT] [--timeout 900]
import { parseArgs } from "node:util";
import { readConfig } from "../server/src/config.js";
import { KubernetesProvider } from "../server/src/compute/kubernetes.js";
import { SkyPilotProvider } from "../server/src/compute/skypilot.js";
import { loadGpuCatalog } from "../server/src/costs/catalog.js";
import type { ComputeProvider, MachineStatus } from "../server/src/compute/provider.js";

const { values } = parseArgs({
  options: {
    provider: { type: "string" },
    gpu: { type: "string", default: "H100_PCIE_80GB" },
    tier: { type: "string", default: "ON_DEMAND" },
    timeout: { type: "string", default: "900" },
    server: { type: "string", default: process.env.PUBLIC_URL ?? "http://127.0.0.1:4000" },
  },
});

function providerFrom(name: string | undefined): ComputeProvider {
  const { compute, gpuCatalogFile } = readConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? "./data" });
  const gpus = loadGpuCatalog(gpuCatalogFile);
  if (name === "skypilot" && compute.skypilot) return new SkyPilotProvider(compute.skypilot, compute, gpus);
  if (name === "kubernetes" && compute.kubernetes) return new KubernetesProvider(compute.kubernetes, compute, gpus);
  console.error(
    "usage: compute-smoke.ts --provider skypilot|kubernetes (with SKYPILOT_API_URL, or KUBERNETES_API_URL + KUBERNETES_TOKEN / KUBERNETES_KUBECONFIG, set)",
  );
  process.exit(2);
}

const provider = providerFrom(values.provider);
const tier = values.tier === "SPOT" ? "SPOT" : "ON_DEMAND";
const deadline = Date.now() + Number(values.timeout) * 1000;
const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);

const quote = provider.quote(values.gpu!, tier);
log(`quote: ${quote.instanceType} in ${quote.region}, ${tier}, $${quote.pricePerHourUsd.toFixed(2)}/h`);

const jobId = `smoke${Date.now().toString(36)}`;
const launched = await provider.launch({
  jobId,
  attempt: 1,
  gpuType: values.gpu!,
  tier,
  onDemandFallback: tier === "SPOT",
  backend: "typescript",
  serverUrl: values.server!,
  workerToken: "tl_smoke_not_a_real_token",
});
log(`launched ${launched.externalId} (${launched.instanceType}, ${launched.region})`);

let status: MachineStatus = { state: "PENDING" };
try {
  while (Date.now() < deadline) {
    status = await provider.poll(launched.externalId);
    log(`state: ${status.state}${status.state === "ENDED" ? ` ${status.outcome}: ${status.reason}` : ""}`);
    if (status.state === "RUNNING" || status.state === "ENDED") break;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  const listed = await provider.listLabelled();
  log(`listed under our label: ${listed.some((m) => m.externalId === launched.externalId) ? "yes" : "no (already ended)"}`);
} finally {
  await provider.cancel(launched.externalId);
  await provider.cancel(launched.externalId); // idempotent
  log(`cancelled ${launched.externalId}`);
}
if (status.state === "PENDING") {
  console.error(`the machine did not start within ${values.timeout} s`);
  process.exit(1);
}
