// Spot chaos on the local provider: small jobs, each training segment (a
// checkpoint interval) interrupted with probability 10% and 30%, alternately by
// SIGTERM (the worker checkpoints and asks to be resumed) and SIGKILL (no
// warning). Nobody starts a worker: the server launches a trainer per job and a
// replacement per interruption. Baseline in the same run: uninterrupted twins
// (same data, settings and seed), whose adapters the interrupted jobs must equal
// byte for byte. The lease is 600 s, so every recovery comes from the provider
// seeing the process end, not from a lease running out.
// Usage: npx tsx scripts/bench/chaos.ts [--jobs 10] [--seeds 2] [--parallel 5]
// (the issue asks for 50 jobs: --jobs 50; 10 keep a run at about 8 minutes on 2 shared cores).
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { queueTinyJob, uploadSyntheticDataset } from "@tuneloop/testing/workerProcesses";
import { waitFor } from "@tuneloop/testing/waitFor";
import { tinyBaseModel } from "@tuneloop/engine/testing";
import { billableSecondsAt } from "../../server/src/costs/live";

const { values } = parseArgs({
  options: { jobs: { type: "string", default: "10" }, seeds: { type: "string", default: "2" }, parallel: { type: "string", default: "5" } },
});
const JOBS = Number(values.jobs);
/** Distinct seeds the jobs cycle through; one uninterrupted twin per seed. */
const SEEDS = Number(values.seeds);
/** Jobs queued at once (each is a trainer process on this machine). */
const PARALLEL = Number(values.parallel);
const EPOCHS = 2; // 16 steps
const SEGMENT_STEPS = 4; // checkpointEvery
const PROBABILITIES = [0.1, 0.3];
const TRAINED = ["VALIDATION", "COMPLETED"];
const RUN_LIMIT_MS = 15 * 60_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const quantile = (values: number[], q: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};
const overrides = (seed: number) => ({ checkpointEvery: SEGMENT_STEPS, seed });

/** The local provider's record of a launch: the trainer's pid. */
const pidOf = (app: TestApp, jobId: string, attempt: number) =>
  (JSON.parse(readFileSync(join(app.dataDir, "compute", "local", `${jobId}-${attempt}.json`), "utf8")) as { pid: number }).pid;

async function adapterSha(app: TestApp, jobId: string) {
  const artifact = await app.services.db.artifact.findFirst({ where: { jobId, kind: "adapter_model" }, orderBy: { createdAt: "desc" } });
  return artifact?.sha256 ?? null;
}

/** Runs `count` jobs, at most PARALLEL at once, interrupting each segment with probability `p`. */
async function run(app: TestApp, datasetId: string, count: number, p: number) {
  const { db } = app.services;
  const jobs: { id: string; seed: number; decided: Set<number>; killAt: number | null }[] = [];
  const kills: { jobId: string; at: number; step: number; attempt: number; recoveredAt: number | null }[] = [];
  let signals = 0;
  let queued = 0;
  const started = Date.now();
  for (;;) {
    const rows = await db.trainingJob.findMany({
      where: { id: { in: jobs.map((j) => j.id) } },
      select: { id: true, status: true, currentStep: true, workerId: true },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const active = rows.filter((r) => !TRAINED.includes(r.status) && !["FAILED", "CANCELLED"].includes(r.status)).length;
    if (queued < count && active < PARALLEL) {
      const seed = 1 + (queued % SEEDS);
      jobs.push({
        id: await queueTinyJob(app, datasetId, `chaos ${p} #${queued}`, EPOCHS, overrides(seed)),
        seed,
        decided: new Set(),
        killAt: null,
      });
      queued++;
      continue;
    }
    if (queued === count && active === 0) break;
    if (Date.now() - started > RUN_LIMIT_MS) break;
    const now = Date.now();
    for (const kill of kills) {
      if (kill.recoveredAt !== null) continue;
      const job = byId.get(kill.jobId)!;
      const attempt = Number(job.workerId?.split("-").at(-1));
      // The first step reported by a later machine (or the job done before we saw one).
      if ((attempt > kill.attempt && job.currentStep !== kill.step) || TRAINED.includes(job.status)) kill.recoveredAt = now;
    }
    for (const job of jobs) {
      const row = byId.get(job.id)!;
      if (row.status !== "TRAINING" || !row.workerId?.startsWith("local-")) continue;
      const segment = Math.floor(row.currentStep / SEGMENT_STEPS);
      if (!job.decided.has(segment)) {
        job.decided.add(segment);
        // Struck somewhere in this segment: after its first steps, so that some steps are re-done.
        if (Math.random() < p) job.killAt = segment * SEGMENT_STEPS + 2;
      }
      if (job.killAt === null || row.currentStep < job.killAt) continue;
      job.killAt = null;
      const attempt = Number(row.workerId.split("-").at(-1));
      const signal = signals++ % 2 === 0 ? "SIGTERM" : "SIGKILL";
      try {
        process.kill(pidOf(app, job.id, attempt), signal);
        kills.push({ jobId: job.id, at: Date.now(), step: row.currentStep, attempt, recoveredAt: null });
      } catch {
        // Already gone (it finished the segment's last step and exited).
      }
    }
    await sleep(100);
  }
  // The last machines exit by themselves after training; their intervals are then final.
  await waitFor(
    "this run's machines to end",
    async () => (await db.computeLaunch.count({ where: { jobId: { in: jobs.map((j) => j.id) }, state: { not: "ENDED" } } })) === 0,
    120_000,
    200,
  ).catch(() => undefined);
  return { jobs, kills };
}

async function report(
  app: TestApp,
  label: string,
  jobs: { id: string; seed: number }[],
  kills: { jobId: string; attempt: number; at: number; recoveredAt: number | null }[],
  twins: Map<number, string | null>,
) {
  const { db } = app.services;
  const rows = await db.trainingJob.findMany({
    where: { id: { in: jobs.map((j) => j.id) } },
    include: { computeLaunches: { orderBy: { attempt: "asc" } } },
  });
  const completed = rows.filter((r) => TRAINED.includes(r.status)).length;
  let identical = 0;
  let overlapping = 0;
  let worstBillingGap = 0;
  for (const job of jobs) {
    if ((await adapterSha(app, job.id)) === twins.get(job.seed)) identical++;
  }
  for (const row of rows) {
    const launches = row.computeLaunches;
    for (let i = 1; i < launches.length; i++) {
      if (!launches[i - 1].endedAt || (launches[i].startedAt && launches[i].startedAt! < launches[i - 1].endedAt!)) overlapping++;
    }
    // Both at the same instant: a machine still held counts until now on either side.
    const now = new Date();
    const held = launches.reduce((sum, l) => sum + (l.startedAt ? ((l.endedAt ?? now).getTime() - l.startedAt.getTime()) / 1000 : 0), 0);
    worstBillingGap = Math.max(worstBillingGap, Math.abs(billableSecondsAt(row, now) - held));
  }
  const recoveries = kills.filter((k) => k.recoveredAt !== null).map((k) => (k.recoveredAt! - k.at) / 1000);
  // The part of it until the provider reported the machine gone (the rest: starting a trainer, claiming, loading the checkpoint).
  const detections: number[] = [];
  for (const kill of kills) {
    const launch = await db.computeLaunch.findUnique({ where: { jobId_attempt: { jobId: kill.jobId, attempt: kill.attempt } } });
    if (launch?.endedAt) detections.push((launch.endedAt.getTime() - kill.at) / 1000);
  }
  console.log(
    `${label}: ${completed}/${jobs.length} completed (${((100 * completed) / jobs.length).toFixed(0)}%), ${kills.length} interruptions (half SIGTERM, half SIGKILL)`,
  );
  console.log(
    `  recovery (kill → first step on the next machine): median ${quantile(recoveries, 0.5).toFixed(1)} s, p95 ${quantile(recoveries, 0.95).toFixed(1)} s (${recoveries.length} measured); of which kill → machine reported gone: median ${quantile(detections, 0.5).toFixed(1)} s`,
  );
  console.log(
    `  adapters identical to the uninterrupted twin: ${identical}/${jobs.length}; overlapping launches: ${overlapping}; billed vs launch intervals, worst gap: ${worstBillingGap.toFixed(2)} s`,
  );
}

await tinyBaseModel(); // built once, not raced by the launched trainers
const app = await startTestApp({ seedDemo: true, computeLaunches: true, computeTickMs: 250, leaseSeconds: 600, computeMaxAttempts: 100 });
try {
  const datasetId = await uploadSyntheticDataset(app);
  // Baseline: one uninterrupted job per seed.
  const twinRun = await run(app, datasetId, SEEDS, 0);
  const twins = new Map<number, string | null>();
  for (const twin of twinRun.jobs) twins.set(twin.seed, await adapterSha(app, twin.id));
  if ([...twins.values()].some((sha) => !sha)) throw new Error("a twin produced no adapter");
  console.log(
    `Spot chaos, local provider: ${JOBS} jobs per probability (the issue's 50: --jobs 50), ${EPOCHS * 8} steps each, a segment = ${SEGMENT_STEPS} steps, ${PARALLEL} at once`,
  );
  await report(app, "  baseline, uninterrupted twins", twinRun.jobs, twinRun.kills, twins);
  for (const p of PROBABILITIES) {
    const { jobs, kills } = await run(app, datasetId, JOBS, p);
    await report(app, `  ${Math.round(p * 100)}% per segment`, jobs, kills, twins);
  }
} finally {
  await app.stop();
}
