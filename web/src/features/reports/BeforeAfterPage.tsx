import { Link, useParams, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { ScenarioType } from "../../graphql/graphql";
import { useMe } from "../../components/Layout";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { ReportSharing } from "../validation/ReportSharing";
import { usePageTitle } from "../../hooks/usePageTitle";
import { SideBySide } from "./SideBySide";
import "./reports.css";

const BeforeAfterQuery = graphql(`
  query BeforeAfterPage($id: ID!, $type: ScenarioType) {
    job(id: $id) {
      id
      name
      clientName
      validationRuns {
        id
        status
        reviewClosedAt
        pdfPath
        beforeAfter(scenarioType: $type) {
          scenarioId
          scenarioType
          prompt
          base
          adapted
        }
        shareLinks {
          id
          createdAt
          expiresAt
          active
          viewCount
          lastViewedAt
        }
      }
    }
  }
`);

export const SCENARIO_TYPE_LABELS: Record<ScenarioType, string> = {
  EMPATHY: "Empathy",
  FINANCIAL_ADVICE: "Financial advice",
  EMOTIONAL_SUPPORT: "Emotional support",
};
const TYPES = Object.keys(SCENARIO_TYPE_LABELS) as ScenarioType[];

/** A validated job's prompts answered by the base and the fine-tuned model, side by side, filterable by scenario type, shareable with the report's links. */
export function BeforeAfterPage() {
  const { id = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const type = TYPES.find((t) => t === search.get("type")) ?? null;
  const me = useMe();
  const [{ data, error, fetching }, refetch] = useQuery({ query: BeforeAfterQuery, variables: { id, type } });
  const refresh = () => refetch({ requestPolicy: "network-only" });
  usePageTitle(data?.job ? `Before and after · ${data.job.name}` : "Before and after");

  if (error) return <ErrorMessage error={error} retry={refresh} />;
  if (!data && fetching) return <Loading label="Loading the examples…" />;
  const job = data?.job;
  if (!job) return null;
  const run = job.validationRuns.find((r) => r.status === "COMPLETED");
  const canShare = Boolean(me?.permissions.canContribute);

  return (
    <section className="page" aria-labelledby="before-after-title">
      <p className="breadcrumb">
        <Link to={`/jobs/${job.id}`}>{job.name}</Link> / <Link to={`/jobs/${job.id}/validation`}>Validation</Link> / Before and after
      </p>
      <div className="page-header">
        <h1 id="before-after-title">Before and after</h1>
      </div>
      {!run ? (
        <Empty title="No finished validation yet">Validate the job first: its scenarios are answered by both models.</Empty>
      ) : !run.reviewClosedAt ? (
        <Empty title="The blind review is still open">
          The answers appear here once QA closes the review (before that they would tell reviewers which side is which).
        </Empty>
      ) : (
        <>
          <div className="filter-chips" role="group" aria-label="Scenario type">
            {[null, ...TYPES].map((t) => (
              <button
                key={t ?? "all"}
                type="button"
                className="chip"
                aria-pressed={t === type}
                onClick={() => setSearch(t ? { type: t } : {})}
              >
                {t ? SCENARIO_TYPE_LABELS[t] : "All"}
              </button>
            ))}
          </div>
          {run.beforeAfter.length === 0 ? (
            <Empty title="No examples of this type">This validation has no scenarios of this type.</Empty>
          ) : (
            <SideBySide
              caption="Prompts answered by the base and the fine-tuned model"
              answers={run.beforeAfter.map((e) => ({ ...e, tag: SCENARIO_TYPE_LABELS[e.scenarioType] }))}
            />
          )}
          <section aria-label="Sharing" className="card">
            <h2>Share with the client</h2>
            <p className="muted">A share link opens the validation report; its before/after page has the same examples and filters.</p>
            <ReportSharing runId={run.id} pdfPath={run.pdfPath} links={run.shareLinks} canShare={canShare} onChange={refresh} />
          </section>
        </>
      )}
    </section>
  );
}
