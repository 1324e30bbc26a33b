import { useState } from "react";
import { Link } from "react-router-dom";
import { useClient } from "urql";
import { graphql } from "../../graphql";
import type { BudgetJobPageFieldsFragment as Page } from "../../graphql/graphql";
import { describeError } from "../../errors";
import { formatCount, formatUsd, humanize } from "../../format";

export const BudgetJobPageFields = graphql(`
  fragment BudgetJobPageFields on BudgetJobConnection {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        jobId
        name
        status
        costUsd
        estimatedCostUsd
        remainingCostUsd
        clientName
        projectName
      }
    }
  }
`);

const MoreJobsQuery = graphql(`
  query BudgetMoreJobs($month: String!, $first: Int!, $after: String!) {
    budget(month: $month) {
      month
      jobPage(first: $first, after: $after) {
        ...BudgetJobPageFields
      }
    }
  }
`);

/** The page loads the top spenders; the rest come this many at a time, on demand. */
export const TOP_JOBS = 10;
const MORE_JOBS = 25;

type Row = Page["edges"][number]["node"];

/** The month's jobs, costliest first: the top spenders, then more pages when asked for (a busy month has thousands). */
export function BudgetJobTable({ month, first }: { month: string; first: Page }) {
  const client = useClient();
  const [more, setMore] = useState<{ rows: Row[]; pageInfo: Page["pageInfo"] } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pageInfo = more?.pageInfo ?? first.pageInfo;
  // The first page is refreshed while the month runs; rows loaded later are not repeated if costs reorder them.
  const topIds = new Set(first.edges.map((e) => e.node.jobId));
  const rows = [...first.edges.map((e) => e.node), ...(more?.rows ?? []).filter((r) => !topIds.has(r.jobId))];

  async function showMore() {
    if (!pageInfo.endCursor) return;
    setLoading(true);
    setError(null);
    const result = await client
      .query(MoreJobsQuery, { month, first: MORE_JOBS, after: pageInfo.endCursor }, { requestPolicy: "network-only" })
      .toPromise();
    setLoading(false);
    if (result.error || !result.data) return setError(result.error ? describeError(result.error) : "No answer from the server");
    const page = result.data.budget.jobPage;
    setMore((previous) => ({ rows: [...(previous?.rows ?? []), ...page.edges.map((e) => e.node)], pageInfo: page.pageInfo }));
  }

  return (
    <section className="card" aria-labelledby="budget-jobs-title">
      <h2 id="budget-jobs-title">Jobs</h2>
      <p className="muted small" data-testid="budget-jobs-shown">
        {rows.length < first.totalCount
          ? `The ${formatCount(rows.length)} costliest of ${formatCount(first.totalCount)} jobs this month.`
          : `All ${formatCount(first.totalCount)} jobs this month, costliest first.`}
      </p>
      <div className="table-wrap">
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Client</th>
              <th scope="col">Project</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Estimate
              </th>
              <th scope="col" className="num">
                Still to come
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((job) => (
              <tr key={job.jobId}>
                <th scope="row" className="cell-name">
                  <Link to={`/jobs/${job.jobId}`}>{job.name}</Link>
                </th>
                <td>{job.clientName ?? "—"}</td>
                <td>{job.projectName ?? "—"}</td>
                <td>{humanize(job.status)}</td>
                <td className="num">{formatUsd(job.costUsd)}</td>
                <td className="num">{formatUsd(job.estimatedCostUsd)}</td>
                <td className="num">{job.remainingCostUsd > 0 ? formatUsd(job.remainingCostUsd) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {pageInfo.hasNextPage && (
        <div className="form-actions">
          <button type="button" className="button" onClick={showMore} disabled={loading}>
            {loading ? "Loading…" : `Show ${Math.min(MORE_JOBS, first.totalCount - rows.length)} more`}
          </button>
        </div>
      )}
    </section>
  );
}
