import type { ComputeLaunch } from "../generated/sqlite/client.js";
import { costForSeconds } from "../costs/estimate.js";

// What interruptions cost a job, from its launches: the machines it took, the
// time between losing a machine and training again (waiting for the next one is
// not billed; starting it up and loading the checkpoint is), and the dollars of
// that start-up time. Steps re-done after the last checkpoint are not counted.

export type InterruptionCost = { attempts: number; interruptions: number; reprovisioningSeconds: number; costUsd: number };

const INTERRUPTED = new Set(["INTERRUPTED", "LOST"]);

/** `resumedAt`: when the job's trainers reported resuming from a checkpoint (its "resumed" events). */
export function interruptionCost(launches: ComputeLaunch[], resumedAt: Date[], now = new Date()): InterruptionCost {
  const ordered = [...launches].sort((a, b) => a.attempt - b.attempt);
  let reprovisioningSeconds = 0;
  let costUsd = 0;
  for (let i = 1; i < ordered.length; i++) {
    const [lost, next] = [ordered[i - 1], ordered[i]];
    if (!INTERRUPTED.has(lost.outcome ?? "") || !lost.endedAt || !next.startedAt) continue;
    const resumed = resumedAt.find((at) => at >= next.startedAt!) ?? next.endedAt ?? now;
    const warmUpSeconds = Math.max(0, resumed.getTime() - next.startedAt.getTime()) / 1000;
    reprovisioningSeconds += Math.max(0, next.startedAt.getTime() - lost.endedAt.getTime()) / 1000 + warmUpSeconds;
    costUsd += costForSeconds(warmUpSeconds, next.pricePerHourUsd);
  }
  return {
    attempts: ordered.length,
    interruptions: ordered.filter((l) => INTERRUPTED.has(l.outcome ?? "")).length,
    reprovisioningSeconds,
    costUsd,
  };
}
