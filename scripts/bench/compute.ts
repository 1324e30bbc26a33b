// The compute reconciler's tick with 1,000 machines running (the issue's bar:
// < 200 ms), beside a baseline measured in the same run: the one query that
// lists those launches with their jobs. The provider answers at once, so the
// figure is the reconciler's own database work. SQLite under a temporary folder.
// Usage: npx tsx scripts/bench/compute.ts
import { randomUUID as createId } from "node:crypto";
import { startTestApp } from "@tuneloop/testing/app";
import { queueJob } from "@tuneloop/testing/workerApi";
import { reconcile } from "../../server/src/compute/reconciler";
import type { ComputeProvider } from "../../server/src/compute/provider";

const MACHINES = 1000;
const TICKS = 7;

/** A provider whose API answers instantly: every machine is running, nothing is orphaned. */
const instant: ComputeProvider = {
  name: "LOCAL",
  capabilities: { spot: false, recoversItself: false, preemptionNotice: "none" },
  quote: (_gpu, tier) => ({ provider: "LOCAL", region: "bench", instanceType: "bench", tier, pricePerHourUsd: 1, simulated: true }),
  launch: async ({ jobId, attempt }) => ({ externalId: `${jobId}-${attempt}`, region: "bench", instanceType: "bench" }),
  poll: async () => ({ state: "RUNNING" }),
  cancel: async () => {},
  listLabelled: async () => [],
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const app = await startTestApp({ seedDemo: true });
try {
  const { db } = app.services;
  // Setup (not measured): copies of one queued job, each training on a running machine.
  const template = await db.trainingJob.findUniqueOrThrow({ where: { id: await queueJob(app, "bench template") } });
  const { id: _id, createdAt: _c, updatedAt: _u, config, ...fields } = template;
  const ids = Array.from({ length: MACHINES }, () => createId());
  const now = new Date();
  await db.trainingJob.createMany({
    data: ids.map((id) => ({
      ...fields,
      config: config as object,
      id,
      status: "TRAINING" as const,
      leaseExpiresAt: new Date(now.getTime() + 3600_000),
      machineSince: now,
    })),
  });
  await db.trainingJob.delete({ where: { id: template.id } });
  await db.computeLaunch.createMany({
    data: ids.map((jobId) => ({
      jobId,
      attempt: 1,
      provider: "LOCAL" as const,
      externalId: `${jobId}-1`,
      tier: "SPOT" as const,
      pricePerHourUsd: 1,
      state: "RUNNING" as const,
      startedAt: now,
    })),
  });

  const baseline: number[] = [];
  const ticks: number[] = [];
  const phases: Record<string, number> = {};
  for (let i = 0; i < TICKS; i++) {
    let started = performance.now();
    await db.computeLaunch.findMany({
      where: { state: "RUNNING" },
      include: { job: { select: { status: true, finishedAt: true, orgId: true } } },
    });
    baseline.push(performance.now() - started);
    started = performance.now();
    await reconcile(app.services, { LOCAL: instant }, i, phases);
    ticks.push(performance.now() - started);
  }
  const running = await db.computeLaunch.count({ where: { state: "RUNNING" } });
  if (running !== MACHINES) throw new Error(`expected ${MACHINES} running launches after the ticks, found ${running}`);
  console.log(`Reconciler tick, ${MACHINES} running machines (median of ${TICKS}): ${median(ticks).toFixed(1)} ms (goal < 200 ms)`);
  console.log(`  baseline, the launches-with-jobs query alone: ${median(baseline).toFixed(1)} ms`);
  console.log(
    `  per phase (mean of ${TICKS}): ${Object.entries(phases)
      .map(([name, ms]) => `${name} ${(ms / TICKS).toFixed(1)} ms`)
      .join(", ")}`,
  );
} finally {
  await app.stop();
}
