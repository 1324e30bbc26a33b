import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { AppServices } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { firstNonUtf8Line, validateChatJsonl, type Chat } from "./validate.js";

export const MAX_DATASET_BYTES = 50 * 1024 * 1024;

function datasetPath(services: AppServices, fileName: string) {
  return join(services.config.dataDir, "datasets", fileName);
}

/**
 * Stores an uploaded JSONL file and its pre-flight report. A file with line
 * errors is kept (status INVALID) so its report can be read; a file that is not
 * text at all is refused.
 */
export async function createDataset(services: AppServices, orgId: string, userId: string | null, name: string, bytes: Uint8Array) {
  if (!name.trim()) throw new AppError("VALIDATION", "Give the dataset a name", "name");
  if (bytes.byteLength === 0) throw new AppError("VALIDATION", "The file is empty", "file");
  if (bytes.byteLength > MAX_DATASET_BYTES)
    throw new AppError("VALIDATION", `The file is larger than ${MAX_DATASET_BYTES / 1024 / 1024} MB`, "file");
  const badLine = firstNonUtf8Line(bytes);
  if (badLine != null)
    throw new AppError("VALIDATION", `Line ${badLine} is not UTF-8 text; upload JSON Lines (.jsonl) saved as UTF-8`, "file");
  const { report, chats } = validateChatJsonl(new TextDecoder().decode(bytes));

  // Write under a temporary name and rename once the row exists: no orphan rows, no half files.
  const fileName = `${randomUUID()}.jsonl`;
  const path = datasetPath(services, fileName);
  await mkdir(join(services.config.dataDir, "datasets"), { recursive: true });
  await writeFile(`${path}.part`, bytes);
  const dataset = await services.db.dataset.create({
    data: {
      orgId,
      name: name.trim(),
      status: report.valid ? "VALID" : "INVALID",
      conversationCount: report.conversationCount,
      pairCount: report.pairCount,
      tokenCount: report.tokenCount,
      sizeBytes: bytes.byteLength,
      validationReport: report,
      storagePath: fileName,
      createdById: userId,
    },
  });
  await rename(`${path}.part`, path);
  await writePreview(path, chats);
  return dataset;
}

/** The conversations a preview may show; stored beside the file at upload, so a preview never parses the whole file. */
export const MAX_PREVIEW = 20;
const previewPath = (filePath: string) => `${filePath}.preview.json`;
const writePreview = (filePath: string, chats: Chat[]) => writeFile(previewPath(filePath), JSON.stringify(chats.slice(0, MAX_PREVIEW)));

export async function datasetPreview(services: AppServices, dataset: { storagePath: string }, first: number): Promise<Chat[]> {
  const path = datasetPath(services, dataset.storagePath);
  let chats: Chat[];
  try {
    chats = JSON.parse(await readFile(previewPath(path), "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    // A dataset stored before previews were: made once from its file.
    chats = await readDatasetChats(services, dataset);
    await writePreview(path, chats);
  }
  return chats.slice(0, Math.max(0, Math.min(first, MAX_PREVIEW)));
}

export async function readDatasetText(services: AppServices, dataset: { storagePath: string }) {
  return readFile(datasetPath(services, dataset.storagePath), "utf8");
}

export async function readDatasetChats(services: AppServices, dataset: { storagePath: string }): Promise<Chat[]> {
  return validateChatJsonl(await readDatasetText(services, dataset)).chats;
}

export async function findOwnDataset(services: AppServices, orgId: string, id: string) {
  const dataset = await services.db.dataset.findFirst({ where: { id, orgId } });
  if (!dataset) throw notFound("Dataset", "id");
  return dataset;
}
