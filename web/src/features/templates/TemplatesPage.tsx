import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import type { TemplateOrder } from "../../graphql/graphql";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { usePageTitle } from "../../hooks/usePageTitle";
import { mutationError, type FieldError } from "../../errors";
import { formatDateTime, humanize } from "../../format";

const TemplatesPageQuery = graphql(`
  query TemplatesPage($orderBy: TemplateOrder) {
    templates(orderBy: $orderBy) {
      id
      name
      description
      preset
      gpuType
      pricingTier
      notes
      useCount
      lastUsedAt
      dataset {
        id
        name
      }
      createdBy {
        id
        name
      }
    }
  }
`);

const StartFromTemplate = graphql(`
  mutation StartFromTemplate($templateId: ID!) {
    createJobFromTemplate(templateId: $templateId, start: true) {
      __typename
      ... on AppError {
        ...AppErrorFields
      }
      ... on CreateJobFromTemplateSuccess {
        data {
          id
        }
      }
    }
  }
`);

/** Saved job setups: what each holds, how often it was used, and a new job from it in one click. */
export function TemplatesPage() {
  usePageTitle("Templates");
  const me = useMe();
  const navigate = useNavigate();
  const [orderBy, setOrderBy] = useState<TemplateOrder>("MOST_USED");
  const [{ data, error, fetching }, refetch] = useQuery({ query: TemplatesPageQuery, variables: { orderBy } });
  const [, start] = useMutation(StartFromTemplate);
  const [starting, setStarting] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ id: string; error: FieldError } | null>(null);

  const startJob = async (id: string) => {
    setStarting(id);
    setFailure(null);
    const response = await start({ templateId: id });
    setStarting(null);
    const problem = mutationError(response, "createJobFromTemplate");
    const result = response.data?.createJobFromTemplate;
    if (problem || result?.__typename !== "CreateJobFromTemplateSuccess")
      setFailure({ id, error: problem ?? { code: "UNKNOWN", message: "The job was not created." } });
    else navigate(`/jobs/${result.data.id}`);
  };

  return (
    <section className="page" aria-labelledby="templates-title">
      <div className="page-header">
        <h1 id="templates-title">Templates</h1>
        <label className="inline-field">
          Order{" "}
          <select value={orderBy} onChange={(e) => setOrderBy(e.target.value as TemplateOrder)}>
            <option value="MOST_USED">Most used</option>
            <option value="RECENTLY_USED">Recently used</option>
            <option value="NAME">Name</option>
          </select>
        </label>
      </div>
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!data && fetching && <Loading label="Loading templates…" />}
      {data && data.templates.length === 0 && (
        <Empty title="No templates yet">
          <p>
            Open a job you would run again and press <strong>Save as template</strong>: it keeps the preset, hyperparameters, dataset, GPU,
            pricing tier and notes.
          </p>
        </Empty>
      )}
      {data && data.templates.length > 0 && (
        <div className="table-wrap">
          <table className="table templates-table">
            <caption className="visually-hidden">Saved job setups</caption>
            <thead>
              <tr>
                <th scope="col">Template</th>
                <th scope="col">Preset</th>
                <th scope="col">Dataset</th>
                <th scope="col">GPU</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.templates.map((t) => (
                <tr key={t.id} data-template-id={t.id}>
                  <th scope="row">
                    {t.name}
                    {(t.description || t.notes) && <span className="muted small block">{t.description || t.notes}</span>}
                  </th>
                  <td>{humanize(t.preset)}</td>
                  <td>{t.dataset ? t.dataset.name : <span className="muted">choose when starting</span>}</td>
                  <td>
                    {t.gpuType ?? "default"}
                    {t.pricingTier && <span className="muted small block">{t.pricingTier === "SPOT" ? "Spot" : "On-demand"}</span>}
                  </td>
                  <td className="num">{t.useCount === 1 ? "1 time" : `${t.useCount} times`}</td>
                  <td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "never"}</td>
                  <td>
                    {me?.permissions.canTrain &&
                      (t.dataset ? (
                        <button
                          type="button"
                          className="button button-primary"
                          disabled={starting !== null}
                          onClick={() => startJob(t.id)}
                          aria-label={`Start a job from ${t.name}`}
                        >
                          {starting === t.id ? "Starting…" : "Start job"}
                        </button>
                      ) : (
                        <Link to={`/jobs/new?template=${t.id}`} className="button">
                          Use…
                        </Link>
                      ))}
                    {failure?.id === t.id && (
                      <span className="field-error block" role="alert">
                        {failure.error.message}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
