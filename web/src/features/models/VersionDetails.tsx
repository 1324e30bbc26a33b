import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import { MetricCard } from "../../components/MetricCard";
import { formatDateTime, humanize } from "../../format";

export type Version = {
  id: string;
  version: string;
  status: string;
  endpoint?: string | null;
  requestCount: number;
  job: { id: string; name: string };
  benchmarks: {
    perplexityImprovementPct?: number | null;
    retentionPct?: number | null;
    reviewImprovementPct?: number | null;
    brandVoicePct?: number | null;
  };
  gates: { gate: string; passed: boolean; message: string }[];
  events: { id: string; action: string; reason?: string | null; createdAt: string; actor?: { name: string } | null }[];
};

const Approve = graphql(`
  mutation ApproveModelVersion($id: ID!, $reason: String) {
    approveModelVersion(id: $id, reason: $reason) {
      __typename
      ...AppErrorFields
      ... on ApproveModelVersionSuccess {
        data {
          id
          status
        }
      }
    }
  }
`);
const Reject = graphql(`
  mutation RejectModelVersion($id: ID!, $reason: String!) {
    rejectModelVersion(id: $id, reason: $reason) {
      __typename
      ...AppErrorFields
      ... on RejectModelVersionSuccess {
        data {
          id
          status
        }
      }
    }
  }
`);
const Deploy = graphql(`
  mutation DeployModelVersion($id: ID!, $overrideReason: String) {
    deployModelVersion(id: $id, overrideReason: $overrideReason) {
      __typename
      ...AppErrorFields
      ... on DeployModelVersionSuccess {
        data {
          id
          status
          endpoint
        }
      }
    }
  }
`);
const Retire = graphql(`
  mutation RetireModelVersion($id: ID!) {
    retireModelVersion(id: $id) {
      __typename
      ...AppErrorFields
      ... on RetireModelVersionSuccess {
        data {
          id
          status
        }
      }
    }
  }
`);

const pct = (x: number | null | undefined) => (x == null ? "—" : `${x.toFixed(1)}%`);

/** One version: benchmarks, quality gates, lifecycle actions by role, and the audit trail. */
export function VersionDetails({
  name,
  version,
  permissions,
  onChange,
}: {
  name: string;
  version: Version;
  /** The viewer's (from `me`): which lifecycle actions show. */
  permissions: { canTrain: boolean; canReview: boolean; canManage: boolean } | undefined;
  onChange: () => void;
}) {
  const [reason, setReason] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [, approve] = useMutation(Approve);
  const [, reject] = useMutation(Reject);
  const [, deploy] = useMutation(Deploy);
  const [, retire] = useMutation(Retire);
  const isQa = Boolean(permissions?.canReview);
  const isEngineer = Boolean(permissions?.canTrain);
  const isOwner = Boolean(permissions?.canManage);
  const failing = version.gates.filter((g) => !g.passed);

  const act = async (run: () => Promise<{ data?: any; error?: Error }>) => {
    setMessage(null);
    const result = await run();
    const outcome = result.data && (Object.values(result.data)[0] as { __typename: string; message?: string });
    if (outcome?.__typename === "AppError") setMessage(outcome.message!);
    else if (result.error) setMessage(result.error.message);
    else {
      setReason("");
      onChange();
    }
  };

  return (
    <section className="card" aria-labelledby="version-title">
      <h2 id="version-title">
        {name} {version.version} <span className="badge badge-neutral">{humanize(version.status)}</span>
      </h2>
      <p className="small">
        From job <Link to={`/jobs/${version.job.id}/validation`}>{version.job.name}</Link>
        {version.endpoint && (
          <>
            {" "}
            · endpoint <code>POST {version.endpoint}</code> · {version.requestCount} requests
          </>
        )}
      </p>
      <div className="metric-cards">
        <MetricCard title="Perplexity improvement" value={pct(version.benchmarks.perplexityImprovementPct)} />
        <MetricCard title="Knowledge retention" value={pct(version.benchmarks.retentionPct)} />
        <MetricCard title="Human review" value={pct(version.benchmarks.reviewImprovementPct)} />
        <MetricCard title="Brand voice" value={pct(version.benchmarks.brandVoicePct)} />
      </div>
      <h3>Quality gates</h3>
      <ul aria-label="Quality gates">
        {version.gates.map((g) => (
          <li key={g.gate} className={g.passed ? "metric-pass" : "metric-fail"}>
            {g.passed ? "✓" : "✗"} {g.message}
          </li>
        ))}
        {version.gates.length === 0 && <li className="muted">No gates are set for this organization.</li>}
      </ul>
      {version.status !== "RETIRED" && version.status !== "DEPLOYED" && (isQa || isEngineer) && (
        <div className="form-grid">
          <label className="field">
            <span>Reason (required to reject or to override a gate)</span>
            <input value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <div className="form-actions">
            {isQa && version.status === "REGISTERED" && (
              <>
                <button type="button" className="button" onClick={() => act(() => approve({ id: version.id, reason: reason || null }))}>
                  Approve
                </button>
                <button type="button" className="button button-danger" onClick={() => act(() => reject({ id: version.id, reason }))}>
                  Reject
                </button>
              </>
            )}
            {isEngineer && version.status !== "REJECTED" && (
              <button
                type="button"
                className="button button-primary"
                onClick={() => act(() => deploy({ id: version.id, overrideReason: null }))}
              >
                Deploy
              </button>
            )}
            {isOwner && failing.length > 0 && version.status !== "REJECTED" && (
              <button
                type="button"
                className="button button-danger"
                disabled={!reason.trim()}
                onClick={() => act(() => deploy({ id: version.id, overrideReason: reason }))}
              >
                Override gates and deploy
              </button>
            )}
          </div>
        </div>
      )}
      {isEngineer && version.status !== "RETIRED" && (
        <button type="button" className="button button-danger-quiet" onClick={() => act(() => retire({ id: version.id }))}>
          Retire
        </button>
      )}
      {message && <p role="alert">{message}</p>}
      <h3>History</h3>
      <ol aria-label="History">
        {version.events.map((e) => (
          <li key={e.id}>
            {formatDateTime(e.createdAt)} · {humanize(e.action)}
            {e.actor && ` by ${e.actor.name}`}
            {e.reason && `: “${e.reason}”`}
          </li>
        ))}
      </ol>
    </section>
  );
}
