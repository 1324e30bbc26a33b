// The report's cost-benefit section: what training the model cost against what
// the client pays for it. The product's bar: training under 5% of the sale price.
import type { AppServices } from "../context.js";
import { currentCostUsd, JOB_MONEY_SELECT } from "../costs/live.js";

export const COST_SHARE_TARGET_PCT = 5;

export type CostBenefit = {
  trainingCostUsd: number;
  /** Attempts that failed before this job and were retried into it: their cost counts too. */
  earlierAttempts: number;
  interruptions: number;
  salePriceUsd: number | null;
  /** Where the price comes from: the project's contract value, or the deal recorded on the report. */
  priceSource: "project" | "deal" | null;
  marginUsd: number | null;
  marginPct: number | null;
  costSharePct: number | null;
  meetsTarget: boolean | null;
  targetPct: number;
};

const MONEY = { ...JOB_MONEY_SELECT, id: true, retryOfId: true, recoveryCount: true } as const;

/** The sale price: `dealValueUsd` is a won deal's value, used when the job's project has no contract value. */
export async function costBenefitOf(services: AppServices, jobId: string, dealValueUsd: number | null): Promise<CostBenefit> {
  const job = await services.db.trainingJob.findUniqueOrThrow({
    where: { id: jobId },
    select: { ...MONEY, project: { select: { contractValueUsd: true } } },
  });
  // Follow the retry chain back: a model that took three attempts cost three attempts.
  let cost = currentCostUsd(job);
  let interruptions = job.recoveryCount;
  let earlierAttempts = 0;
  for (let previous = job.retryOfId; previous && earlierAttempts < 20; earlierAttempts++) {
    const attempt = await services.db.trainingJob.findUnique({ where: { id: previous }, select: MONEY });
    if (!attempt) break;
    cost += currentCostUsd(attempt);
    interruptions += attempt.recoveryCount;
    previous = attempt.retryOfId;
  }
  const projectPrice = job.project?.contractValueUsd ?? null;
  const salePriceUsd = projectPrice ?? dealValueUsd;
  const priced = salePriceUsd !== null && salePriceUsd > 0;
  const costSharePct = priced ? (100 * cost) / salePriceUsd : null;
  return {
    trainingCostUsd: cost,
    earlierAttempts,
    interruptions,
    salePriceUsd,
    priceSource: projectPrice !== null ? "project" : dealValueUsd !== null ? "deal" : null,
    marginUsd: salePriceUsd !== null ? salePriceUsd - cost : null,
    marginPct: priced ? (100 * (salePriceUsd - cost)) / salePriceUsd : null,
    costSharePct,
    meetsTarget: costSharePct === null ? null : costSharePct < COST_SHARE_TARGET_PCT,
    targetPct: COST_SHARE_TARGET_PCT,
  };
}

const usd = (x: number) => `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The section in plain words, the same in the PDF and on the page. */
export function costBenefitLines(c: CostBenefit): string[] {
  const attempts = c.earlierAttempts ? `, including ${c.earlierAttempts} earlier failed attempt${c.earlierAttempts > 1 ? "s" : ""}` : "";
  const interrupted = c.interruptions ? ` and ${c.interruptions} spot interruption${c.interruptions > 1 ? "s" : ""} recovered from` : "";
  const lines = [`Training cost ${usd(c.trainingCostUsd)}${attempts}${interrupted}.`];
  if (c.salePriceUsd === null || c.costSharePct === null) {
    lines.push("No sale price is recorded yet: set the project's contract value, or record the deal's value on the report.");
    return lines;
  }
  lines.push(
    `Sale price ${usd(c.salePriceUsd)} (${c.priceSource === "project" ? "the project's contract value" : "the deal's value"}): margin ${usd(c.marginUsd!)} (${c.marginPct!.toFixed(1)}%).`,
    `Training is ${c.costSharePct.toFixed(2)}% of the price: ${c.meetsTarget ? "within" : "over"} the ${c.targetPct}% target.`,
  );
  return lines;
}
