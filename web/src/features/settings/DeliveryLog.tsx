import { useEffect, useId, useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { DeliveryStatus } from "../../graphql/graphql";
import { formatDateTime, humanize } from "../../format";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { eventLabel } from "./alertTypes";

const DeliveriesQuery = graphql(`
  query NotificationDeliveries($filter: NotificationDeliveryFilter, $first: Int, $after: String, $last: Int, $before: String) {
    notificationDeliveries(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      edges {
        node {
          id
          event
          title
          recipient
          status
          attempts
          responseCode
          lastError
          nextAttemptAt
          createdAt
          channel {
            id
            name
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

const PAGE_SIZE = 20;
/** While a message waits to be sent or retried, the log looks again this often. */
const PENDING_REFRESH_MS = 2000;
const STATUSES: DeliveryStatus[] = ["PENDING", "DELIVERED", "FAILED"];

type Page = { after?: string; before?: string };

/** Every message sent to a channel, newest first, with its attempts: filtered by channel and status, a page at a time. */
export function DeliveryLog({ channels, refreshKey }: { channels: { id: string; name: string }[]; refreshKey: number }) {
  const id = useId();
  const [channelId, setChannelId] = useState("");
  const [status, setStatus] = useState<DeliveryStatus | "">("");
  const [page, setPage] = useState<Page>({});
  const variables = {
    filter: { channelId: channelId || null, status: status || null },
    ...(page.before ? { last: PAGE_SIZE, before: page.before } : { first: PAGE_SIZE, after: page.after ?? null }),
  };
  const [{ data, error, fetching }, refetch] = useQuery({ query: DeliveriesQuery, variables });
  const refresh = () => refetch({ requestPolicy: "network-only" });
  const deliveries = data?.notificationDeliveries.edges.map((e) => e.node) ?? [];
  const pageInfo = data?.notificationDeliveries.pageInfo;
  const pending = deliveries.some((d) => d.status === "PENDING");

  // A test just sent: back to the newest page, fetched afresh.
  useEffect(() => {
    if (!refreshKey) return;
    setPage({});
    refetch({ requestPolicy: "network-only" });
  }, [refreshKey, refetch]);
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => refetch({ requestPolicy: "network-only" }), PENDING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [pending, refetch]);

  const filterBy = (change: () => void) => {
    change();
    setPage({});
  };
  return (
    <section className="card" aria-labelledby="delivery-log-title">
      <h2 id="delivery-log-title">Delivery log</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor={`${id}-channel`}>Channel</label>
          <select id={`${id}-channel`} value={channelId} onChange={(e) => filterBy(() => setChannelId(e.target.value))}>
            <option value="">All channels</option>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={status} onChange={(e) => filterBy(() => setStatus(e.target.value as DeliveryStatus | ""))}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="button filters-clear" onClick={refresh}>
          Refresh
        </button>
      </div>
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!data && fetching && <Loading label="Loading the delivery log…" />}
      {data && deliveries.length === 0 && (
        <Empty title={channelId || status ? "No message matches these filters" : "No message sent yet"} />
      )}
      {deliveries.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="table table-compact">
              <caption className="visually-hidden">Delivery log</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Event</th>
                  <th scope="col">Title</th>
                  <th scope="col">Channel</th>
                  <th scope="col" className="num">
                    Attempts
                  </th>
                  <th scope="col" className="num">
                    Response
                  </th>
                  <th scope="col">Last error</th>
                  <th scope="col">Next attempt</th>
                  <th scope="col">Queued</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <StatusBadge status={d.status} />
                    </td>
                    <td>{eventLabel(d.event)}</td>
                    <td>{d.title}</td>
                    <td>
                      {d.channel.name}
                      {d.recipient && <span className="block muted small">{d.recipient}</span>}
                    </td>
                    <td className="num">{d.attempts}</td>
                    <td className="num">{d.responseCode ?? "—"}</td>
                    <td>{d.lastError ?? "—"}</td>
                    <td>{formatDateTime(d.nextAttemptAt)}</td>
                    <td>{formatDateTime(d.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pagination" aria-label="Delivery log pages">
            <button
              type="button"
              className="button"
              disabled={!pageInfo?.hasPreviousPage && !page.after}
              onClick={() => setPage({ before: pageInfo?.startCursor ?? undefined })}
            >
              Newer
            </button>
            <button
              type="button"
              className="button"
              disabled={!pageInfo?.hasNextPage && !page.before}
              onClick={() => setPage({ after: pageInfo?.endCursor ?? undefined })}
            >
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
