import { useState, type ReactNode } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { formatDateTime } from "../../format";
import { downloadWithToken } from "../../download";
import { useSession } from "../../session";
import { Empty, ErrorMessage, Loading } from "../../components/States";

const AuditEventsQuery = graphql(`
  query AuditEvents($filter: AuditFilter, $after: String) {
    auditEvents(filter: $filter, first: 50, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          action
          actorEmail
          targetType
          targetId
          address
          before
          after
          createdAt
        }
      }
    }
  }
`);

const AuditActionsQuery = graphql(`
  query AuditActions {
    auditActions {
      action
      group
    }
  }
`);

const change = (before: unknown, after: unknown) =>
  [before != null && `before ${JSON.stringify(before)}`, after != null && `after ${JSON.stringify(after)}`].filter(Boolean).join(" · ");

const FullRow = ({ children }: { children: ReactNode }) => (
  <tr>
    <td colSpan={6}>{children}</td>
  </tr>
);

/** One page of 50 records (rows of the table); the last page offers the next. */
function Page({
  filter,
  after,
  last,
  onMore,
}: {
  filter: { actions: string[] } | null;
  after: string | null;
  last: boolean;
  onMore(cursor: string): void;
}) {
  const [{ data, error, fetching }, refetch] = useQuery({
    query: AuditEventsQuery,
    variables: { filter, after },
    requestPolicy: "network-only",
  });
  if (error)
    return (
      <FullRow>
        <ErrorMessage error={error} retry={() => refetch()} />
      </FullRow>
    );
  if (!data)
    return fetching ? (
      <FullRow>
        <Loading label="Loading the audit log…" />
      </FullRow>
    ) : null;
  const { edges, pageInfo } = data.auditEvents;
  if (!after && edges.length === 0)
    return (
      <FullRow>
        <Empty title="Nothing recorded yet" />
      </FullRow>
    );
  return (
    <>
      {edges.map(({ node: e }) => (
        <tr key={e.id}>
          <td>{formatDateTime(e.createdAt)}</td>
          <td>{e.actorEmail ?? "—"}</td>
          <td>
            <code>{e.action}</code>
          </td>
          <td>{e.targetType ? `${e.targetType} ${e.targetId}` : "—"}</td>
          <td>{e.address ?? "—"}</td>
          <td className="destination">{change(e.before, e.after)}</td>
        </tr>
      ))}
      {last && pageInfo.hasNextPage && pageInfo.endCursor && (
        <FullRow>
          <button type="button" className="button" onClick={() => onMore(pageInfo.endCursor!)}>
            Older records
          </button>
        </FullRow>
      )}
    </>
  );
}

/** Owners, admins and QA: who did what, when, from where; filtered by kind, and as CSV. */
export function AuditLog() {
  const { token } = useSession();
  const [group, setGroup] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  // The filter's choices, from the server's list of actions: each group in its order, with its actions.
  const [{ data: actionList }] = useQuery({ query: AuditActionsQuery });
  const groups = new Map<string, string[]>();
  for (const a of actionList?.auditActions ?? []) groups.set(a.group, [...(groups.get(a.group) ?? []), a.action]);
  const actions = groups.get(group) ?? [];
  const filter = group ? { actions } : null;
  const csvPath = `/api/audit.csv${actions.length ? `?${actions.map((a) => `action=${encodeURIComponent(a)}`).join("&")}` : ""}`;
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p className="muted">Every security- or money-relevant act, newest first. Nothing here can be changed or deleted.</p>
      <div className="field-row">
        <div className="field">
          <label htmlFor="audit-kind">Kind</label>
          <select
            id="audit-kind"
            value={group}
            onChange={(e) => {
              setGroup(e.target.value);
              setCursors([null]);
            }}
          >
            <option value="">Everything</option>
            {[...groups.keys()].map((g) => (
              <option key={g}>{g}</option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="button"
          onClick={() => downloadWithToken(csvPath, token, "tuneloop-audit.csv").catch((e: Error) => setDownloadError(e.message))}
        >
          Download CSV
        </button>
      </div>
      {downloadError && (
        <p className="field-error" role="alert">
          {downloadError}
        </p>
      )}
      <div className="table-wrap">
        <table className="table table-compact">
          <caption className="visually-hidden">Audit log</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">On</th>
              <th scope="col">From</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {cursors.map((after, i) => (
              <Page
                key={`${group}-${after}`}
                filter={filter}
                after={after}
                last={i === cursors.length - 1}
                onMore={(cursor) => setCursors([...cursors, cursor])}
              />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
