import { useEffect } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { formatDateTime, formatDuration, formatUsd, humanize } from "../../format";

const ComputeAttemptsQuery = graphql(`
  query ComputeAttempts($id: ID!) {
    job(id: $id) {
      id
      computeLaunches {
        id
        attempt
        provider
        externalId
        region
        instanceType
        tier
        pricePerHourUsd
        simulated
        state
        outcome
        reason
        launchTries
        startedAt
        endedAt
        heldSeconds
      }
      interruptionCost {
        attempts
        interruptions
        reprovisioningSeconds
        costUsd
      }
    }
  }
`);

/** Where each attempt of the job ran, at what price, how it ended, and what the interruptions cost. */
export function ComputeAttempts({ jobId, status, recoveryCount }: { jobId: string; status: string; recoveryCount: number }) {
  const [{ data }, refetch] = useQuery({ query: ComputeAttemptsQuery, variables: { id: jobId } });
  // A new status or a recovery means a machine was launched or released.
  useEffect(() => refetch({ requestPolicy: "network-only" }), [status, recoveryCount, refetch]);
  const launches = data?.job.computeLaunches ?? [];
  const cost = data?.job.interruptionCost;
  return (
    <section className="card" aria-labelledby="attempts-title">
      <h2 id="attempts-title">Machines</h2>
      {launches.length === 0 ? (
        <p className="muted">
          No machine launched by the server{status === "QUEUED" ? " yet" : ""}: a self-managed worker runs this job, or it has not started.
        </p>
      ) : (
        <>
          <ol className="timeline" aria-label="Attempts">
            {launches.map((launch) => (
              <li key={launch.id} data-testid="compute-attempt">
                <strong>Attempt {launch.attempt}</strong> on {humanize(launch.provider)} · {launch.region ?? "?"} ·{" "}
                {launch.instanceType ?? "?"} · {formatUsd(launch.pricePerHourUsd)}/h {humanize(launch.tier)}
                {launch.simulated && (
                  <span className="tag" title="The price is the catalog's for the job's GPU; the job ran on this server's CPU">
                    {" "}
                    simulated price
                  </span>
                )}
                <div className="muted">
                  {launch.state === "LAUNCHING"
                    ? `Launching${launch.launchTries > 0 ? ` (${launch.launchTries} failed tries: ${launch.reason ?? ""})` : ""}`
                    : `${formatDateTime(launch.startedAt)} · held ${formatDuration(launch.heldSeconds)} · ${launch.outcome ? humanize(launch.outcome) : "running"}${launch.reason && launch.outcome ? ` — ${launch.reason}` : ""}`}
                </div>
              </li>
            ))}
          </ol>
          {cost && cost.interruptions > 0 && (
            <p data-testid="interruption-cost">
              Interruptions: {cost.interruptions} of {cost.attempts} machines lost; {formatDuration(cost.reprovisioningSeconds)} to get
              training again, {formatUsd(cost.costUsd)} billed for it.
            </p>
          )}
        </>
      )}
    </section>
  );
}
