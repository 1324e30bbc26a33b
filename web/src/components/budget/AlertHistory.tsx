import { useEffect } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { formatDateTime, humanize } from "../../format";
import { Empty, ErrorMessage, Loading } from "../States";

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
        <ul className="plain-list">
          {alerts.map((alert) => (
            <li key={alert.id} className="event">
              <span className="badge badge-neutral">{humanize(alert.type)}</span> <span className="event-message">{alert.message}</span>{" "}
              <time className="event-time muted small" dateTime={alert.createdAt}>
                {formatDateTime(alert.createdAt)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
