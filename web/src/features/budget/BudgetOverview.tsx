import type { BudgetPageQuery } from "../../graphql/graphql";
import { formatUsd } from "../../format";

type Budget = BudgetPageQuery["budget"];

/** Alerts go out at these shares of the budget (once a month each). */
const THRESHOLDS = [80, 95];

/** Spent, remaining and forecast against the budget, with the alert thresholds on the meter. */
export function BudgetOverview({ budget, isCurrentMonth }: { budget: Budget; isCurrentMonth: boolean }) {
  const spentShare = Math.min(100, budget.percentUsed);
  const forecastShare = Math.min(100, budget.forecastPercent);
  const over = budget.percentUsed >= 100;
  return (
    <section className="card" aria-labelledby="budget-overview-title">
      <h2 id="budget-overview-title">Spend in {budget.month}</h2>
      <dl className="stats">
        <div>
          <dt>Spent</dt>
          <dd className="stat-big" data-testid="budget-spent">
            {formatUsd(budget.spentUsd)}
          </dd>
        </div>
        <div>
          <dt>Budget</dt>
          <dd data-testid="budget-limit">{formatUsd(budget.budgetUsd)}</dd>
        </div>
        <div>
          <dt>Remaining</dt>
          <dd className={budget.remainingUsd < 0 ? "text-warning" : undefined}>{formatUsd(budget.remainingUsd)}</dd>
        </div>
        <div>
          <dt>Forecast</dt>
          <dd>
            {formatUsd(budget.forecastUsd)} <span className="muted small">({budget.forecastPercent.toFixed(0)}%)</span>
          </dd>
        </div>
        <div>
          <dt>Running or queued</dt>
          <dd>
            {budget.activeJobs} job{budget.activeJobs === 1 ? "" : "s"} · {formatUsd(budget.committedUsd)} to come
          </dd>
        </div>
      </dl>
      <div
        className="budget-meter"
        role="meter"
        aria-label="Share of the budget spent"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(spentShare)}
      >
        <div className="budget-meter-forecast" style={{ width: `${forecastShare}%` }} />
        <div className={`budget-meter-spent ${budget.percentUsed >= 80 ? "budget-meter-warn" : ""}`} style={{ width: `${spentShare}%` }} />
        {THRESHOLDS.map((t) => (
          <span key={t} className="budget-meter-mark" style={{ left: `${t}%` }} title={`Alert at ${t}%`} />
        ))}
      </div>
      <p className="muted small">
        {budget.percentUsed.toFixed(0)}% spent; the lighter bar is the forecast (spent plus what running and queued jobs are still expected
        to cost). Alerts go out at 80%, 95% and 100%.
      </p>
      {over && (
        <p className="warning" role="alert">
          The budget is spent: new jobs are refused unless an owner lets them through with a reason.
          {budget.hardStopAtBudget && " Hard stop is on: running jobs were cancelled."}
        </p>
      )}
      {!over && isCurrentMonth && budget.forecastPercent > 100 && (
        <p className="warning" role="status">
          At this rate the month ends at {formatUsd(budget.forecastUsd)}, over the budget.
        </p>
      )}
    </section>
  );
}
