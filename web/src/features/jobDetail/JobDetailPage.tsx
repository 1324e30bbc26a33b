import { Link, useParams } from "react-router-dom";
import { graphql } from "../../graphql";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";
import { StatusCard } from "./StatusCard";
import { CostTracker } from "./CostTracker";
import { ConfigTable } from "./ConfigTable";
import { JobActions } from "./JobActions";
import { JobMetrics } from "./JobMetrics";
import { EventLog } from "./EventLog";
import { CheckpointHistory } from "./CheckpointHistory";
import { ComputeAttempts } from "./ComputeAttempts";
import { Artifacts } from "./Artifacts";
import { configBefore, SettingsDiff } from "./SettingsDiff";
import { useStageTimings } from "./useStageTimings";
import { ErrorMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { useLiveJob } from "../../hooks/useLiveJob";
import { useNow } from "../../hooks/useNow";
import { usePageTitle } from "../../hooks/usePageTitle";
import { formatDateTime, humanize } from "../../format";

export const JobDetailFields = graphql(`
  fragment JobDetailFields on TrainingJob {
    id
    name
    description
    notes
    tags
    status
    isFinal
    stage
    stageProgress {
      status
      percent
      secondsLeft
      message
      reportedAt
    }
    preset
    config
    progress
    currentEpoch
    totalEpochs
    currentStep
    totalSteps
    latestLoss
    latestValLoss
    latestLearningRate
    latestPerplexity
    estimatedCostUsd
    estimatedCostLowUsd
    estimatedCostHighUsd
    estimatedDurationSec
    actualCostUsd
    actualDurationSec
    billableSeconds
    hourlyRateUsd
    gpuType
    pricingTier
    errorType
    errorMessage
    retryCount
    recoveryCount
    autoRetryAt
    autoRetryAttempt
    clientName
    createdAt
    queuedAt
    startedAt
    finishedAt
    lastReportAt
    stalledAt
    etaSeconds
    projectedCostUsd
    costVariancePct
    costOverrun
    spendRateUsdPerHour
    approvalRequired
    latestMetrics {
      name
      step
      value
      epoch
    }
    checkpoints {
      id
      step
      epoch
      trainLoss
      valLoss
      createdAt
      artifact {
        id
        sizeBytes
        downloadUrl
      }
    }
    artifacts {
      id
      kind
      name
      sizeBytes
      downloadUrl
    }
    failureGuidance {
      errorType
      explanation
      suggestedChanges {
        field
        from
        to
      }
    }
    retryDiff {
      field
      from
      to
    }
    dataset {
      id
      name
    }
    createdBy {
      id
      name
    }
    retryOf {
      id
      name
    }
  }
`);

const JobDetailQuery = graphql(`
  query JobDetail($id: ID!) {
    job(id: $id) {
      ...JobDetailFields
    }
  }
`);

const JobUpdated = graphql(`
  subscription JobDetailUpdated($id: ID!) {
    trainingJobUpdated(id: $id) {
      ...JobDetailFields
    }
  }
`);

export function JobDetailPage() {
  const { id = "" } = useParams();
  const me = useMe();
  const { job, error, fetching, refetch } = useLiveJob(JobDetailQuery, JobUpdated, id);
  const now = useNow(1000, Boolean(job && !job.isFinal));
  usePageTitle(job?.name ?? "Job");

  if (error && !job) {
    const notFound = error.graphQLErrors[0]?.extensions?.code === "NOT_FOUND";
    return (
      <section className="page">
        <h1>{notFound ? "Job not found" : "This job could not be loaded"}</h1>
        {notFound ? (
          <p>
            It may have been deleted, or it belongs to another organization. <Link to="/jobs">Back to the jobs list</Link>.
          </p>
        ) : (
          <ErrorMessage error={error} retry={refetch} />
        )}
      </section>
    );
  }
  if (!job) return fetching ? <Loading label="Loading the job…" /> : null;
  return <JobDetail job={job} now={now} writable={Boolean(me?.permissions.canTrain)} />;
}

function JobDetail({ job, now, writable }: { job: JobDetailFieldsFragment; now: number; writable: boolean }) {
  const stageTimings = useStageTimings(job, now);
  const config = (job.config ?? {}) as Record<string, unknown>;
  const adapter = job.artifacts.find((a) => a.kind === "adapter_model");
  return (
    <section className="page" aria-labelledby="job-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/jobs">Jobs</Link> <span aria-hidden="true">/</span>
      </nav>
      <div className="page-header">
        <div>
          <h1 id="job-title">{job.name}</h1>
          <p className="muted">
            {humanize(job.preset)} preset on {job.dataset.name} · created {formatDateTime(job.createdAt)} by {job.createdBy.name}
            {job.retryOf && (
              <>
                {" "}
                · retry of <Link to={`/jobs/${job.retryOf.id}`}>{job.retryOf.name}</Link>
              </>
            )}
            {(job.status === "COMPLETED" || job.status === "VALIDATION") && (
              <>
                {" "}
                · <Link to={`/jobs/${job.id}/validation`}>Validation, report and playground</Link>
              </>
            )}
          </p>
        </div>
        <JobActions
          job={job}
          canWrite={writable}
          guidance={job.failureGuidance}
          downloads={
            adapter && (
              <a className="button" href={adapter.downloadUrl} download={adapter.name}>
                Download adapter
              </a>
            )
          }
        />
      </div>
      {job.approvalRequired && job.status === "PENDING" && (
        <p className="notice" role="status">
          The estimate is above your organization's approval threshold: an owner must approve it before it can start.
        </p>
      )}
      {job.retryOf && job.retryDiff.length > 0 && (
        <section className="card" aria-labelledby="retry-diff-title">
          <h2 id="retry-diff-title">Changed from {job.retryOf.name}</h2>
          <SettingsDiff changes={job.retryDiff} before={configBefore(config, job.retryDiff)} empty="" />
        </section>
      )}
      <div className="detail-grid">
        <div className="detail-main">
          <StatusCard job={job} now={now} etaSeconds={job.etaSeconds} stageTimings={stageTimings} />
          <JobMetrics job={job} />
          <EventLog jobId={job.id} />
        </div>
        <div className="detail-side">
          <CostTracker job={job} />
          <CheckpointHistory jobId={job.id} checkpoints={job.checkpoints} recoveryCount={job.recoveryCount} status={job.status} />
          <ComputeAttempts jobId={job.id} status={job.status} recoveryCount={job.recoveryCount} />
          <Artifacts artifacts={job.artifacts} status={job.status} />
          <section className="card" aria-labelledby="config-title">
            <h2 id="config-title">Settings</h2>
            <ConfigTable config={config} />
          </section>
          {(job.description || job.notes || job.tags.length > 0) && (
            <section className="card" aria-labelledby="notes-title">
              <h2 id="notes-title">Notes</h2>
              {job.description && <p>{job.description}</p>}
              {job.notes && <p className="pre-wrap">{job.notes}</p>}
              {job.tags.length > 0 && (
                <p className="tags">
                  {job.tags.map((tag) => (
                    <span key={tag} className="tag">
                      {tag}
                    </span>
                  ))}
                </p>
              )}
            </section>
          )}
        </div>
      </div>
    </section>
  );
}
