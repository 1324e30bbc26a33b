import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { JobSettingsInput } from "../../graphql/graphql";
import { useDebounced } from "../../hooks/useDebounced";
import { describeError } from "../../errors";
import { formatUsd, humanize } from "../../format";

export const ComputeQuoteQuery = graphql(`
  query ComputeQuote($input: JobSettingsInput!) {
    computeQuote(input: $input) {
      __typename
      ... on ComputeQuoteSuccess {
        data {
          provider
          region
          instanceType
          tier
          pricePerHourUsd
          simulated
          fallback {
            tier
            pricePerHourUsd
            when
          }
        }
      }
      ... on AppError {
        code
        message
        field
      }
    }
  }
`);

/** Where the job would run and at what price, from the organization's provider: asked after a pause in editing. */
export function ComputeQuote({ settings }: { settings: JobSettingsInput | null }) {
  const debounced = useDebounced(settings, 400);
  const [{ data, error }] = useQuery({
    query: ComputeQuoteQuery,
    variables: { input: debounced! },
    pause: !debounced,
    requestPolicy: "cache-first",
  });
  if (!settings) return null;
  const result = data?.computeQuote;
  return (
    <div className="compute-quote" aria-live="polite" data-testid="compute-quote">
      <h3>Where it runs</h3>
      {error && <p className="field-error">{describeError(error)}</p>}
      {result?.__typename === "AppError" && <p className="field-error">{result.message}</p>}
      {result?.__typename === "ComputeQuoteSuccess" && (
        <dl className="review-list">
          <div>
            <dt>Provider</dt>
            <dd>{humanize(result.data.provider)}</dd>
          </div>
          <div>
            <dt>Region</dt>
            <dd>{result.data.region}</dd>
          </div>
          <div>
            <dt>Machine</dt>
            <dd>
              {result.data.instanceType}, {result.data.tier === "SPOT" ? "spot" : "on-demand"}
            </dd>
          </div>
          <div>
            <dt>Price</dt>
            <dd>
              {formatUsd(result.data.pricePerHourUsd)}/h
              {result.data.simulated && (
                <span className="muted"> (simulated: the catalog's price for this GPU; the demo runs on this server's CPU)</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Fallback</dt>
            <dd>
              {result.data.fallback
                ? `On-demand at ${formatUsd(result.data.fallback.pricePerHourUsd)}/h ${result.data.fallback.when}`
                : "None: the job waits for its own tier"}
            </dd>
          </div>
        </dl>
      )}
      {!result && !error && <p className="muted">Asking the provider…</p>}
    </div>
  );
}
