import { graphql } from "../../graphql";
import type { DatasetDetailsFieldsFragment } from "../../graphql/graphql";
import { formatBytes, formatCount, formatDateTime } from "../../format";
import { ValidationIssues } from "./ValidationIssues";

export const DatasetDetailsFields = graphql(`
  fragment DatasetDetailsFields on Dataset {
    id
    name
    format
    status
    conversationCount
    pairCount
    tokenCount
    sizeBytes
    createdAt
    validationReport {
      valid
      truncatedErrors
      errors {
        line
        field
        message
      }
      warnings {
        line
        field
        message
      }
    }
    preview(first: 3) {
      messages {
        role
        content
      }
    }
  }
`);

/** A dataset's validation summary and its first three conversations. */
export function DatasetDetails({ dataset, headingLevel = 3 }: { dataset: DatasetDetailsFieldsFragment; headingLevel?: 2 | 3 }) {
  const report = dataset.validationReport;
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const SubHeading = headingLevel === 2 ? "h3" : "h4";
  return (
    <div className="dataset-details" aria-label={`Dataset ${dataset.name}`} role="region">
      <Heading className="dataset-name">
        {dataset.name}{" "}
        <span className={`badge ${report.valid ? "badge-success" : "badge-danger"}`}>{report.valid ? "Valid" : "Invalid"}</span>
      </Heading>
      <dl className="stats">
        <div>
          <dt>Conversations</dt>
          <dd>{formatCount(dataset.conversationCount)}</dd>
        </div>
        <div>
          <dt>Exchanges</dt>
          <dd>{formatCount(dataset.pairCount)}</dd>
        </div>
        <div>
          <dt>Tokens (approx.)</dt>
          <dd>{formatCount(dataset.tokenCount)}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(dataset.sizeBytes)}</dd>
        </div>
        <div>
          <dt>Uploaded</dt>
          <dd>{formatDateTime(dataset.createdAt)}</dd>
        </div>
      </dl>
      <ValidationIssues report={report} />
      {dataset.preview.length > 0 && (
        <>
          <SubHeading className="section-label">
            {dataset.preview.length === 1 ? "First conversation" : `First ${dataset.preview.length} conversations`}
          </SubHeading>
          <ol className="preview">
            {dataset.preview.map((conversation, i) => (
              <li key={i} className="conversation">
                {conversation.messages.map((message, j) => (
                  <p key={j} className={`message message-${message.role}`}>
                    <span className="message-role">{message.role}</span>
                    <span className="message-content">{message.content}</span>
                  </p>
                ))}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
