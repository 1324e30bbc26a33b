import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { VersionDetails } from "./VersionDetails";
import { CompareVersions } from "./CompareVersions";
import { humanize } from "../../format";
import { usePageTitle } from "../../hooks/usePageTitle";
import "../validation/validation.css";

const ModelsQuery = graphql(`
  query ModelsPage($search: String) {
    models(search: $search) {
      id
      name
      description
      versions {
        id
        version
        status
        endpoint
        requestCount
        job {
          id
          name
        }
        benchmarks {
          perplexityImprovementPct
          retentionPct
          reviewImprovementPct
          brandVoicePct
        }
        gates {
          gate
          passed
          message
        }
        events {
          id
          action
          reason
          createdAt
          actor {
            id
            name
          }
        }
      }
    }
  }
`);

/** The model registry: models and versions, their gates and lifecycle, and side-by-side comparison. */
export function ModelsPage() {
  usePageTitle("Models");
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState("");
  const [{ data, error, fetching }, refetch] = useQuery({ query: ModelsQuery, variables: { search: search || null } });
  const [compare, setCompare] = useState<string[]>([]);
  const models = data?.models ?? [];
  const selectedName = params.get("name") ?? models[0]?.name;
  const model = models.find((m) => m.name === selectedName);
  const version = model?.versions.find((v) => v.id === params.get("version")) ?? model?.versions[0];
  const toggle = (id: string) => setCompare((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id].slice(-6)));

  return (
    <section className="page" aria-labelledby="models-title">
      <div className="page-header">
        <h1 id="models-title">Models</h1>
        <label className="inline-field">
          <span>Search</span>
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
      </div>
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!data && fetching && <Loading label="Loading models…" />}
      {data && models.length === 0 && (
        <Empty title="No models yet">
          <p>Register a completed job's adapter from its validation page.</p>
        </Empty>
      )}
      {model && (
        <div className="split">
          <div className="split-main">
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">Models and versions</caption>
                <thead>
                  <tr>
                    <th scope="col">Compare</th>
                    <th scope="col">Model</th>
                    <th scope="col">Version</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Perplexity gain
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {models.flatMap((m) =>
                    m.versions.map((v) => (
                      <tr key={v.id} className={v.id === version?.id ? "row-selected" : undefined}>
                        <td>
                          <input
                            type="checkbox"
                            aria-label={`Compare ${m.name} ${v.version}`}
                            checked={compare.includes(v.id)}
                            onChange={() => toggle(v.id)}
                          />
                        </td>
                        <td>{m.name}</td>
                        <td>
                          <button type="button" className="link-button" onClick={() => setParams({ name: m.name, version: v.id })}>
                            {v.version}
                          </button>
                        </td>
                        <td>{humanize(v.status)}</td>
                        <td className="num">
                          {v.benchmarks.perplexityImprovementPct == null ? "—" : `${v.benchmarks.perplexityImprovementPct.toFixed(1)}%`}
                        </td>
                      </tr>
                    )),
                  )}
                </tbody>
              </table>
            </div>
            {compare.length >= 2 && <CompareVersions ids={compare} />}
          </div>
          {version && (
            <div className="split-side">
              <VersionDetails
                name={model.name}
                version={version}
                permissions={me?.permissions}
                onChange={() => refetch({ requestPolicy: "network-only" })}
              />
            </div>
          )}
        </div>
      )}
    </section>
  );
}
