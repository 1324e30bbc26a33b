import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ServerConfig } from "../config.js";
import { parseS3Url, S3Storage } from "./s3Storage.js";

/**
 * Where artifact bytes live. Kept small on purpose so an S3-compatible
 * implementation is a drop-in: keys are relative paths like "jobs/<jobId>/<uuid>".
 */
export interface Storage {
  /** Stores the whole body under `key`; readers never see a partial object. */
  put(key: string, body: AsyncIterable<Uint8Array>): Promise<void>;
  get(key: string): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Size in bytes, or null when there is no such object. */
  size(key: string): Promise<number | null>;
  /** Releases its connections (app stop). */
  close?(): void;
}

/** True when `get` failed because there is no object under the key (a local file or an S3 object). */
export function isMissingObject(error: unknown): boolean {
  const e = error as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.code === "ENOENT" || e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

/** Files under `root` (config.dataDir/artifacts). */
export class LocalStorage implements Storage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split("/").some((part) => part === "." || part === "..")) {
      throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    }
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    return path;
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    // Written under a temporary name and renamed: a crash leaves no half file under the key.
    const partial = `${path}.${process.pid}.${Date.now()}.part`;
    try {
      await pipeline(Readable.from(body), createWriteStream(partial, { flags: "wx" }));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.path(key);
    await stat(path); // fail here (ENOENT) rather than on the first read
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.path(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }
}

/** The storage a server's settings name: an S3-compatible bucket (STORAGE_URL), or files under DATA_DIR/artifacts. */
export function createStorage(config: Pick<ServerConfig, "storageUrl" | "dataDir">): Storage {
  return config.storageUrl ? new S3Storage(parseS3Url(config.storageUrl)) : new LocalStorage(join(config.dataDir, "artifacts"));
}
