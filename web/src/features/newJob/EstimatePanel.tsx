import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { JobSettingsInput } from "../../graphql/graphql";
import { useDebounced } from "../../hooks/useDebounced";
import { describeError } from "../../errors";
import { formatCount, formatDuration, formatDurationRange, formatUsd, formatUsdRange, humanize } from "../../format";

export const CostEstimateQuery = graphql(`
  query CostEstimate($input: JobSettingsInput!, $other: JobSettingsInput!) {
    costEstimate(input: $input) {
      costUsd
      costLowUsd
      costHighUsd
      durationSeconds
      durationLowSeconds
      durationHighSeconds
      hourlyRateUsd
      confidence
      uncertainty
      trainingTokens
      stages {
        stage
        seconds
      }
    }
    other: costEstimate(input: $other) {
      costUsd
      durationSeconds
    }
  }
`);

/**
 * The cost and duration range for the settings being edited. It waits for a
 * pause in editing before it asks, and keeps the last figures meanwhile.
 */
export function useEstimate(settings: JobSettingsInput | null) {
  const debounced = useDebounced(settings, 400);
  const settled = JSON.stringify(debounced) === JSON.stringify(settings);
  const other = debounced
    ? { ...debounced, pricingTier: debounced.pricingTier === "ON_DEMAND" ? ("SPOT" as const) : ("ON_DEMAND" as const) }
    : null;
  const [{ data, error, fetching }] = useQuery({
    query: CostEstimateQuery,
    variables: { input: debounced!, other: other! },
    pause: !debounced,
    requestPolicy: "cache-first",
  });
  return {
    estimate: settings ? data?.costEstimate : undefined,
    other: data?.other,
    otherTier: other?.pricingTier,
    error: settings ? error : undefined,
    updating: !settled || fetching,
    /** The input field the server blamed, e.g. "config.rank". */
    errorField: (error?.graphQLErrors[0]?.extensions?.field as string | undefined) ?? null,
  };
}

export type EstimateState = ReturnType<typeof useEstimate>;

export function EstimatePanel({ state, hasSettings }: { state: EstimateState; hasSettings: boolean }) {
  const { estimate, error, updating, other, otherTier } = state;
  return (
    <aside className="card estimate" aria-labelledby="estimate-title" aria-busy={updating}>
      <h2 id="estimate-title">Estimate</h2>
      {!hasSettings && <p className="muted">Choose a dataset to see the cost and duration.</p>}
      {hasSettings && error && (
        <p className="field-error" role="alert">
          {describeError(error)}
        </p>
      )}
      {hasSettings && estimate && !error && (
        <div className={updating ? "estimate-body is-updating" : "estimate-body"} aria-live="polite">
          <EstimateFigures estimate={estimate} />
          {other && (
            <p className="small">
              {otherTier === "SPOT" ? "On spot" : "On-demand"} it would cost about {formatUsd(other.costUsd)} and take{" "}
              {formatDuration(other.durationSeconds)}.
            </p>
          )}
        </div>
      )}
      {hasSettings && !estimate && !error && <p className="muted">Estimating…</p>}
    </aside>
  );
}

type Estimate = NonNullable<EstimateState["estimate"]>;

export function EstimateFigures({ estimate }: { estimate: Estimate }) {
  return (
    <>
      <p className="estimate-cost">
        <span className="estimate-figure" data-testid="estimate-cost">
          {formatUsdRange(estimate.costLowUsd, estimate.costHighUsd)}
        </span>
        <span className="muted"> (about {formatUsd(estimate.costUsd)})</span>
      </p>
      <p>
        <span className="estimate-figure-small">{formatDurationRange(estimate.durationLowSeconds, estimate.durationHighSeconds)}</span>
        <span className="muted"> at {formatUsd(estimate.hourlyRateUsd)}/h</span>
      </p>
      <p className="muted small">
        Confidence {estimate.confidence.toLowerCase()} (±{Math.round(estimate.uncertainty * 100)}%) · {formatCount(estimate.trainingTokens)}{" "}
        training tokens
      </p>
      <table className="table table-compact">
        <caption className="visually-hidden">Expected time per stage</caption>
        <tbody>
          {estimate.stages.map((stage) => (
            <tr key={stage.stage}>
              <th scope="row">{humanize(stage.stage)}</th>
              <td className="num">{formatDuration(stage.seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
