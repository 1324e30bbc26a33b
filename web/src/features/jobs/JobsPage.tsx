import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { useQuery, useSubscription } from "urql";
import { graphql } from "../../graphql";
import type { JobSortField } from "../../graphql/graphql";
import { JobFilters } from "./JobFilters";
import { JobsTable } from "./JobsTable";
import { PAGE_SIZES, readParams, toFilter, toSort, writeParams, type ListParams } from "./jobListParams";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { useNow } from "../../hooks/useNow";
import { usePageTitle } from "../../hooks/usePageTitle";
import { useConnection, useSession } from "../../session";
import { downloadWithToken } from "../../download";
import { JobTrends } from "./JobTrends";
import { formatCount } from "../../format";

const JobsQuery = graphql(`
  query JobsPage($first: Int, $after: String, $last: Int, $before: String, $filter: JobFilter, $sort: JobSort) {
    jobs(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        node {
          ...JobRowFields
        }
      }
    }
  }
`);

const JobCreators = graphql(`
  query JobCreators {
    me {
      id
      organization {
        id
        members {
          id
          name
        }
      }
    }
  }
`);

const JobListChanged = graphql(`
  subscription JobListChanged {
    jobListChanged {
      jobId
      change
      job {
        ...JobRowFields
      }
    }
  }
`);

const MAX_COMPARE = 4;

export function JobsPage() {
  usePageTitle("Jobs");
  const [search, setSearch] = useSearchParams();
  const params = readParams(search);
  const me = useMe();
  const [creators] = useQuery({ query: JobCreators, requestPolicy: "cache-first" });
  const navigate = useNavigate();
  const [selected, setSelected] = useState<string[]>([]);
  const now = useNow(5000);
  const { token } = useSession();

  // The URL is the source of truth for the list: the query changes when it does.
  const searchKey = search.toString();
  const variables = useMemo(() => {
    const current = readParams(new URLSearchParams(searchKey));
    return {
      ...(current.before ? { last: current.size, before: current.before } : { first: current.size, after: current.after || null }),
      filter: toFilter(current),
      sort: toSort(current),
    };
  }, [searchKey]);
  const [{ data, error, fetching, stale }, refetch] = useQuery({ query: JobsQuery, variables });

  // A job was created or deleted somewhere: fetch the page again, at most once a second.
  // (A changed job's row follows through the cache; the reducer only counts, as urql may run it twice.)
  const [{ data: listChanges }] = useSubscription({ query: JobListChanged }, (count: number | undefined, event): number =>
    event.jobListChanged.change === "UPDATED" ? (count ?? 0) : (count ?? 0) + 1,
  );
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!listChanges || refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = null;
      refetch({ requestPolicy: "network-only" });
    }, 1000);
  }, [listChanges, refetch]);
  useEffect(() => () => clearTimeout(refreshTimer.current ?? undefined), []);

  // After a lost connection, catch up on what changed meanwhile.
  const { reconnects } = useConnection();
  useEffect(() => {
    if (reconnects > 0) refetch({ requestPolicy: "network-only" });
  }, [reconnects, refetch]);

  const update = (next: Partial<ListParams>) => {
    const pageOnly = Object.keys(next).every((k) => k === "after" || k === "before");
    setSearch(writeParams({ ...params, ...(pageOnly ? {} : { after: "", before: "" }), ...next }));
  };
  const onSort = (field: JobSortField) =>
    update({ sort: field, dir: params.sort === field ? (params.dir === "ASC" ? "DESC" : "ASC") : field === "NAME" ? "ASC" : "DESC" });
  const toggle = (id: string) =>
    setSelected((current) =>
      current.includes(id) ? current.filter((x) => x !== id) : current.length >= MAX_COMPARE ? current : [...current, id],
    );

  const [historyError, setHistoryError] = useState<string | null>(null);
  const downloadHistory = async () => {
    setHistoryError(null);
    try {
      await downloadWithToken("/api/jobs/history.csv", token, `tuneloop-job-history-${new Date().toISOString().slice(0, 10)}.csv`);
    } catch (e) {
      setHistoryError((e as Error).message);
    }
  };

  const jobs = data?.jobs.edges.map((e) => e.node) ?? [];
  const total = data?.jobs.totalCount ?? 0;
  const pageInfo = data?.jobs.pageInfo;
  const filtered = Boolean(params.status || params.preset || params.from || params.to || params.creator || params.tag || params.q);

  return (
    <section className="page" aria-labelledby="jobs-title">
      <div className="page-header">
        <h1 id="jobs-title">Training jobs</h1>
        <div className="page-actions">
          <button
            type="button"
            className="button"
            disabled={selected.length < 2}
            onClick={() => navigate(`/compare?ids=${selected.join(",")}`)}
            title={selected.length < 2 ? "Select 2 to 4 jobs to compare" : undefined}
          >
            Compare{selected.length > 0 && ` (${selected.length})`}
          </button>
          <button type="button" className="button" onClick={downloadHistory}>
            History CSV
          </button>
          {me?.permissions.canTrain && (
            <Link to="/jobs/new" className="button button-primary">
              New job
            </Link>
          )}
        </div>
      </div>
      {historyError && (
        <p className="field-error" role="alert">
          {historyError}
        </p>
      )}
      <JobFilters params={params} onChange={update} members={creators.data?.me?.organization.members ?? []} myId={me?.id ?? null} />
      {selected.length > 0 && (
        <p className="selection-bar" role="status">
          {selected.length} selected{selected.length >= MAX_COMPARE && ` (at most ${MAX_COMPARE} can be compared)`}.{" "}
          <button type="button" className="link-button" onClick={() => setSelected([])}>
            Clear selection
          </button>
        </p>
      )}
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!data && fetching && <Loading label="Loading jobs…" />}
      {data && jobs.length === 0 && (
        <Empty title={filtered ? "No jobs match these filters" : "No training jobs yet"}>
          {filtered ? (
            <p>Try fewer filters or another search.</p>
          ) : (
            <p>
              <Link to="/jobs/new">Create your first job</Link>: choose a dataset and a preset, check the estimate, start.
            </p>
          )}
        </Empty>
      )}
      {jobs.length > 0 && (
        <>
          <JobsTable jobs={jobs} now={now} selected={selected} onToggle={toggle} sort={params.sort} dir={params.dir} onSort={onSort} />
          <nav className="pagination" aria-label="Pages">
            <span className="muted" aria-live="polite">
              {formatCount(total)} job{total === 1 ? "" : "s"}
              {stale && " · updating…"}
            </span>
            <label className="inline-field">
              Per page{" "}
              <select value={params.size} onChange={(e) => update({ size: Number(e.target.value) })}>
                {PAGE_SIZES.map((size) => (
                  <option key={size}>{size}</option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="button"
              disabled={!pageInfo?.hasPreviousPage && !params.after}
              onClick={() => update({ after: "", before: pageInfo?.startCursor ?? "" })}
            >
              Previous
            </button>
            <button
              type="button"
              className="button"
              disabled={!pageInfo?.hasNextPage && !params.before}
              onClick={() => update({ before: "", after: pageInfo?.endCursor ?? "" })}
            >
              Next
            </button>
          </nav>
        </>
      )}
      <JobTrends />
    </section>
  );
}
