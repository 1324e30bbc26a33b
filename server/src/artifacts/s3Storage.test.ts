import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import { parseS3Url, S3Storage } from "./s3Storage.js";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { CLAIM, createWorkerKey, queueJob, uploadArtifact } from "@tuneloop/testing/workerApi";

// An in-process S3-compatible server (s3rver). It does not check signatures;
// credentials only need to be present.
let server: { run(): Promise<{ port: number }>; close(): Promise<void> };
let endpoint: string;
const dir = mkdtempSync(join(tmpdir(), "tuneloop-s3-"));
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  await new S3Client(parseS3Url(`s3://artifacts?endpoint=${endpoint}`).client).send(new CreateBucketCommand({ Bucket: "artifacts" }));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
});

async function* chunks(buffer: Buffer, size: number) {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}
const read = async (stream: AsyncIterable<Buffer>) => {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
};

describe("S3 storage", () => {
  it("parses STORAGE_URL and refuses credentials in it", () => {
    expect(parseS3Url("s3://bucket/team/a?endpoint=http://minio:9000&region=eu-west-1")).toMatchObject({
      bucket: "bucket",
      prefix: "team/a",
      client: { endpoint: "http://minio:9000", region: "eu-west-1", forcePathStyle: true },
    });
    expect(parseS3Url("s3://bucket").client.forcePathStyle).toBe(false);
    expect(() => parseS3Url("s3://key:secret@bucket")).toThrow(/credentials/);
    expect(() => parseS3Url("https://bucket")).toThrow(/s3:\/\//);
  });

  it("stores, reads, sizes and deletes objects, small ones in one request and large ones in parts", async () => {
    const storage = new S3Storage(parseS3Url(`s3://artifacts/prefix?endpoint=${endpoint}`));
    const small = randomBytes(1000);
    await storage.put("jobs/a/small", chunks(small, 300));
    expect(await read(await storage.get("jobs/a/small"))).toEqual(small);
    expect(await storage.size("jobs/a/small")).toBe(1000);

    const large = randomBytes(9 * 1024 * 1024 + 17); // two parts
    await storage.put("jobs/a/large", chunks(large, 1024 * 1024));
    expect((await read(await storage.get("jobs/a/large"))).equals(large)).toBe(true);
    expect(await storage.size("jobs/a/large")).toBe(large.length);

    const listed = await new S3Client(parseS3Url(`s3://artifacts?endpoint=${endpoint}`).client).send(
      new ListObjectsV2Command({ Bucket: "artifacts" }),
    );
    expect(listed.Contents!.map((o) => o.Key).sort()).toEqual(["prefix/jobs/a/large", "prefix/jobs/a/small"]);

    await storage.delete("jobs/a/small");
    expect(await storage.size("jobs/a/small")).toBeNull();
    await expect(storage.get("jobs/a/small")).rejects.toThrow();
  });
});

describe("a server with STORAGE_URL", () => {
  let app: TestApp;
  afterAll(() => app?.stop());

  it("keeps uploaded artifacts in the bucket and serves them through signed links", async () => {
    app = await startTestApp({ storageUrl: `s3://artifacts/server?endpoint=${endpoint}` });
    const jobId = await queueJob(app, "s3 job");
    const claim = (await app.gql(CLAIM, { w: "s3-worker" }, await createWorkerKey(app))).data.claimTrainingJob.data.claim;
    const content = randomBytes(4096);
    const uploaded = (await uploadArtifact(app, claim.trainerToken, jobId, "adapter_model", "adapter_model.safetensors", content)).data
      .uploadArtifact.data;
    const artifact = await app.services.db.artifact.findUniqueOrThrow({ where: { id: uploaded.id } });
    const listed = await new S3Client(parseS3Url(`s3://artifacts?endpoint=${endpoint}`).client).send(
      new ListObjectsV2Command({ Bucket: "artifacts", Prefix: "server/" }),
    );
    expect(listed.Contents!.map((o) => o.Key)).toContain(`server/${artifact.storageKey}`);
    const session = await app.login("engineer");
    const url = (await app.gql(`query($j:ID!){ job(id:$j){ artifacts { downloadUrl } } }`, { j: jobId }, session)).data.job.artifacts[0]
      .downloadUrl;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(content)).toBe(true);
  });
});
