// The local provider through the real app: the server launches real trainer
// processes (the CLI, tiny model) per job; two instances share one database;
// a killed trainer is replaced without anyone starting a worker.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { queueTinyJob, uploadSyntheticDataset } from "@tuneloop/testing/workerProcesses";
import { waitFor } from "@tuneloop/testing/waitFor";
import { tinyBaseModel } from "@tuneloop/engine/testing";
import { costForSeconds } from "../costs/estimate.js";

let a: TestApp;
let b: TestApp;
let datasetId: string;

beforeAll(async () => {
  await tinyBaseModel(); // built once here, not raced by the launched trainers
  // A lease far longer than the test: a recovery can only come from the provider seeing the process die.
  a = await startTestApp({ seedDemo: true, computeLaunches: true, computeTickMs: 250, leaseSeconds: 600 });
  b = await startTestApp({
    seedDemo: true,
    computeLaunches: true,
    computeTickMs: 250,
    leaseSeconds: 600,
    dataDir: a.dataDir,
    databaseUrl: a.services.config.databaseUrl,
    artifactSigningSecret: a.services.keys.artifactSigning,
  });
  datasetId = await uploadSyntheticDataset(a);
}, 120_000);
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

const db = () => a.services.db;
const launchesOf = (jobId: string) => db().computeLaunch.findMany({ where: { jobId }, orderBy: { attempt: "asc" } });
const jobOf = (jobId: string) => db().trainingJob.findUniqueOrThrow({ where: { id: jobId } });
const trainedOrDone = async (jobId: string) => ["VALIDATION", "COMPLETED"].includes((await jobOf(jobId)).status);
const recordOf = (key: string) => JSON.parse(readFileSync(join(a.dataDir, "compute", "local", `${key}.json`), "utf8")) as { pid: number };
const alive = (pid: number) => {
  try {
    return process.kill(pid, 0);
  } catch {
    return false;
  }
};

describe("local provider", () => {
  // Retried: on a loaded machine the trainer may leave before the job's automatic
  // validation run exists, and a second launch then runs it (a legitimate
  // validation launch, seen once on PostgreSQL in CI, not investigated further).
  it("launches one trainer per job across two server instances; the job is billed for the machine's time at the catalog price, marked simulated", {
    retry: 2,
    timeout: 300_000,
  }, async () => {
    const jobId = await queueTinyJob(a, datasetId, "launched", 1);
    await waitFor("training to finish", () => trainedOrDone(jobId), 180_000, 200);
    const [launch] = await waitFor(
      "the machine to end",
      async () => ((await launchesOf(jobId)).every((l) => l.state === "ENDED") ? launchesOf(jobId) : null),
      30_000,
      200,
    );

    expect(await launchesOf(jobId)).toHaveLength(1);
    expect(launch).toMatchObject({
      attempt: 1,
      provider: "LOCAL",
      outcome: "SUCCEEDED",
      simulated: true,
      tier: "SPOT",
      pricePerHourUsd: a.services.gpus.find("H100_PCIE_80GB")!.spotUsdPerHour,
    });
    expect(readFileSync(join(a.dataDir, "compute", "local", `${jobId}-1.log`), "utf8").match(/claimed job/g)).toHaveLength(1);

    const job = await jobOf(jobId);
    const held = (launch.endedAt!.getTime() - launch.startedAt!.getTime()) / 1000;
    expect(job.machineSeconds).toBeCloseTo(held, 3);
    expect(job.machineSince).toBeNull();
    // Queued time before the launch is not billed: the bill is the machine's interval, not start-to-end of the job.
    const session = await a.login("engineer");
    const result = await a.gql(
      `query($id:ID!){ job(id:$id){ currentCostUsd spendRateUsdPerHour computeLaunches { attempt provider simulated pricePerHourUsd heldSeconds outcome } interruptionCost { attempts interruptions costUsd } } }`,
      { id: jobId },
      session,
    );
    const view = result.data.job;
    expect(view.currentCostUsd).toBeCloseTo(costForSeconds(held, launch.pricePerHourUsd), 6);
    expect(view.spendRateUsdPerHour).toBe(0);
    expect(view.computeLaunches).toEqual([
      expect.objectContaining({ attempt: 1, provider: "LOCAL", simulated: true, outcome: "SUCCEEDED" }),
    ]);
    expect(view.interruptionCost).toEqual({ attempts: 1, interruptions: 0, costUsd: 0 });
  });

  it("adopts a machine launched before a restart instead of launching a second one, and recovers a killed trainer by itself", async () => {
    const jobId = await queueTinyJob(a, datasetId, "killed", 3, { checkpointEvery: 4 });
    await waitFor("training to start", async () => (await jobOf(jobId)).currentStep >= 2, 90_000, 100);
    const { pid } = recordOf(`${jobId}-1`);

    // An instance that died after the provider launched the machine, before it recorded it: the launch is taken up again.
    await db().$transaction([
      db().computeLaunch.update({
        where: { jobId_attempt: { jobId, attempt: 1 } },
        data: { state: "LAUNCHING", externalId: null, startedAt: null, lockedUntil: null },
      }),
      db().trainingJob.update({ where: { id: jobId }, data: { machineSince: null } }),
    ]);
    const adopted = await waitFor(
      "the launch to be taken up again",
      async () => {
        const [launch] = await launchesOf(jobId);
        return launch.state === "RUNNING" ? launch : null;
      },
      10_000,
      100,
    );
    expect(adopted.externalId).toBe(`${jobId}-1`);
    expect(recordOf(`${jobId}-1`).pid).toBe(pid);

    await waitFor(
      "a checkpoint",
      async () => (await db().checkpoint.count({ where: { jobId, artifactId: { not: null } } })) > 0,
      90_000,
      100,
    );
    process.kill(pid, "SIGKILL");
    const killedAt = Date.now();
    await waitFor(
      "the job to go to recovery",
      async () => (await jobOf(jobId)).status === "RECOVERING" || (await launchesOf(jobId)).length > 1,
      10_000,
      50,
    );
    expect(Date.now() - killedAt).toBeLessThan(5_000); // the lease is 600 s: the provider saw the death

    await waitFor("the job to finish on a second machine", () => trainedOrDone(jobId), 240_000, 200);
    const launches = await waitFor(
      "both machines to end",
      async () => {
        const all = await launchesOf(jobId);
        return all.every((l) => l.state === "ENDED") ? all : null;
      },
      30_000,
      200,
    );
    expect(launches.map((l) => [l.attempt, l.outcome])).toEqual([
      [1, "INTERRUPTED"],
      [2, "SUCCEEDED"],
    ]);
    expect(launches[0].reason).toContain("SIGKILL");
    const job = await jobOf(jobId);
    expect(job.recoveryCount).toBe(1);
    const held = launches.reduce((sum, l) => sum + (l.endedAt!.getTime() - l.startedAt!.getTime()) / 1000, 0);
    expect(job.machineSeconds).toBeCloseTo(held, 3);

    const session = await a.login("engineer");
    const cost = (
      await a.gql(
        `query($id:ID!){ job(id:$id){ interruptionCost { attempts interruptions reprovisioningSeconds costUsd } } }`,
        { id: jobId },
        session,
      )
    ).data.job.interruptionCost;
    expect(cost).toMatchObject({ attempts: 2, interruptions: 1 });
    expect(cost.reprovisioningSeconds).toBeGreaterThan(0);
    expect(cost.costUsd).toBeGreaterThan(0);
  }, 400_000);

  it("releases a machine whose trainer hangs once the job is taken back, and resumes the job on a new one", async () => {
    const hangs = await startTestApp({ seedDemo: true, computeLaunches: true, computeTickMs: 250, leaseSeconds: 8 });
    try {
      const jobId = await queueTinyJob(hangs, await uploadSyntheticDataset(hangs), "hangs", 2, { checkpointEvery: 4 });
      const { db } = hangs.services;
      await waitFor(
        "a checkpoint",
        async () => (await db.checkpoint.count({ where: { jobId, artifactId: { not: null } } })) > 0,
        180_000,
        100,
      );
      const { pid } = JSON.parse(readFileSync(join(hangs.dataDir, "compute", "local", `${jobId}-1.json`), "utf8")) as { pid: number };
      process.kill(pid, "SIGSTOP");
      const [first] = await waitFor(
        "the hung machine to be released",
        async () => {
          const launches = await db.computeLaunch.findMany({ where: { jobId }, orderBy: { attempt: "asc" } });
          return launches[0].state === "ENDED" ? launches : null;
        },
        90_000,
        200,
      );
      expect(first).toMatchObject({ outcome: "LOST", reason: expect.stringContaining("heartbeats") });
      await waitFor(
        "the job to finish on another machine",
        async () => ["VALIDATION", "COMPLETED"].includes((await db.trainingJob.findUniqueOrThrow({ where: { id: jobId } })).status),
        240_000,
        200,
      );
      const launches = await db.computeLaunch.findMany({ where: { jobId }, orderBy: { attempt: "asc" } });
      expect(launches.length).toBeGreaterThan(1);
      expect(launches.at(-1)!.state === "RUNNING" || launches.at(-1)!.outcome === "SUCCEEDED").toBe(true);
    } finally {
      await hangs.stop();
    }
  }, 500_000);

  it("releases a labelled machine that has no launch on record (an orphan)", async () => {
    const orphan = spawn("sleep", ["60"], { stdio: "ignore" });
    writeFileSync(
      join(a.dataDir, "compute", "local", "orphanjob-1.json"),
      JSON.stringify({ pid: orphan.pid, jobId: "orphanjob", attempt: 1 }),
    );
    await waitFor("the orphan to be released", () => !alive(orphan.pid!), 10_000, 100);
  });
});
