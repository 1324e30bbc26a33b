import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import { downloadWithToken } from "../../download";
import { useSession } from "../../session";
import { formatDateTime } from "../../format";

const CreateLink = graphql(`
  mutation CreateShareLink($runId: ID, $customReportId: ID) {
    createShareLink(runId: $runId, customReportId: $customReportId) {
      __typename
      ...AppErrorFields
      ... on CreateShareLinkSuccess {
        data {
          url
          link {
            id
          }
        }
      }
    }
  }
`);

const RevokeLink = graphql(`
  mutation RevokeShareLink($id: ID!) {
    revokeShareLink(id: $id) {
      __typename
      ...AppErrorFields
      ... on RevokeShareLinkSuccess {
        data {
          id
          active
          revokedAt
        }
      }
    }
  }
`);

type Link = { id: string; createdAt: string; expiresAt: string; active: boolean; viewCount: number; lastViewedAt?: string | null };

/** The report as a PDF, and read-only links for clients (30 days, revocable): a validation report (runId) or a custom report (customReportId). */
export function ReportSharing({
  runId,
  customReportId,
  pdfPath,
  links,
  canShare,
  onChange,
}: {
  runId?: string;
  customReportId?: string;
  pdfPath: string;
  links: Link[];
  canShare: boolean;
  onChange: () => void;
}) {
  const { token } = useSession();
  const [created, setCreated] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [, create] = useMutation(CreateLink);
  const [, revoke] = useMutation(RevokeLink);

  const download = () =>
    downloadWithToken(pdfPath, token, customReportId ? "custom-report.pdf" : "validation-report.pdf").catch((e: Error) =>
      setProblem(e.message),
    );
  const share = async () => {
    const result = await create({ runId, customReportId });
    const outcome = result.data?.createShareLink;
    if (outcome?.__typename === "CreateShareLinkSuccess") {
      setCreated(outcome.data.url);
      onChange();
    } else setProblem(outcome?.__typename === "AppError" ? outcome.message : "Could not create the link");
  };

  return (
    <div>
      <div className="page-actions">
        <button type="button" className="button" onClick={download}>
          Download PDF report
        </button>
        {canShare && (
          <button type="button" className="button" onClick={share}>
            Create share link
          </button>
        )}
      </div>
      {created && (
        <p role="status">
          Share this link (valid 30 days; it is shown only once): <span className="share-url">{created}</span>
        </p>
      )}
      {problem && <p role="alert">{problem}</p>}
      {links.length > 0 && (
        <table className="table">
          <caption>Share links</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col" className="num">
                Views
              </th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {links.map((l) => (
              <tr key={l.id}>
                <td>{formatDateTime(l.createdAt)}</td>
                <td>{formatDateTime(l.expiresAt)}</td>
                <td className="num">{l.viewCount}</td>
                <td>
                  {l.active ? (
                    canShare ? (
                      <button
                        type="button"
                        className="button button-danger-quiet"
                        onClick={async () => (await revoke({ id: l.id }), onChange())}
                      >
                        Revoke
                      </button>
                    ) : (
                      "Active"
                    )
                  ) : (
                    "Expired or revoked"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
