import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../../graphql";
import { ErrorMessage, Loading, Empty } from "../../components/States";
import { useMe } from "../../components/Layout";
import { RunSummary } from "./RunSummary";
import { ReviewPanel } from "./ReviewPanel";
import { ReportSharing } from "./ReportSharing";
import { Playground } from "./Playground";
import { RegisterVersionForm } from "../models/RegisterVersionForm";
import { formatDateTime } from "../../format";
import { usePageTitle } from "../../hooks/usePageTitle";
import "./validation.css";

const ValidationQuery = graphql(`
  query ValidationPage($id: ID!) {
    job(id: $id) {
      id
      name
      status
      validationRuns {
        id
        status
        automatic
        stage
        progress
        error
        createdAt
        finishedAt
        settings
        heldOutConversations
        perplexityBase
        perplexityAdapted
        perplexityImprovementPct
        perplexityPassed
        knowledgeQuestions
        knowledgeBaseCorrect
        knowledgeAdaptedCorrect
        retentionPct
        retentionAlert
        knowledgeByCategory {
          category
          total
          baseCorrect
          adaptedCorrect
        }
        reviewClosedAt
        pdfPath
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

const RunUpdated = graphql(`
  subscription ValidationRunUpdated($jobId: ID!) {
    validationRunUpdated(jobId: $jobId) {
      id
      status
      stage
      progress
    }
  }
`);

const RunValidation = graphql(`
  mutation RunValidation($jobId: ID!) {
    runValidation(jobId: $jobId) {
      __typename
      ...AppErrorFields
      ... on RunValidationSuccess {
        data {
          id
          status
        }
      }
    }
  }
`);

/** A job's validation: automatic measures, blind human review, report and sharing, playground, registration. */
export function ValidationPage() {
  const { id = "" } = useParams();
  const me = useMe();
  const [{ data, error, fetching }, refetch] = useQuery({ query: ValidationQuery, variables: { id } });
  const refresh = () => refetch({ requestPolicy: "network-only" });
  // Progress and results arrive live; a finished run refreshes the page's data.
  const [live] = useSubscription({ query: RunUpdated, variables: { jobId: id } }, (_prev, event) => {
    if (event.validationRunUpdated.status === "COMPLETED" || event.validationRunUpdated.status === "FAILED") refresh();
    return event;
  });
  const [selected, setSelected] = useState<string | null>(null);
  const [runState, runValidation] = useMutation(RunValidation);
  const [problem, setProblem] = useState<string | null>(null);
  usePageTitle(data?.job ? `Validation · ${data.job.name}` : "Validation");

  if (error) return <ErrorMessage error={error} retry={refresh} />;
  if (!data && fetching) return <Loading label="Loading validation…" />;
  const job = data?.job;
  if (!job) return null;
  const runs = job.validationRuns;
  const run = runs.find((r) => r.id === selected) ?? runs[0];
  const canRun = Boolean(me?.permissions.canContribute);
  const canReview = Boolean(me?.permissions.canReview);

  const start = async () => {
    setProblem(null);
    const result = await runValidation({ jobId: id });
    const outcome = result.data?.runValidation;
    if (outcome?.__typename === "AppError") setProblem(outcome.message);
    else refresh();
  };

  return (
    <section className="page" aria-labelledby="validation-title">
      <p className="breadcrumb">
        <Link to={`/jobs/${job.id}`}>{job.name}</Link> / Validation
      </p>
      <div className="page-header">
        <h1 id="validation-title">Validation</h1>
        <div className="page-actions">
          {runs.length > 1 && (
            <label className="inline-field">
              <span>Run</span>
              <select value={run?.id} onChange={(e) => setSelected(e.target.value)}>
                {runs.map((r) => (
                  <option key={r.id} value={r.id}>
                    {formatDateTime(r.createdAt)} · {r.automatic ? "automatic" : "on demand"} · {r.status.toLowerCase()}
                  </option>
                ))}
              </select>
            </label>
          )}
          {canRun && job.status === "COMPLETED" && (
            <button type="button" className="button" onClick={start} disabled={runState.fetching}>
              Run validation again
            </button>
          )}
        </div>
      </div>
      {problem && <p role="alert">{problem}</p>}
      {!run && (
        <Empty title="Not validated yet">
          <p>{job.status === "VALIDATION" ? "Validation is starting…" : "Validation runs automatically when training finishes."}</p>
        </Empty>
      )}
      {run && (run.status === "PENDING" || run.status === "RUNNING") && (
        <div className="card" role="status">
          {(() => {
            const now = live.data?.validationRunUpdated.id === run.id ? live.data.validationRunUpdated : run;
            return `Validating: ${now.stage ?? "queued"} (${Math.round(now.progress * 100)}%)`;
          })()}
        </div>
      )}
      {run?.status === "FAILED" && <ErrorMessage error={`The validation failed: ${run.error}`} />}
      {run?.status === "COMPLETED" && (
        <>
          <section className="card" aria-labelledby="measures-title">
            <h2 id="measures-title">Automatic measures</h2>
            <RunSummary run={run} />
          </section>
          <section className="card" aria-labelledby="review-title">
            <h2 id="review-title">Human review</h2>
            <ReviewPanel key={run.id} runId={run.id} canReview={canReview} />
          </section>
          <section className="card" aria-labelledby="report-title">
            <h2 id="report-title">Report</h2>
            <p>
              <Link to={`/jobs/${job.id}/before-after`}>Before and after: the answers side by side, by scenario type</Link>
            </p>
            <ReportSharing runId={run.id} pdfPath={run.pdfPath} links={run.shareLinks} canShare={canRun} onChange={refresh} />
          </section>
        </>
      )}
      {job.status === "COMPLETED" && (
        <>
          <section className="card" aria-labelledby="playground-title">
            <h2 id="playground-title">Playground</h2>
            <Playground jobId={job.id} />
          </section>
          {me?.permissions.canTrain && (
            <section className="card" aria-labelledby="register-title">
              <h2 id="register-title">Model registry</h2>
              <RegisterVersionForm jobId={job.id} />
            </section>
          )}
        </>
      )}
    </section>
  );
}
