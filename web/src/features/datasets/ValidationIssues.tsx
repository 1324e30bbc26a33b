type Issue = { line: number; field: string; message: string };
type Report = { valid: boolean; errors: Issue[]; warnings: Issue[]; truncatedErrors: number };

function IssueList({ issues, kind }: { issues: Issue[]; kind: "error" | "warning" }) {
  return (
    <ul className={`issues issues-${kind}`}>
      {issues.map((issue, i) => (
        <li key={i}>
          <span className="issue-line">Line {issue.line}</span>
          {issue.field && <code className="issue-field">{issue.field}</code>}
          {/* The line is already shown: drop the message's own "line N:" prefix. */}
          <span>{issue.message.replace(/^line \d+:\s*/i, "")}</span>
        </li>
      ))}
    </ul>
  );
}

/** A dataset's validation report, each problem with the line of the file it is on. */
export function ValidationIssues({ report }: { report: Report }) {
  if (report.valid && report.warnings.length === 0) return <p className="ok-note">Every line passed validation.</p>;
  return (
    <div className="validation">
      {report.errors.length > 0 && (
        <div role="alert">
          <p className="validation-title">
            {report.errors.length + report.truncatedErrors} error{report.errors.length + report.truncatedErrors === 1 ? "" : "s"}: fix these
            lines and upload the file again.
          </p>
          <IssueList issues={report.errors} kind="error" />
          {report.truncatedErrors > 0 && <p className="muted">…and {report.truncatedErrors} more errors not listed.</p>}
        </div>
      )}
      {report.warnings.length > 0 && (
        <div>
          <p className="validation-title">
            {report.warnings.length} warning{report.warnings.length === 1 ? "" : "s"} (training can still run)
          </p>
          <IssueList issues={report.warnings} kind="warning" />
        </div>
      )}
    </div>
  );
}
