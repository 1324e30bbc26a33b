import { createHash } from "node:crypto";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { AppServices, UserViewer } from "../context.js";
import { AppError } from "../errors.js";
import { findOwnJob } from "../jobs/service.js";
import type { JobConfig } from "../jobs/config.js";
import { artifactDownloadUrl } from "../artifacts/service.js";
import { DOWNLOAD_LINK_SECONDS } from "../artifacts/signing.js";
import { metricsCsv, metricsJson } from "../metrics/exports.js";
import { readDatasetChats } from "../datasets/service.js";
import { adapterArtifacts, adapterDir, ADAPTER_FILES } from "../serving/adapterFiles.js";
import { isBuiltInModel } from "../serving/backends.js";
import { latestRun } from "../validation/service.js";
import {
  adapterReadme,
  BASE_MODEL_FILES,
  deploymentReadme,
  examplePromptsJson,
  inferencePy,
  REQUIREMENTS_TXT,
  vllmServeScript,
  type BundleFacts,
} from "./packageFiles.js";
import { zipToBuffer, type ZipEntry } from "./zip.js";

/** What can be downloaded for a completed job, as files built once and kept as artifacts. */
export const DELIVERY_KINDS = {
  adapter_zip: { file: (slug: string) => `${slug}-adapter.zip`, contentType: "application/zip" },
  deployment_package: { file: (slug: string) => `${slug}-deployment.zip`, contentType: "application/zip" },
  metrics_csv: { file: (slug: string) => `${slug}-metrics.csv`, contentType: "text/csv; charset=utf-8" },
  metrics_json: { file: (slug: string) => `${slug}-metrics.json`, contentType: "application/json" },
} as const;
export type DeliveryKind = keyof typeof DELIVERY_KINDS;

const slugOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60) || "model";

async function facts(
  services: AppServices,
  job: { id: string; name: string; config: unknown; finishedAt: Date | null },
): Promise<BundleFacts> {
  const { model, config } = await adapterArtifacts(services, job.id);
  const run = await latestRun(services, job.id);
  const done = run?.status === "COMPLETED" ? run : null;
  return {
    jobName: job.name,
    jobId: job.id,
    baseModel: (job.config as JobConfig).baseModel,
    config: job.config as Record<string, unknown>,
    finishedAt: job.finishedAt,
    files: [config, model].map((a) => ({
      name: ADAPTER_FILES[a.kind as keyof typeof ADAPTER_FILES],
      sha256: a.sha256,
      sizeBytes: a.sizeBytes,
    })),
    validation: done && {
      perplexityBase: done.perplexityBase,
      perplexityAdapted: done.perplexityAdapted,
      perplexityImprovementPct: done.perplexityImprovementPct,
      retentionPct: done.retentionPct,
    },
  };
}

async function buffer(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function collect(write: (out: PassThrough) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  await write(out);
  out.end();
  return Buffer.concat(chunks);
}

/** The system prompt and a few real user questions of the job's dataset, for example_prompts.json. */
async function examplePrompts(services: AppServices, datasetId: string) {
  const dataset = await services.db.dataset.findUniqueOrThrow({ where: { id: datasetId } });
  const chats = await readDatasetChats(services, dataset);
  const system = chats.flatMap((c) => c.messages).find((m) => m.role === "system")?.content ?? null;
  const questions = [
    ...new Set(chats.map((c) => c.messages.find((m) => m.role === "user")?.content).filter((q): q is string => Boolean(q))),
  ];
  return { system, prompts: questions.slice(0, 8) };
}

async function build(
  services: AppServices,
  job: { id: string; orgId: string; name: string; config: unknown; finishedAt: Date | null; datasetId: string },
  kind: DeliveryKind,
): Promise<Buffer> {
  if (kind === "metrics_csv") return collect((out) => metricsCsv(out, services, job.id, null));
  if (kind === "metrics_json") return collect((out) => metricsJson(out, services, job.id, null));
  const f = await facts(services, job);
  const dir = await adapterDir(services, job.id);
  const adapterFiles = Object.values(ADAPTER_FILES);
  if (kind === "adapter_zip") {
    return zipToBuffer([
      ...adapterFiles.map((name) => ({ name, file: join(dir, name) })),
      { name: "README.txt", content: adapterReadme(f) },
    ]);
  }
  // A built-in base model is in the package (it is on no model hub), fetched from the engine's serving process;
  // a Hugging Face model is referenced by its hub id and downloaded where the package runs.
  const builtIn = isBuiltInModel(f.baseModel);
  const baseFiles = builtIn
    ? await Promise.all(
        BASE_MODEL_FILES.map(async (name) => ({
          name: `base_model/${name}`,
          content: await buffer(await services.inference.engine.baseModelFile(f.baseModel, name)),
        })),
      )
    : [];
  const { system, prompts } = await examplePrompts(services, job.datasetId);
  const entries: ZipEntry[] = [
    ...adapterFiles.map((name) => ({ name: `adapter/${name}`, file: join(dir, name) })),
    ...baseFiles,
    { name: "inference.py", content: inferencePy(system, builtIn ? null : f.baseModel) },
    { name: "requirements.txt", content: REQUIREMENTS_TXT },
    { name: "README.md", content: deploymentReadme(f, builtIn) },
    { name: "example_prompts.json", content: examplePromptsJson(system, prompts) },
    ...(builtIn ? [] : [{ name: "serve_vllm.sh", content: vllmServeScript(f.baseModel, Number(f.config.rank) || 8) }]),
  ];
  return zipToBuffer(entries);
}

/**
 * A signed link (24 hours) to one of a completed job's deliverables. The file
 * is built on first request and kept as an artifact of the job, so every later
 * link serves the same bytes and the artifact download route records each download.
 */
export async function deliveryLink(services: AppServices, viewer: UserViewer, jobId: string, kind: DeliveryKind, baseUrl: string) {
  const job = await findOwnJob(services, viewer, jobId);
  if (job.status !== "COMPLETED")
    throw new AppError("CONFLICT", `Downloads are ready once the job has completed; it is ${job.status.toLowerCase()}`, "jobId");
  let artifact = await services.db.artifact.findFirst({ where: { jobId, kind }, orderBy: { createdAt: "asc" } });
  if (!artifact) {
    const bytes = await build(services, job, kind);
    const key = `jobs/${jobId}/${randomUUID()}`;
    await services.storage.put(
      key,
      (async function* () {
        yield bytes;
      })(),
    );
    artifact = await services.db.artifact.create({
      data: {
        jobId,
        kind,
        name: DELIVERY_KINDS[kind].file(slugOf(job.name)),
        storageKey: key,
        sizeBytes: bytes.byteLength,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        contentType: DELIVERY_KINDS[kind].contentType,
      },
    });
  }
  return {
    kind,
    artifact,
    url: artifactDownloadUrl(services, baseUrl, artifact.id, viewer.userId),
    expiresAt: new Date(Date.now() + DOWNLOAD_LINK_SECONDS * 1000),
  };
}
