import { useEffect, useMemo, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { graphql } from "../../graphql";
import type { JobEventType } from "../../graphql/graphql";
import { useDebounced } from "../../hooks/useDebounced";
import { useConnection, useSession } from "../../session";
import { downloadWithToken } from "../../download";
import { ErrorMessage, Loading } from "../../components/States";
import { formatDateTime, formatTime, humanize } from "../../format";
import { JobEventsQuery } from "./jobEvents";

const JobEventAdded = graphql(`
  subscription JobEventAdded($jobId: ID!) {
    jobEventAdded(jobId: $jobId) {
      ...JobEventFields
    }
  }
`);

/**
 * Every kind of entry, roughly in the order a run produces them: the schema's JobEventType,
 * each named once here (TypeScript refuses a missing or unknown one). Metric reports are many
 * and hidden unless asked for.
 */
const EVENT_TYPES = Object.keys({
  created: true,
  cost_approved: true,
  budget_overridden: true,
  status_changed: true,
  machine_launched: true,
  compute_unavailable: true,
  status: true,
  metrics: true,
  checkpoint: true,
  warning: true,
  stalled: true,
  stall_cleared: true,
  lease_expired: true,
  interrupted: true,
  resumed: true,
  machine_ended: true,
  machine_released: true,
  orphan_released: true,
  error: true,
  completed: true,
  validation_completed: true,
  validation_failed: true,
  retention_alert: true,
  auto_retry: true,
  auto_retry_failed: true,
  started: true,
  status_change: true,
  metrics_update: true,
  unknown: true,
} satisfies Record<JobEventType, true>) as JobEventType[];
const NOT_METRICS = EVENT_TYPES.filter((t) => t !== "metrics");
const SHOWN = 200;
type Choice = JobEventType | "all" | "without-metrics";
const typesFor = (choice: Choice) => (choice === "all" ? null : choice === "without-metrics" ? NOT_METRICS : [choice]);

/** The job's event log, newest first, live, filtered by type and words, exportable as JSON. */
export function EventLog({ jobId }: { jobId: string }) {
  const { token } = useSession();
  const [type, setType] = useState<Choice>("without-metrics");
  const [searchText, setSearchText] = useState("");
  const search = useDebounced(searchText.trim(), 300);
  const types = typesFor(type);
  const variables = useMemo(() => ({ id: jobId, last: SHOWN, types: typesFor(type), search: search || null }), [jobId, type, search]);
  const [{ data, error, fetching }, refetch] = useQuery({ query: JobEventsQuery, variables });
  const [exportError, setExportError] = useState<string | null>(null);
  const fetched = data?.job.events;
  // New entries join the log in the cache (cache.ts).
  useSubscription({ query: JobEventAdded, variables: { jobId } });
  const { reconnects } = useConnection();
  useEffect(() => {
    if (reconnects > 0) refetch({ requestPolicy: "network-only" });
  }, [reconnects, refetch]);

  const events = fetched?.edges.map((e) => e.node).reverse() ?? [];
  const total = fetched?.totalCount ?? 0;

  async function exportJson() {
    setExportError(null);
    const params = new URLSearchParams();
    if (types) params.set("types", types.join(","));
    if (search) params.set("search", search);
    try {
      await downloadWithToken(`/api/jobs/${jobId}/events.json?${params}`, token, `job-${jobId}-events.json`);
    } catch (e) {
      setExportError((e as Error).message);
    }
  }

  return (
    <section className="card" aria-labelledby="events-title">
      <h2 id="events-title">Event log</h2>
      <div className="event-tools">
        <div className="field">
          <label htmlFor="event-type">Type</label>
          <select id="event-type" value={type} onChange={(e) => setType(e.target.value as Choice)}>
            <option value="without-metrics">All but metric reports</option>
            <option value="all">All</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {humanize(t)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-grow">
          <label htmlFor="event-search">Search</label>
          <input
            id="event-search"
            type="search"
            placeholder="Words in messages and errors"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
          />
        </div>
        <button type="button" className="button" onClick={exportJson}>
          Export JSON
        </button>
      </div>
      {exportError && (
        <p className="field-error" role="alert">
          {exportError}
        </p>
      )}
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!fetched && fetching && <Loading label="Loading events…" />}
      {fetched && events.length === 0 && (
        <p className="muted">{search || type !== "without-metrics" ? "No events match." : "No events yet."}</p>
      )}
      {events.length > 0 && (
        <>
          <ol className="events" aria-label="Events, newest first">
            {events.map((event) => (
              <li
                key={event.id}
                className={`event ${event.type === "error" || event.processingError ? "event-error" : ""}`}
                data-event-type={event.type}
              >
                <time className="event-time" dateTime={event.receivedAt} title={formatDateTime(event.receivedAt)}>
                  {formatTime(event.receivedAt)}
                </time>
                <span className="event-type">{event.type}</span>
                <span className="event-message">
                  {event.message ?? ""}
                  {event.processingError && <span className="field-error"> Refused: {event.processingError}</span>}
                  <span className="muted small"> · {event.source}</span>
                </span>
              </li>
            ))}
          </ol>
          <p className="muted small">
            {total > events.length
              ? `Newest ${events.length} of ${total} events; export for all of them.`
              : `${total} event${total === 1 ? "" : "s"}.`}
          </p>
        </>
      )}
    </section>
  );
}
