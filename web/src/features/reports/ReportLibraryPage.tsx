import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import type { DealOutcome, ReportLibraryPageQuery } from "../../graphql/graphql";
import { useMe } from "../../components/Layout";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { useDebounced } from "../../hooks/useDebounced";
import { usePageTitle } from "../../hooks/usePageTitle";
import { formatDateTime, formatUsd } from "../../format";
import "./reports.css";

const LibraryQuery = graphql(`
  query ReportLibraryPage($search: String, $outcome: DealOutcome) {
    reportLibrary(search: $search, outcome: $outcome) {
      sharedReports
      wonDeals
      lostDeals
      wonValueUsd
      entries {
        kind
        id
        title
        clientName
        jobId
        jobName
        createdAt
        shareLinks
        views
        closedDeal
        deal {
          outcome
          valueUsd
          decidedOn
        }
      }
    }
  }
`);

const RecordDeal = graphql(`
  mutation RecordReportDeal($input: RecordReportDealInput!) {
    recordReportDeal(input: $input) {
      __typename
      ...AppErrorFields
      ... on RecordReportDealSuccess {
        data {
          id
          outcome
        }
      }
    }
  }
`);

type Entry = ReportLibraryPageQuery["reportLibrary"]["entries"][number];
const OUTCOMES: DealOutcome[] = ["OPEN", "WON", "LOST"];
const OUTCOME_LABELS: Record<DealOutcome, string> = { OPEN: "Open", WON: "Won", LOST: "Lost" };

/** Past validation and custom reports, searchable, with what came of each and which led to closed deals. */
export function ReportLibraryPage() {
  usePageTitle("Reports");
  const me = useMe();
  const isOwner = Boolean(me?.permissions.canManage);
  const canCreate = Boolean(me?.permissions.canReview);
  const [search, setSearch] = useState("");
  const [outcome, setOutcome] = useState<DealOutcome | "">("");
  const debounced = useDebounced(search, 250);
  const [{ data, error, fetching }, refetch] = useQuery({
    query: LibraryQuery,
    variables: { search: debounced || null, outcome: outcome || null },
  });
  const [editing, setEditing] = useState<string | null>(null);
  const refresh = () => refetch({ requestPolicy: "network-only" });
  const library = data?.reportLibrary;

  return (
    <section className="page" aria-labelledby="library-title">
      <div className="page-header">
        <h1 id="library-title">Reports</h1>
        {canCreate && (
          <div className="page-actions">
            <Link className="button" to="/reports/custom/new">
              New custom report
            </Link>
          </div>
        )}
      </div>
      <div className="library-toolbar">
        <label className="inline-field">
          Search <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Client, prospect, job…" />
        </label>
        <label className="inline-field">
          Deal{" "}
          <select value={outcome} onChange={(e) => setOutcome(e.target.value as DealOutcome | "")}>
            <option value="">Any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {OUTCOME_LABELS[o]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!library && fetching && <Loading label="Loading reports…" />}
      {library && (
        <>
          <p role="status" aria-label="Deals">
            {library.sharedReports} shared report(s) · {library.wonDeals} won deal(s) worth {formatUsd(library.wonValueUsd)} ·{" "}
            {library.lostDeals} lost
          </p>
          {library.entries.length === 0 ? (
            <Empty title="No reports found">Finished validations and custom reports appear here.</Empty>
          ) : (
            <table className="table">
              <caption>Report library</caption>
              <thead>
                <tr>
                  <th scope="col">Report</th>
                  <th scope="col">Client</th>
                  <th scope="col">Created</th>
                  <th scope="col" className="num">
                    Links
                  </th>
                  <th scope="col" className="num">
                    Views
                  </th>
                  <th scope="col">Deal</th>
                </tr>
              </thead>
              <tbody>
                {library.entries.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <Link to={e.kind === "CUSTOM" ? `/reports/custom/${e.id}` : `/jobs/${e.jobId}/validation`}>{e.title}</Link>
                      {e.kind === "VALIDATION" && (
                        <>
                          {" · "}
                          <Link to={`/jobs/${e.jobId}/before-after`}>Before and after</Link>
                        </>
                      )}
                    </td>
                    <td>{e.clientName ?? "—"}</td>
                    <td>{formatDateTime(e.createdAt)}</td>
                    <td className="num">{e.shareLinks}</td>
                    <td className="num">{e.views}</td>
                    <td>
                      <DealCell entry={e} />
                      {isOwner && editing !== e.id && (
                        <button
                          type="button"
                          className="button button-quiet"
                          onClick={() => setEditing(e.id)}
                          aria-label={`Record the deal for ${e.title}`}
                        >
                          Record deal
                        </button>
                      )}
                      {editing === e.id && <DealForm entry={e} onDone={() => (setEditing(null), refresh())} />}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function DealCell({ entry }: { entry: Entry }) {
  if (!entry.deal) return <span className="muted">None recorded </span>;
  const d = entry.deal;
  return (
    <span className={entry.closedDeal ? "pass" : undefined}>
      {OUTCOME_LABELS[d.outcome]}
      {d.valueUsd != null && ` · ${formatUsd(d.valueUsd)}`}
      {d.decidedOn && ` · ${d.decidedOn.slice(0, 10)}`}{" "}
    </span>
  );
}

function DealForm({ entry, onDone }: { entry: Entry; onDone: () => void }) {
  const [outcome, setOutcome] = useState<DealOutcome>(entry.deal?.outcome ?? "WON");
  const [value, setValue] = useState(entry.deal?.valueUsd != null ? String(entry.deal.valueUsd) : "");
  const [date, setDate] = useState(entry.deal?.decidedOn?.slice(0, 10) ?? new Date().toISOString().slice(0, 10));
  const [problem, setProblem] = useState<string | null>(null);
  const [state, record] = useMutation(RecordDeal);
  const save = async () => {
    setProblem(null);
    const target = entry.kind === "CUSTOM" ? { customReportId: entry.id } : { runId: entry.id };
    const result = await record({
      input: {
        ...target,
        outcome,
        valueUsd: value === "" ? null : Number(value),
        decidedOn: outcome === "OPEN" ? null : `${date}T00:00:00.000Z`,
      },
    });
    const r = result.data?.recordReportDeal;
    if (r?.__typename === "RecordReportDealSuccess") onDone();
    else setProblem(r?.__typename === "AppError" ? r.message : (result.error?.message ?? "Could not record the deal"));
  };
  return (
    <form className="deal-form" aria-label="Deal" onSubmit={(e) => (e.preventDefault(), save())}>
      <label>
        Outcome
        <select value={outcome} onChange={(e) => setOutcome(e.target.value as DealOutcome)}>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {OUTCOME_LABELS[o]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Value (USD)
        <input type="number" min={0} step="any" value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <label>
        Date
        <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      </label>
      <button type="submit" className="button" disabled={state.fetching}>
        Save deal
      </button>
      {problem && <p role="alert">{problem}</p>}
    </form>
  );
}
