import { Link } from "react-router-dom";
import { graphql } from "../../graphql";
import type { JobRowFieldsFragment, JobSortField, SortDirection } from "../../graphql/graphql";
import { StatusBadge } from "../../components/StatusBadge";
import { ProgressBar } from "../../components/ProgressBar";
import { formatDateTime, formatDuration, formatUsd, humanize, secondsBetween } from "../../format";

export const JobRowFields = graphql(`
  fragment JobRowFields on TrainingJob {
    id
    name
    status
    isFinal
    stage
    progress
    preset
    tags
    currentEpoch
    totalEpochs
    actualCostUsd
    estimatedCostUsd
    actualDurationSec
    qualityScore
    startedAt
    finishedAt
    createdAt
    createdBy {
      id
      name
    }
  }
`);

type SortProps = { sort: JobSortField; dir: SortDirection; onSort(field: JobSortField): void };

function SortHeader({
  field,
  label,
  sort,
  dir,
  onSort,
  className,
}: SortProps & { field: JobSortField; label: string; className?: string }) {
  const active = sort === field;
  return (
    <th scope="col" aria-sort={active ? (dir === "ASC" ? "ascending" : "descending") : "none"} className={className}>
      <button type="button" className="sort-button" onClick={() => onSort(field)}>
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {active ? (dir === "ASC" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

function JobRow({
  job,
  now,
  selected,
  onToggle,
}: {
  job: JobRowFieldsFragment;
  now: number;
  selected: boolean;
  onToggle(id: string): void;
}) {
  const duration = job.actualDurationSec ?? (job.startedAt ? secondsBetween(job.startedAt, job.finishedAt, now) : null);
  return (
    <tr className={selected ? "row-selected" : undefined} data-job-id={job.id}>
      <td className="cell-check">
        <input type="checkbox" checked={selected} onChange={() => onToggle(job.id)} aria-label={`Select ${job.name} to compare`} />
      </td>
      <td className="cell-name">
        <Link to={`/jobs/${job.id}`}>{job.name}</Link>
        {job.tags.length > 0 && (
          <span className="tags">
            {job.tags.map((tag) => (
              <span key={tag} className="tag">
                {tag}
              </span>
            ))}
          </span>
        )}
      </td>
      <td>
        <StatusBadge status={job.status} />
      </td>
      <td className="cell-progress">
        <ProgressBar value={job.progress} label={`${job.name} progress`} />
        <span className="muted small">
          {Math.round(job.progress)}%
          {job.currentEpoch != null && ` · epoch ${Math.min(Math.ceil(job.currentEpoch || 1), job.totalEpochs)}/${job.totalEpochs}`}
        </span>
      </td>
      <td className="num">
        {formatUsd(job.actualCostUsd)}
        <span className="muted small block">est. {formatUsd(job.estimatedCostUsd)}</span>
      </td>
      <td className="num col-optional">{formatDuration(duration)}</td>
      <td className="num col-optional" title="Perplexity improvement of the latest validation">
        {job.qualityScore == null ? "—" : `${job.qualityScore.toFixed(0)}%`}
      </td>
      <td className="col-optional">{humanize(job.preset)}</td>
      <td className="col-optional">
        {formatDateTime(job.createdAt)}
        <span className="muted small block">{job.createdBy.name}</span>
      </td>
    </tr>
  );
}

export function JobsTable({
  jobs,
  now,
  selected,
  onToggle,
  ...sortProps
}: SortProps & { jobs: JobRowFieldsFragment[]; now: number; selected: string[]; onToggle(id: string): void }) {
  return (
    <div className="table-wrap">
      <table className="table jobs-table">
        <caption className="visually-hidden">Training jobs</caption>
        <thead>
          <tr>
            <th scope="col" className="cell-check">
              <span className="visually-hidden">Select</span>
            </th>
            <SortHeader field="NAME" label="Name" {...sortProps} />
            <SortHeader field="STATUS" label="Status" {...sortProps} />
            <SortHeader field="PROGRESS" label="Progress" {...sortProps} />
            <SortHeader field="COST" label="Cost" className="num" {...sortProps} />
            <SortHeader field="DURATION" label="Duration" className="num col-optional" {...sortProps} />
            <SortHeader field="QUALITY" label="Quality" className="num col-optional" {...sortProps} />
            <th scope="col" className="col-optional">
              Preset
            </th>
            <SortHeader field="CREATED_AT" label="Created" className="col-optional" {...sortProps} />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <JobRow key={job.id} job={job} now={now} selected={selected.includes(job.id)} onToggle={onToggle} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
