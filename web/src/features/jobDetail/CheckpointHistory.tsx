import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { formatBytes, formatDateTime, formatMetric, formatTime } from "../../format";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";

const Interruptions = graphql(`
  query Interruptions($id: ID!) {
    job(id: $id) {
      id
      events(types: [interrupted, resumed], last: 50) {
        edges {
          node {
            id
            type
            message
            receivedAt
          }
        }
      }
    }
  }
`);

type Checkpoint = JobDetailFieldsFragment["checkpoints"][number];

/** Saved checkpoints and the interruptions the job recovered from ("Interrupted 2×, resumed"). */
export function CheckpointHistory({
  jobId,
  checkpoints,
  recoveryCount,
  status,
}: {
  jobId: string;
  checkpoints: Checkpoint[];
  recoveryCount: number;
  status: string;
}) {
  const [{ data }] = useQuery({ query: Interruptions, variables: { id: jobId }, pause: recoveryCount === 0 && status !== "RECOVERING" });
  const interruptions = data?.job.events.edges.map((e) => e.node) ?? [];
  return (
    <section className="card" aria-labelledby="checkpoints-title">
      <h2 id="checkpoints-title">Checkpoints and interruptions</h2>
      <p data-testid="interruption-summary">
        {recoveryCount === 0 && status !== "RECOVERING"
          ? "Never interrupted."
          : `Interrupted ${recoveryCount + (status === "RECOVERING" ? 1 : 0)}×, ${status === "RECOVERING" ? "recovering now" : "resumed"} from the last checkpoint${recoveryCount === 1 ? "" : " each time"}.`}
      </p>
      {interruptions.length > 0 && (
        <ol className="timeline" aria-label="Interruptions">
          {interruptions.map((event) => (
            <li key={event.id} className={`timeline-${event.type}`}>
              <strong>{event.type === "interrupted" ? "Interrupted" : "Resumed"}</strong> {formatDateTime(event.receivedAt)}
              {event.message && <span className="muted"> — {event.message}</span>}
            </li>
          ))}
        </ol>
      )}
      {checkpoints.length === 0 ? (
        <p className="muted">No checkpoint saved yet.</p>
      ) : (
        <table className="table table-compact">
          <caption className="visually-hidden">Checkpoints</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" className="num">
                Train loss
              </th>
              <th scope="col" className="num">
                Val loss
              </th>
              <th scope="col">Saved</th>
              <th scope="col">
                <span className="visually-hidden">Download</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...checkpoints].reverse().map((c) => (
              <tr key={c.id}>
                <td>{c.step}</td>
                <td className="num">{formatMetric(c.trainLoss)}</td>
                <td className="num">{formatMetric(c.valLoss)}</td>
                <td>
                  <time dateTime={c.createdAt} title={formatDateTime(c.createdAt)}>
                    {formatTime(c.createdAt)}
                  </time>
                </td>
                <td className="nowrap">
                  {c.artifact && (
                    <a
                      href={c.artifact.downloadUrl}
                      download
                      aria-label={`Download the checkpoint at step ${c.step} (${formatBytes(c.artifact.sizeBytes)})`}
                    >
                      {formatBytes(c.artifact.sizeBytes)}
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
