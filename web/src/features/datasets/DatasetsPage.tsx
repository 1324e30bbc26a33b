import { useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { DatasetQuery } from "./DatasetPicker";
import { DatasetDetails } from "./DatasetDetails";
import { DatasetUpload } from "./DatasetUpload";
import { Empty, ErrorMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { formatBytes, formatCount, formatDateTime } from "../../format";
import { usePageTitle } from "../../hooks/usePageTitle";

const DatasetsQuery = graphql(`
  query DatasetsPage {
    datasets(first: 200) {
      totalCount
      edges {
        node {
          id
          name
          status
          conversationCount
          tokenCount
          sizeBytes
          createdAt
        }
      }
    }
  }
`);

export function DatasetsPage() {
  usePageTitle("Datasets");
  const me = useMe();
  const [search, setSearch] = useSearchParams();
  const selectedId = search.get("id") ?? "";
  const [{ data, error, fetching }, refetch] = useQuery({ query: DatasetsQuery });
  const [detail] = useQuery({ query: DatasetQuery, variables: { id: selectedId }, pause: !selectedId });
  const datasets = data?.datasets.edges.map((e) => e.node) ?? [];
  const select = (id: string) => setSearch(id ? { id } : {});

  return (
    <section className="page" aria-labelledby="datasets-title">
      <div className="page-header">
        <h1 id="datasets-title">Datasets</h1>
      </div>
      <div className="split">
        <div className="split-main">
          {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
          {!data && fetching && <Loading label="Loading datasets…" />}
          {data && datasets.length === 0 && (
            <Empty title="No datasets yet">
              <p>Upload a JSON Lines file of conversations to train on.</p>
            </Empty>
          )}
          {datasets.length > 0 && (
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">Datasets</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Validation</th>
                    <th scope="col" className="num">
                      Conversations
                    </th>
                    <th scope="col" className="num">
                      Tokens
                    </th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Uploaded</th>
                  </tr>
                </thead>
                <tbody>
                  {datasets.map((d) => (
                    <tr key={d.id} className={d.id === selectedId ? "row-selected" : undefined}>
                      <td>
                        <button
                          type="button"
                          className="link-button"
                          aria-pressed={d.id === selectedId}
                          onClick={() => select(d.id === selectedId ? "" : d.id)}
                        >
                          {d.name}
                        </button>
                      </td>
                      <td>
                        <span className={`badge ${d.status === "VALID" ? "badge-success" : "badge-danger"}`}>
                          {d.status === "VALID" ? "Valid" : "Invalid"}
                        </span>
                      </td>
                      <td className="num">{formatCount(d.conversationCount)}</td>
                      <td className="num">{formatCount(d.tokenCount)}</td>
                      <td className="num">{formatBytes(d.sizeBytes)}</td>
                      <td>{formatDateTime(d.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {selectedId && (
            <div className="card">
              {detail.error && <ErrorMessage error={detail.error} />}
              {detail.fetching && !detail.data && <Loading label="Reading the dataset…" />}
              {detail.data && <DatasetDetails dataset={detail.data.dataset} headingLevel={2} />}
            </div>
          )}
        </div>
        {me?.permissions.canTrain && (
          <aside className="split-side card" aria-labelledby="upload-title">
            <h2 id="upload-title">Upload a dataset</h2>
            <p className="muted small">Each line is checked; problems are listed with their line number so you can fix the file.</p>
            <DatasetUpload
              onUploaded={(dataset) => {
                refetch({ requestPolicy: "network-only" });
                select(dataset.id);
              }}
            />
          </aside>
        )}
      </div>
    </section>
  );
}
