import { Link, useParams } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { useMe } from "../../components/Layout";
import { ErrorMessage, Loading } from "../../components/States";
import { ReportSharing } from "../validation/ReportSharing";
import { usePageTitle } from "../../hooks/usePageTitle";
import { formatDateTime } from "../../format";
import { SideBySide } from "./SideBySide";
import "./reports.css";

const CustomReportQuery = graphql(`
  query CustomReportPage($id: ID!) {
    customReport(id: $id) {
      id
      title
      prospectName
      createdAt
      pdfPath
      job {
        id
        name
      }
      answers {
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
`);

/** A prospect's prompts answered by both models: the report, its PDF and its share links. */
export function CustomReportPage() {
  const { id = "" } = useParams();
  const me = useMe();
  const [{ data, error, fetching }, refetch] = useQuery({ query: CustomReportQuery, variables: { id } });
  const refresh = () => refetch({ requestPolicy: "network-only" });
  usePageTitle(data?.customReport ? data.customReport.title : "Custom report");
  if (error) return <ErrorMessage error={error} retry={refresh} />;
  if (!data && fetching) return <Loading label="Loading the report…" />;
  const report = data?.customReport;
  if (!report) return null;
  return (
    <section className="page" aria-labelledby="custom-report-title">
      <p className="breadcrumb">
        <Link to="/reports">Reports</Link> / Custom report
      </p>
      <div className="page-header">
        <h1 id="custom-report-title">{report.title}</h1>
      </div>
      <p className="muted">
        {report.prospectName ? `For ${report.prospectName} · ` : ""}
        Answered by the base and the fine-tuned model of <Link to={`/jobs/${report.job.id}`}>{report.job.name}</Link> ·{" "}
        {formatDateTime(report.createdAt)}
      </p>
      <SideBySide caption="The prospect's prompts" answers={report.answers} />
      <section aria-label="Sharing" className="card">
        <h2>Share with the prospect</h2>
        <ReportSharing
          customReportId={report.id}
          pdfPath={report.pdfPath}
          links={report.shareLinks}
          canShare={Boolean(me?.permissions.canContribute)}
          onChange={refresh}
        />
      </section>
    </section>
  );
}
