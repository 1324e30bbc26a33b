import { StatusBadge } from "../../components/StatusBadge";
import { ProgressBar } from "../../components/ProgressBar";
import { StageIndicator, type StageTiming } from "./StageIndicator";
import { ErrorLogExport } from "./ErrorLogExport";
import { formatCount, formatDateTime, formatDuration, humanize, secondsBetween } from "../../format";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";

type Job = Pick<
  JobDetailFieldsFragment,
  | "id"
  | "name"
  | "status"
  | "isFinal"
  | "stage"
  | "progress"
  | "currentEpoch"
  | "totalEpochs"
  | "currentStep"
  | "totalSteps"
  | "startedAt"
  | "finishedAt"
  | "createdAt"
  | "recoveryCount"
  | "errorMessage"
  | "errorType"
  | "autoRetryAt"
  | "stalledAt"
  | "stageProgress"
>;

type Props = { job: Job; now: number; etaSeconds?: number | null; stageTimings: Partial<Record<string, StageTiming>> };

/** Where the job stands: status, stage, progress, epoch and step, elapsed time and ETA. */
export function StatusCard({ job, now, etaSeconds, stageTimings }: Props) {
  const elapsed = secondsBetween(job.startedAt, job.finishedAt, now);
  const epoch = job.currentEpoch != null ? Math.min(Math.max(1, Math.ceil(job.currentEpoch)), job.totalEpochs) : null;
  return (
    <section className="card status-card" aria-labelledby="status-title">
      <div className="status-head">
        <h2 id="status-title" className="visually-hidden">
          Status
        </h2>
        <StatusBadge status={job.status} />
        {job.recoveryCount > 0 && (
          <span className="badge badge-warning">
            Interrupted {job.recoveryCount}×{job.status !== "RECOVERING" && ", resumed"}
          </span>
        )}
        {job.stalledAt && !job.isFinal && <span className="badge badge-warning">No report since {formatDateTime(job.stalledAt)}</span>}
      </div>
      <StageIndicator stage={job.stage ?? null} status={job.status} timings={stageTimings} />
      {job.stageProgress?.status === job.status && (
        // A long stage the trainer reports on (the demo base model's first build): what it is doing, how far.
        <div className="stage-progress" data-testid="stage-progress">
          <ProgressBar value={job.stageProgress.percent} label={`${humanize(job.status)} progress`} />
          <p className="small">{job.stageProgress.message}</p>
        </div>
      )}
      <div className="status-progress">
        <ProgressBar value={job.progress} label="Job progress" />
        <span className="status-percent" aria-hidden="true">
          {job.progress.toFixed(job.progress < 10 ? 1 : 0)}%
        </span>
      </div>
      <dl className="stats">
        <div>
          <dt>Epoch</dt>
          <dd>{epoch != null ? `${epoch} of ${job.totalEpochs}` : `— of ${job.totalEpochs}`}</dd>
        </div>
        <div>
          <dt>Step</dt>
          <dd data-testid="current-step">
            {formatCount(job.currentStep)}
            {job.totalSteps ? ` of ${formatCount(job.totalSteps)}` : ""}
          </dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd>{elapsed != null ? formatDuration(elapsed) : "Not started"}</dd>
        </div>
        <div>
          <dt>{job.isFinal ? "Finished" : "Time left"}</dt>
          <dd>{job.isFinal ? formatDateTime(job.finishedAt) : etaSeconds != null ? `about ${formatDuration(etaSeconds)}` : "—"}</dd>
        </div>
      </dl>
      {job.status === "FAILED" && job.errorMessage && (
        <div className="failure" role="alert">
          <strong>{job.errorType ? `${job.errorType}: ` : "Failed: "}</strong>
          {job.errorMessage}
          {job.autoRetryAt && (
            <p className="small">This failure passes by itself: the job is retried automatically at {formatDateTime(job.autoRetryAt)}.</p>
          )}
        </div>
      )}
      {job.status === "FAILED" && <ErrorLogExport jobId={job.id} />}
    </section>
  );
}
