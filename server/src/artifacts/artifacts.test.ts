import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { readConfig } from "../config.js";
import { serverKeys } from "../serverKeys.js";
import { CLAIM, createWorkerKey, queueJob, uploadArtifact } from "@tuneloop/testing/workerApi";
import { signDownload } from "./signing.js";

describe(`artifacts: upload, signed download, audit (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let jobId: string;
  let trainerToken: string;
  let session: string;
  beforeAll(async () => {
    app = await startTestApp();
    const key = await createWorkerKey(app);
    jobId = await queueJob(app, "artifacts");
    trainerToken = (await app.gql(CLAIM, { w: "w1" }, key)).data.claimTrainingJob.data.claim.trainerToken;
    session = await app.login("qa");
  });
  afterAll(() => app.stop());

  const content = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
  const sha = createHash("sha256").update(content).digest("hex");

  it("stores a trainer's upload with its size and hash, once however often it is sent", async () => {
    const first = await uploadArtifact(app, trainerToken, jobId, "adapter_model", "adapter_model.safetensors", content);
    const artifact = first.data.uploadArtifact.data;
    expect(artifact).toMatchObject({
      kind: "adapter_model",
      name: "adapter_model.safetensors",
      sizeBytes: content.length,
      sha256: sha,
      contentType: "application/octet-stream",
    });
    const again = await uploadArtifact(app, trainerToken, jobId, "adapter_model", "adapter_model.safetensors", content);
    expect(again.data.uploadArtifact.data.id).toBe(artifact.id);
    const rows = await app.services.db.artifact.findMany({ where: { jobId } });
    expect(rows).toHaveLength(1);
    const stored = readFileSync(join(app.dataDir, "artifacts", rows[0].storageKey));
    expect(createHash("sha256").update(stored).digest("hex")).toBe(sha);
  });

  it("refuses bad kinds, names, other jobs and non-trainers with typed errors", async () => {
    const kind = await uploadArtifact(app, trainerToken, jobId, "virus", "x.bin", "x");
    expect(kind.data.uploadArtifact).toMatchObject({ code: "VALIDATION", field: "kind" });
    const name = await uploadArtifact(app, trainerToken, jobId, "metrics", "../../etc/passwd ", "x");
    expect(name.data.uploadArtifact).toMatchObject({ code: "VALIDATION", field: "file" });
    const empty = await uploadArtifact(app, trainerToken, jobId, "metrics", "metrics.json", "");
    expect(empty.data.uploadArtifact).toMatchObject({ code: "VALIDATION", field: "file" });
    const otherJob = await queueJob(app, "other");
    const wrong = await uploadArtifact(app, trainerToken, otherJob, "metrics", "metrics.json", "{}");
    expect(wrong.data.uploadArtifact).toMatchObject({ code: "FORBIDDEN", field: "jobId" });
    const byUser = await uploadArtifact(app, session, jobId, "metrics", "metrics.json", "{}");
    expect(byUser.errors?.[0].extensions.code).toBe("FORBIDDEN");
  });

  it("lists a job's artifacts with links that download the bytes and record who downloaded them", async () => {
    await uploadArtifact(app, trainerToken, jobId, "adapter_config", "adapter_config.json", '{"r":16}');
    const q = `query($id:ID!){ job(id:$id){ artifacts { id kind name sizeBytes sha256 downloadUrl downloads { createdAt user { email } } } } }`;
    const artifacts = (await app.gql(q, { id: jobId }, session)).data.job.artifacts;
    expect(artifacts.map((a: any) => a.kind)).toEqual(["adapter_model", "adapter_config"]);
    const url = new URL(artifacts[0].downloadUrl);
    expect(url.origin).toBe(app.url);
    expect(Number(url.searchParams.get("expires")) - Date.now() / 1000).toBeGreaterThan(24 * 3600 - 60);

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="adapter_model.safetensors"');
    const body = new Uint8Array(await response.arrayBuffer());
    expect(createHash("sha256").update(body).digest("hex")).toBe(sha);

    const after = (await app.gql(q, { id: jobId }, session)).data.job.artifacts[0];
    expect(after.downloads).toHaveLength(1);
    expect(after.downloads[0].user.email).toBe("qa@demo.tuneloop.dev");
  });

  it("refuses tampered, re-targeted and expired links", async () => {
    const [artifact, other] = await app.services.db.artifact.findMany({ where: { jobId }, orderBy: { createdAt: "asc" } });
    const good = new URL(
      (await app.gql(`query($id:ID!){ job(id:$id){ artifacts { downloadUrl } } }`, { id: jobId }, session)).data.job.artifacts[0]
        .downloadUrl,
    );
    const tampered = new URL(good);
    tampered.searchParams.set("expires", String(Number(good.searchParams.get("expires")) + 3600));
    const retargeted = new URL(good.toString().replace(artifact.id, other.id));
    const forged = new URL(good);
    forged.searchParams.delete("u");
    for (const url of [tampered, retargeted, forged]) {
      const response = await fetch(url);
      expect(response.status).toBe(403);
      expect((await response.json()).error.code).toBe("FORBIDDEN");
    }
    const longAgo = Date.now() - 25 * 3600_000;
    const expired = await fetch(
      `${app.url}/api/artifacts/${artifact.id}?${signDownload(app.services.keys.artifactSigning, artifact.id, null, longAgo)}`,
    );
    expect(expired.status).toBe(403);
    expect((await expired.json()).error.code).toBe("LINK_EXPIRED");
    const wrongMethod = await fetch(good, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(await app.services.db.download.count({ where: { artifactId: artifact.id } })).toBe(1);
  });

  it("answers a malformed link with 400, and logs a storage failure instead of a silent 404", async () => {
    const malformed = await fetch(`${app.url}/api/artifacts/%E0%A4%A?expires=1&u=&signature=x`);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe("VALIDATION");

    const [artifact] = await app.services.db.artifact.findMany({ where: { jobId }, orderBy: { createdAt: "asc" } });
    const link = `${app.url}/api/artifacts/${artifact.id}?${signDownload(app.services.keys.artifactSigning, artifact.id, null)}`;
    const file = join(app.dataDir, "artifacts", artifact.storageKey);
    const folder = dirname(file);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      renameSync(folder, `${folder}.moved`);
      const missing = await fetch(link);
      expect(missing.status).toBe(404);
      expect((await missing.json()).error).toEqual({ code: "NOT_FOUND", message: "The artifact's file is missing from storage" });
      // A file where the job's folder should be: the storage itself fails.
      writeFileSync(folder, "");
      const broken = await fetch(link);
      expect(broken.status).toBe(503);
      expect((await broken.json()).error.code).toBe("STORAGE_UNAVAILABLE");
      expect(logged.mock.calls.map((call) => String(call[0]))).toEqual([
        `artifact ${artifact.id}: reading ${artifact.storageKey} from storage failed`,
        `artifact ${artifact.id}: reading ${artifact.storageKey} from storage failed`,
      ]);
    } finally {
      logged.mockRestore();
      rmSync(folder, { force: true });
      renameSync(`${folder}.moved`, folder);
    }
    expect((await fetch(link)).status).toBe(200);
  });

  it("keeps the signing secret in the data folder across restarts, or takes it from the environment", () => {
    const restarted = serverKeys(readConfig({ DATA_DIR: app.dataDir }));
    expect(restarted.artifactSigning).toBe(app.services.keys.artifactSigning);
    expect(restarted.artifactSigning.length).toBeGreaterThanOrEqual(32);
    const fromEnv = serverKeys(readConfig({ DATA_DIR: app.dataDir, ARTIFACT_SIGNING_SECRET: "x".repeat(40) }));
    expect(fromEnv.artifactSigning).toBe("x".repeat(40));
    // Reading the settings writes nothing: the key files are made when an app is built.
    const unused = join(app.dataDir, "never-started");
    readConfig({ DATA_DIR: unused });
    expect(existsSync(unused)).toBe(false);
    expect(() => readConfig({ DATA_DIR: app.dataDir, ARTIFACT_SIGNING_SECRET: "short" })).toThrow(
      /ARTIFACT_SIGNING_SECRET: must be at least 32/,
    );
    expect(() => readConfig({ DATA_DIR: app.dataDir, ARTIFACT_SIGNING_SECRET: "short" })).not.toThrow(/short/);
  });
});
