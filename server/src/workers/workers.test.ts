import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { CLAIM, HEARTBEAT, createWorkerKey, queueJob, uploadArtifact } from "@tuneloop/testing/workerApi";
import { expireLeases } from "./service.js";
import { outcome, postWebhook, REPORT } from "@tuneloop/testing/trainerReports";
import { transitionJob } from "../jobs/service.js";
import { FINAL_STATUSES } from "../jobs/stateMachine.js";

const claim = (app: TestApp, key: string | null, workerId: string, gpuTypes?: string[]) =>
  app.gql(CLAIM, { w: workerId, g: gpuTypes ?? null }, key);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const where = usingPostgres() ? "PostgreSQL" : "SQLite";

async function setUp(leaseSeconds: number) {
  const app = await startTestApp({ leaseSeconds });
  return { app, key: await createWorkerKey(app) };
}

/** Each test starts with no live job: claimed jobs whose lease lapses would come back as RECOVERING. */
async function cancelLiveJobs(app: TestApp) {
  const live = await app.services.db.trainingJob.findMany({ where: { status: { notIn: FINAL_STATUSES } } });
  for (const job of live) await transitionJob(app.services, job.id, "CANCELLED");
}

// A long lease: nothing expires while many claims race on a loaded machine.
describe(`worker claims (${where})`, () => {
  let app: TestApp;
  let key: string;
  beforeAll(async () => ({ app, key } = await setUp(60)));
  afterAll(() => app.stop());
  afterEach(() => cancelLiveJobs(app));

  it("refuses callers without the worker scope and checks the worker id", async () => {
    const session = await app.login("engineer");
    const readKey = await createWorkerKey(app, ["READ", "WRITE"]);
    for (const token of [session, readKey, null]) {
      const r = await claim(app, token as string, "w1");
      expect(r.errors?.[0].extensions.code).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
    }
    const bad = await claim(app, key, "bad id with spaces");
    expect(bad.data.claimTrainingJob).toMatchObject({ code: "VALIDATION", field: "workerId" });
  });

  it("gives each of many concurrent claimers a different job, oldest first, and moves it to PROVISIONING", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await queueJob(app, `race ${i}`));
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => claim(app, key, `racer-${i}`)));
    const claims = results.map((r) => r.data.claimTrainingJob.data.claim).filter(Boolean);
    expect(results.every((r) => r.data.claimTrainingJob.__typename === "ClaimTrainingJobSuccess")).toBe(true);
    expect(claims).toHaveLength(6);
    expect(new Set(claims.map((c: any) => c.job.id))).toEqual(new Set(ids));
    for (const c of claims) {
      expect(c.job.status).toBe("PROVISIONING");
      expect(c.trainerToken).toMatch(/^tlt_/);
      expect(c.datasetContent).toContain('"messages"');
      expect(c.resumeFrom).toBeNull();
      expect(c.lastSequence).toBe(0);
    }
    const rows = await app.services.db.trainingJob.findMany({ where: { id: { in: ids } } });
    expect(new Set(rows.map((r) => r.workerId)).size).toBe(6);
    const events = await app.services.db.jobEvent.findMany({ where: { jobId: { in: ids }, type: "status_changed" } });
    expect(events.filter((e) => (e.payload as any).to === "PROVISIONING")).toHaveLength(6);

    // Sequential claims come oldest first.
    const first = await queueJob(app, "older");
    await queueJob(app, "newer");
    expect((await claim(app, key, "w-order")).data.claimTrainingJob.data.claim.job.id).toBe(first);
  });

  it("only offers jobs of the worker's organization and GPU types", async () => {
    const job = await queueJob(app, "h100 only", {}, { gpuType: "H100_PCIE_80GB" });
    expect((await claim(app, key, "w-a100", ["A100_SXM_80GB"])).data.claimTrainingJob.data.claim).toBeNull();
    const other = await app.services.db.organization.create({
      data: {
        name: "Other",
        slug: `other-${Date.now()}`,
        memberships: { create: { role: "ENGINEER", user: { create: { email: `w${Date.now()}@other.test`, name: "Other" } } } },
      },
      include: { memberships: true },
    });
    const { createApiKey } = await import("../auth/service.js");
    const { key: otherKey } = await createApiKey(
      app.services.db,
      { kind: "user", userId: other.memberships[0].userId, orgId: other.id, role: "OWNER", scopes: null, credentialId: "test" },
      "w",
      ["worker"],
    );
    expect((await claim(app, otherKey, "w-other")).data.claimTrainingJob.data.claim).toBeNull();
    expect((await claim(app, key, "w-h100", ["H100_PCIE_80GB"])).data.claimTrainingJob.data.claim.job.id).toBe(job);
  });

  it("offers a job only to workers of its backend (config.backend)", async () => {
    const gpuJob = await queueJob(app, "needs the GPU path", { backend: "python" });
    const cpuJob = await queueJob(app, "engine job");
    const byBackend = (b: string[]) => app.gql(CLAIM, { w: "w-backend", b }, key);
    expect((await byBackend(["typescript"])).data.claimTrainingJob.data.claim.job.id).toBe(cpuJob);
    expect((await byBackend(["typescript"])).data.claimTrainingJob.data.claim).toBeNull();
    expect((await byBackend(["python"])).data.claimTrainingJob.data.claim.job).toMatchObject({ id: gpuJob, config: { backend: "python" } });
  });
});

// A short lease (the background task looks every second) keeps these fast.
describe(`worker leases (${where})`, () => {
  let app: TestApp;
  let key: string;
  beforeAll(async () => ({ app, key } = await setUp(2.5)));
  afterAll(() => app.stop());
  afterEach(() => cancelLiveJobs(app));

  it("renews the lease on heartbeats, and a trainer token only works for its own job", async () => {
    const a = await queueJob(app, "heartbeat a");
    const claimA = (await claim(app, key, "w-hb")).data.claimTrainingJob.data.claim;
    expect(claimA.job.id).toBe(a);
    for (let i = 0; i < 6; i++) {
      const beat = (await app.gql(HEARTBEAT, { id: a }, claimA.trainerToken)).data.heartbeatTrainingJob.data;
      expect(beat).toMatchObject({ status: "PROVISIONING", cancelRequested: false });
      expect(new Date(beat.leaseExpiresAt).getTime()).toBeGreaterThan(Date.now());
      await sleep(500);
    }
    expect((await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: a } })).status).toBe("PROVISIONING");
    const other = await queueJob(app, "heartbeat b");
    const forOther = await app.gql(HEARTBEAT, { id: other }, claimA.trainerToken);
    expect(forOther.data.heartbeatTrainingJob).toMatchObject({ code: "FORBIDDEN", field: "jobId" });
    const byWorkerKey = await app.gql(HEARTBEAT, { id: a }, key);
    expect(byWorkerKey.errors?.[0].extensions.code).toBe("FORBIDDEN");
  });

  it("tells the worker through its heartbeat that the job was cancelled", async () => {
    const id = await queueJob(app, "to cancel");
    const c = (await claim(app, key, "w-cancel")).data.claimTrainingJob.data.claim;
    const session = await app.login("engineer");
    const cancelled = await app.gql(
      `mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename ... on CancelTrainingJobSuccess { data { id } } } }`,
      { id },
      session,
    );
    expect(cancelled.data.cancelTrainingJob.__typename).toBe("CancelTrainingJobSuccess");
    const beat = (await app.gql(HEARTBEAT, { id }, c.trainerToken)).data.heartbeatTrainingJob.data;
    expect(beat).toEqual({ leaseExpiresAt: null, status: "CANCELLED", cancelRequested: true });
  });

  it("takes back a job whose lease expired and lets another worker resume it from the last checkpoint", async () => {
    const id = await queueJob(app, "spot victim");
    const first = (await claim(app, key, "worker-a")).data.claimTrainingJob.data.claim;
    expect(first.job.id).toBe(id);
    const upload = await uploadArtifact(
      app,
      first.trainerToken,
      id,
      "checkpoint",
      "checkpoint-000020.tar.gz",
      new Uint8Array([1, 2, 3, 4]),
    );
    const artifact = upload.data.uploadArtifact.data;
    // The checkpoint row is normally written by reportCheckpoint (the live-progress domain).
    await app.services.db.checkpoint.create({ data: { jobId: id, step: 20, epoch: 0.5, artifactId: artifact.id } });
    await app.services.db.trainingJob.update({ where: { id }, data: { lastSequence: 7 } });

    const secretOf = (token: string) => app.gql(REPORT.webhookSecret, { j: id }, token).then(outcome);
    const secretA = (await secretOf(first.trainerToken)).data;

    // Not claimable while worker A holds the lease…
    expect((await app.gql(HEARTBEAT, { id }, first.trainerToken)).data.heartbeatTrainingJob.data.status).toBe("PROVISIONING");
    expect((await claim(app, key, "worker-b")).data.claimTrainingJob.data.claim).toBeNull();
    // …then A goes silent: the background task moves the job to RECOVERING.
    const deadline = Date.now() + 10_000;
    let job = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id } });
    while (job.status !== "RECOVERING" && Date.now() < deadline) {
      await sleep(200);
      job = await app.services.db.trainingJob.findUniqueOrThrow({ where: { id } });
    }
    expect(job.status).toBe("RECOVERING");
    const expired = await app.services.db.jobEvent.findFirst({ where: { jobId: id, type: "lease_expired" } });
    expect(expired?.message).toContain("worker-a");
    expect(await expireLeases(app.services)).toEqual([]); // nothing twice

    const second = (await claim(app, key, "worker-b")).data.claimTrainingJob.data.claim;
    expect(second.job).toMatchObject({ id, status: "PROVISIONING", workerId: "worker-b" });
    expect(second.lastSequence).toBe(7);
    expect(second.resumeFrom).toMatchObject({ step: 20, epoch: 0.5, artifactId: artifact.id, sha256: artifact.sha256, sizeBytes: 4 });
    const bytes = new Uint8Array(await (await fetch(second.resumeFrom.downloadUrl)).arrayBuffer());
    expect([...bytes]).toEqual([1, 2, 3, 4]);
    // A's token was revoked when B took over: a zombie worker cannot report any more.
    const zombie = await app.gql(HEARTBEAT, { id }, first.trainerToken);
    expect(zombie.errors?.[0].extensions.code).toBe("UNAUTHENTICATED");
    const live = (await app.gql(HEARTBEAT, { id }, second.trainerToken)).data.heartbeatTrainingJob.data;
    expect(live.status).toBe("PROVISIONING");
    // Nor through the webhook door: A's signing secret went with its lease, and B gets its own.
    const report = { type: "metrics", points: [{ name: "train_loss", step: 21, value: 2 }] };
    expect((await postWebhook(app.url, id, secretA, report)).status).toBe(401);
    const secretB = (await secretOf(second.trainerToken)).data;
    expect(secretB).not.toBe(secretA);
    expect((await postWebhook(app.url, id, secretB, report)).status).toBe(200);
  });
});
