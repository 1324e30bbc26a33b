import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { AppServices } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { FINAL_STATUSES } from "../jobs/stateMachine.js";
import { signDownload, verifyDownload } from "./signing.js";
import { isMissingObject } from "./storage.js";

/** What a trainer may upload. Other domains add their kinds here. */
export const ARTIFACT_KINDS = ["adapter_model", "adapter_config", "checkpoint", "metrics", "training_log", "evaluation"] as const;
export const MAX_ARTIFACT_BYTES = 4 * 1024 ** 3;

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  jsonl: "application/jsonl",
  safetensors: "application/octet-stream",
  gz: "application/gzip",
  tar: "application/x-tar",
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(base)) {
    throw new AppError("VALIDATION", "The file name must be 1–200 letters, digits, dots, dashes or underscores", "file");
  }
  return base;
}

/**
 * Stores a file a trainer sent for its job and records it. The same bytes sent
 * twice under the same kind and name (a retried upload whose answer was lost)
 * give back the first record instead of a copy.
 */
export async function storeArtifact(services: AppServices, jobId: string, kind: string, file: File) {
  if (!(ARTIFACT_KINDS as readonly string[]).includes(kind)) {
    throw new AppError("VALIDATION", `Unknown artifact kind "${kind}"; use one of ${ARTIFACT_KINDS.join(", ")}`, "kind");
  }
  const name = cleanName(file.name);
  if (file.size === 0) throw new AppError("VALIDATION", "The file is empty", "file");
  if (file.size > MAX_ARTIFACT_BYTES)
    throw new AppError("VALIDATION", `The file is larger than ${MAX_ARTIFACT_BYTES / 1024 ** 3} GiB`, "file");
  const job = await services.db.trainingJob.findUnique({ where: { id: jobId } });
  if (!job) throw notFound("Training job", "jobId");
  if (FINAL_STATUSES.includes(job.status))
    throw new AppError("CONFLICT", `The job is ${job.status.toLowerCase()}; it takes no more files`, "jobId");

  const { storage } = services;
  const key = `jobs/${jobId}/${randomUUID()}`;
  const hash = createHash("sha256");
  let sizeBytes = 0;
  // Read through the stream's reader: the File may come from a fetch implementation other than Node's.
  async function* hashing(reader: ReadableStreamDefaultReader<Uint8Array>) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      hash.update(value);
      sizeBytes += value.byteLength;
      yield value;
    }
  }
  await storage.put(key, hashing(file.stream().getReader()));
  const sha256 = hash.digest("hex");
  try {
    const existing = await services.db.artifact.findFirst({ where: { jobId, kind, name, sha256 } });
    if (existing) {
      await storage.delete(key);
      return existing;
    }
    const extension = name.split(".").pop()!.toLowerCase();
    return await services.db.artifact.create({
      data: { jobId, kind, name, storageKey: key, sizeBytes, sha256, contentType: CONTENT_TYPES[extension] ?? "application/octet-stream" },
    });
  } catch (error) {
    await storage.delete(key); // no file without its row
    throw error;
  }
}

/** Where links point: PUBLIC_URL when set, else the origin the caller reached us on. */
export function publicBaseUrl(services: AppServices, request?: Request): string {
  return (services.config.publicUrl ?? (request ? new URL(request.url).origin : "")).replace(/\/$/, "");
}

/** A link to download the artifact for 24 hours, made for `userId` (null: for a trainer). */
export function artifactDownloadUrl(services: AppServices, baseUrl: string, artifactId: string, userId: string | null): string {
  return `${baseUrl}/api/artifacts/${encodeURIComponent(artifactId)}?${signDownload(services.keys.artifactSigning, artifactId, userId)}`;
}

function refuse(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** GET /api/artifacts/:id?expires=…&u=…&signature=… streams the file and records who downloaded it. */
export async function serveArtifactDownload(req: IncomingMessage, res: ServerResponse, services: AppServices): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://local");
  const match = url.pathname.match(/^\/api\/artifacts\/([^/]+)$/);
  if (!match) return false;
  if (req.method !== "GET") {
    res.setHeader("allow", "GET");
    refuse(res, 405, "METHOD_NOT_ALLOWED", "Use GET");
    return true;
  }
  let artifactId: string;
  try {
    artifactId = decodeURIComponent(match[1]);
  } catch {
    refuse(res, 400, "VALIDATION", "The artifact id in this link is not valid; ask for a new link");
    return true;
  }
  const check = verifyDownload(services.keys.artifactSigning, artifactId, url.searchParams);
  if (!check.ok) {
    refuse(
      res,
      403,
      check.reason === "expired" ? "LINK_EXPIRED" : "FORBIDDEN",
      check.reason === "expired" ? "This download link has expired; ask for a new one" : "This download link is not valid",
    );
    return true;
  }
  const artifact = await services.db.artifact.findUnique({ where: { id: artifactId } });
  if (!artifact) {
    refuse(res, 404, "NOT_FOUND", "Artifact not found");
    return true;
  }
  let body: Readable;
  try {
    body = await services.storage.get(artifact.storageKey);
  } catch (error) {
    // The row exists, so its file should too: a storage fault for the operator, not a bad link.
    console.error(`artifact ${artifact.id}: reading ${artifact.storageKey} from storage failed`, error);
    if (isMissingObject(error)) refuse(res, 404, "NOT_FOUND", "The artifact's file is missing from storage");
    else refuse(res, 503, "STORAGE_UNAVAILABLE", "The file could not be read from storage; try again later");
    return true;
  }
  // A user's download is the audit trail of client deliveries; a link made for a trainer (resuming from a checkpoint) has no user.
  const userId = check.link.userId && (await services.db.user.findUnique({ where: { id: check.link.userId }, select: { id: true } }))?.id;
  await services.db.download.create({ data: { artifactId: artifact.id, userId: userId ?? null } });
  res.writeHead(200, {
    "content-type": artifact.contentType,
    "content-length": String(artifact.sizeBytes),
    "content-disposition": `attachment; filename="${artifact.name}"`,
    "cache-control": "private, no-store",
    "x-content-sha256": artifact.sha256,
  });
  body.pipe(res);
  await new Promise<void>((resolve) => {
    res.on("close", resolve);
    body.on("error", () => res.destroy());
  });
  return true;
}
