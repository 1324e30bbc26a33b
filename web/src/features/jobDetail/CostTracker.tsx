import { formatDuration, formatUsd, formatUsdRange } from "../../format";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";

type Job = Pick<
  JobDetailFieldsFragment,
  | "isFinal"
  | "costOverrun"
  | "actualCostUsd"
  | "estimatedCostUsd"
  | "estimatedCostLowUsd"
  | "estimatedCostHighUsd"
  | "projectedCostUsd"
  | "costVariancePct"
  | "spendRateUsdPerHour"
  | "billableSeconds"
  | "hourlyRateUsd"
  | "pricingTier"
  | "recoveryCount"
>;

/** What made the job dearer than its estimate: only causes that happened (interruptions are counted on the job). */
function overrunCause(job: Job): string {
  if (job.recoveryCount > 0) {
    const times = job.recoveryCount === 1 ? "once" : `${job.recoveryCount} times`;
    return `: the job was interrupted ${times}, and recovering added billed time.`;
  }
  return ": training took longer than estimated.";
}

/** What the job was expected to cost, what it has cost, and where it is heading. */
export function CostTracker({ job }: { job: Job }) {
  const finished = job.isFinal;
  const share = job.estimatedCostUsd > 0 ? Math.min(100, (job.actualCostUsd / job.estimatedCostUsd) * 100) : 0;
  const over = job.costOverrun;
  return (
    <section className="card" aria-labelledby="cost-title">
      <h2 id="cost-title">Cost</h2>
      <dl className="stats">
        <div>
          <dt>{finished ? "Final cost" : "Spent so far"}</dt>
          <dd className="stat-big" data-testid="actual-cost">
            {formatUsd(job.actualCostUsd)}
          </dd>
        </div>
        <div>
          <dt>Estimate</dt>
          <dd>
            {formatUsd(job.estimatedCostUsd)}{" "}
            <span className="muted small">({formatUsdRange(job.estimatedCostLowUsd, job.estimatedCostHighUsd)})</span>
          </dd>
        </div>
        {!finished && (
          <div>
            <dt>Projected total</dt>
            <dd>
              {formatUsd(job.projectedCostUsd)}{" "}
              <span className={`small ${over ? "text-warning" : "muted"}`}>
                ({job.costVariancePct >= 0 ? "+" : "−"}
                {Math.abs(job.costVariancePct).toFixed(0)}%)
              </span>
            </dd>
          </div>
        )}
        <div>
          <dt>Billed time</dt>
          <dd>
            {formatDuration(job.billableSeconds)} at {formatUsd(job.hourlyRateUsd)}/h ({job.pricingTier === "SPOT" ? "spot" : "on-demand"})
          </dd>
        </div>
      </dl>
      <div className="meter" aria-hidden="true">
        <div className={`meter-fill ${over ? "meter-over" : ""}`} style={{ width: `${share}%` }} />
      </div>
      {over && (
        <p className="warning" role="alert" data-testid="cost-warning">
          {finished ? "The final cost was" : "The projected cost is"} {Math.round(job.costVariancePct)}% above the estimate
          {overrunCause(job)} {!finished && "Cancel the job if it is no longer worth it."}
        </p>
      )}
    </section>
  );
}
