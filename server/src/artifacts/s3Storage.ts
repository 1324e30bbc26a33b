import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import type { Storage } from "./storage.js";

/** Parts of a multipart upload; S3 needs at least 5 MiB for every part but the last. */
const PART_BYTES = 8 * 1024 * 1024;

export type S3Location = { bucket: string; prefix: string; client: S3ClientConfig };

/**
 * STORAGE_URL=s3://bucket[/prefix]?endpoint=https://…&region=…&forcePathStyle=true
 * Credentials come from the usual AWS sources (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
 * profiles, instance roles), never from the URL, so the URL can be logged.
 */
export function parseS3Url(url: string): S3Location {
  const u = new URL(url);
  if (u.protocol !== "s3:" || !u.hostname) throw new Error("STORAGE_URL must look like s3://bucket?endpoint=…");
  if (u.username || u.password) throw new Error("STORAGE_URL must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  const endpoint = u.searchParams.get("endpoint") ?? undefined;
  return {
    bucket: u.hostname,
    prefix: u.pathname.replace(/^\/+|\/+$/g, ""),
    client: {
      region: u.searchParams.get("region") ?? process.env.AWS_REGION ?? "us-east-1",
      ...(endpoint && { endpoint }),
      // Self-hosted S3-compatible stores (MinIO, Ceph, s3rver) address buckets by path.
      forcePathStyle: (u.searchParams.get("forcePathStyle") ?? (endpoint ? "true" : "false")) === "true",
      // Without these the SDK frames streamed bodies with chunk signatures that some stores keep in the object.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    },
  };
}

/** Artifact bytes in an S3-compatible bucket: the same keys as on disk, under an optional prefix. */
export class S3Storage implements Storage {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(location: S3Location) {
    this.s3 = new S3Client(location.client);
    this.bucket = location.bucket;
    this.prefix = location.prefix;
  }

  close() {
    this.s3.destroy(); // its keep-alive sockets
  }

  private key(key: string) {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    const Key = this.key(key);
    let buffered: Uint8Array[] = [];
    let size = 0;
    let uploadId: string | null = null;
    const parts: { ETag: string; PartNumber: number }[] = [];
    const flushPart = async () => {
      uploadId ??= (await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }))).UploadId!;
      const PartNumber = parts.length + 1;
      const { ETag } = await this.s3.send(
        new UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber, Body: Buffer.concat(buffered) }),
      );
      parts.push({ ETag: ETag!, PartNumber });
      buffered = [];
      size = 0;
    };
    try {
      for await (const chunk of body) {
        buffered.push(chunk);
        size += chunk.byteLength;
        if (size >= PART_BYTES) await flushPart();
      }
      // Small objects (most adapters) go up in one request; an object appears only once complete either way.
      if (uploadId === null) {
        await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: Buffer.concat(buffered) }));
        return;
      }
      if (size > 0) await flushPart();
      await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      if (uploadId) await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).catch(() => {});
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
    if (!Body) throw new Error(`no body for ${key}`);
    return Body instanceof Readable ? Body : Readable.fromWeb(Body.transformToWebStream() as never);
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }))).ContentLength ?? 0;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return null;
      throw error;
    }
  }
}
