import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { AppServices } from "../context.js";
import { AppError } from "../errors.js";

/** The files of a PEFT adapter, as the trainer uploads them. */
export const ADAPTER_FILES = { adapter_model: "adapter_model.safetensors", adapter_config: "adapter_config.json" } as const;

/** The latest adapter artifacts of a job; a job without both has no adapter to evaluate or serve. */
export async function adapterArtifacts(services: AppServices, jobId: string) {
  const find = (kind: keyof typeof ADAPTER_FILES) =>
    services.db.artifact.findFirst({ where: { jobId, kind }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  const [model, config] = await Promise.all([find("adapter_model"), find("adapter_config")]);
  if (!model || !config)
    throw new AppError("CONFLICT", "This job has no trained adapter yet (adapter_model.safetensors and adapter_config.json)", "jobId");
  return { model, config };
}

/**
 * A local folder holding the job's adapter files, copied out of artifact
 * storage once (inference backends load adapters from disk by path; storage
 * may be S3), under INFERENCE_ADAPTER_DIR.
 * Keyed by the weights' artifact id, so a folder never changes once written.
 */
export async function adapterDir(services: AppServices, jobId: string): Promise<string> {
  const { model, config } = await adapterArtifacts(services, jobId);
  const dir = join(services.config.inference.adapterDir, model.id);
  if (
    await stat(join(dir, ADAPTER_FILES.adapter_model)).then(
      () => true,
      () => false,
    )
  )
    return dir;
  const partial = `${dir}.${randomUUID()}.part`;
  try {
    await mkdir(partial, { recursive: true });
    const { storage } = services;
    for (const artifact of [config, model]) {
      await pipeline(
        await storage.get(artifact.storageKey),
        createWriteStream(join(partial, ADAPTER_FILES[artifact.kind as keyof typeof ADAPTER_FILES])),
      );
    }
    await rename(partial, dir).catch(async (error) => {
      // Another request wrote the same folder first: theirs is as good as ours.
      if (
        !(await stat(join(dir, ADAPTER_FILES.adapter_model)).then(
          () => true,
          () => false,
        ))
      )
        throw error;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return dir;
}
