import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { ErrorMessage } from "../../components/States";
import { usePageTitle } from "../../hooks/usePageTitle";
import "./reports.css";

const FinishedJobs = graphql(`
  query CustomReportJobs {
    jobs(first: 100, filter: { status: [COMPLETED] }) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const CreateReport = graphql(`
  mutation CreateCustomReport($input: CreateCustomReportInput!) {
    createCustomReport(input: $input) {
      __typename
      ...AppErrorFields
      ... on CreateCustomReportSuccess {
        data {
          id
        }
      }
    }
  }
`);

/** At most this many prompts: each is one playground request for both models. */
const MAX_PROMPTS = 10;

/** QA or an owner enters a prospect's own prompts; both models answer them and the report opens. */
export function NewCustomReportPage() {
  usePageTitle("New custom report");
  const navigate = useNavigate();
  const [{ data, error }] = useQuery({ query: FinishedJobs });
  const [state, create] = useMutation(CreateReport);
  const [jobId, setJobId] = useState("");
  const [title, setTitle] = useState("");
  const [prospect, setProspect] = useState("");
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const jobs = data?.jobs.edges.map((e) => e.node) ?? [];
  const prompts = text
    .split("\n")
    .map((p) => p.trim())
    .filter(Boolean);

  const submit = async () => {
    setProblem(null);
    const result = await create({ input: { jobId: jobId || jobs[0]?.id, title, prospectName: prospect || null, prompts } });
    const r = result.data?.createCustomReport;
    if (r?.__typename === "CreateCustomReportSuccess") navigate(`/reports/custom/${r.data.id}`);
    else setProblem(r?.__typename === "AppError" ? r.message : (result.error?.message ?? "Could not create the report"));
  };

  return (
    <section className="page" aria-labelledby="new-custom-title">
      <div className="page-header">
        <h1 id="new-custom-title">New custom report</h1>
      </div>
      <ErrorMessage error={error} />
      <form className="form" onSubmit={(e) => (e.preventDefault(), submit())}>
        <label>
          Fine-tuned model (job)
          <select value={jobId || jobs[0]?.id || ""} onChange={(e) => setJobId(e.target.value)}>
            {jobs.map((j) => (
              <option key={j.id} value={j.id}>
                {j.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Title
          <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
        </label>
        <label>
          Prospect
          <input value={prospect} onChange={(e) => setProspect(e.target.value)} maxLength={200} />
        </label>
        <label>
          Prompts (one per line, up to {MAX_PROMPTS})
          <textarea className="prompt-list" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <p className="muted">{prompts.length} prompt(s). Both models answer each one; this takes a few seconds per prompt.</p>
        {problem && <p role="alert">{problem}</p>}
        <button
          type="submit"
          className="button button-primary"
          disabled={state.fetching || prompts.length === 0 || prompts.length > MAX_PROMPTS || !title.trim() || jobs.length === 0}
        >
          {state.fetching ? "Answering…" : "Create report"}
        </button>
      </form>
    </section>
  );
}
