import { useEffect } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { formatDateTime, humanize } from "../../format";
import { Empty, ErrorMessage, Loading } from "../../components/States";

const AlertsQuery = graphql(`
  query AlertHistory($first: Int) {
    alerts(first: $first) {
      edges {
        node {
          id
          type
          message
          jobId
          createdAt
        }
      }
    }
  }
`);

/** The organization's alerts, newest first: budget thresholds, overruns, job outcomes. `refreshKey` changes ask for a fresh list. */
export function AlertHistory({ refreshKey }: { refreshKey: number }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: AlertsQuery, variables: { first: 25 } });
  useEffect(() => {
    if (refreshKey) refetch({ requestPolicy: "network-only" });
  }, [refreshKey, refetch]);
  const alerts = data?.alerts.edges.map((e) => e.node) ?? [];
  return (
    <section className="card" aria-labelledby="alert-history-title">
      <h2 id="alert-history-title">Alert history</h2>
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!data && fetching && <Loading label="Loading alerts…" />}
      {data && alerts.length === 0 && <Empty title="No alerts yet" />}
      {alerts.length > 0 && (
        <ul className="plain-list alert-list">
          {alerts.map((alert) => (
            // Kind and time on one line, the message below at the card's full width.
            <li key={alert.id} className="alert-item">
              <div className="alert-item-head">
                <span className="badge badge-neutral">{humanize(alert.type)}</span>
                <time className="muted small" dateTime={alert.createdAt}>
                  {formatDateTime(alert.createdAt)}
                </time>
                {alert.jobId && (
                  <Link className="small" to={`/jobs/${alert.jobId}`}>
                    View job
                  </Link>
                )}
              </div>
              <p className="alert-item-message">{alert.message}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
