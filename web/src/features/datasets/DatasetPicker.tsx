import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { DatasetDetails } from "./DatasetDetails";
import { DatasetUpload } from "./DatasetUpload";
import { ErrorMessage, FieldMessage, Loading } from "../../components/States";
import { formatCount } from "../../format";

export const DatasetOptionsQuery = graphql(`
  query DatasetOptions {
    datasets(first: 100) {
      totalCount
      edges {
        node {
          id
          name
          status
          conversationCount
        }
      }
    }
  }
`);

export const DatasetQuery = graphql(`
  query DatasetDetails($id: ID!) {
    dataset(id: $id) {
      ...DatasetDetailsFields
    }
  }
`);

type Props = { value: string; onChange(id: string): void; error?: string | null };

/** Pick a dataset (or upload one) and see whether it is fit to train on. */
export function DatasetPicker({ value, onChange, error }: Props) {
  const [list, refetchList] = useQuery({ query: DatasetOptionsQuery });
  const [detail] = useQuery({ query: DatasetQuery, variables: { id: value }, pause: !value });
  const [uploading, setUploading] = useState(false);
  const datasets = list.data?.datasets.edges.map((e) => e.node) ?? [];

  return (
    <div className="dataset-picker">
      {list.error && <ErrorMessage error={list.error} retry={() => refetchList({ requestPolicy: "network-only" })} />}
      {list.fetching && !list.data && <Loading label="Loading datasets…" />}
      {list.data && (
        <div className="field">
          <label htmlFor="dataset">Dataset</label>
          <div className="field-row">
            <select
              id="dataset"
              value={value}
              onChange={(e) => onChange(e.target.value)}
              aria-invalid={Boolean(error)}
              aria-describedby="dataset-message"
            >
              <option value="">{datasets.length ? "Choose a dataset…" : "No datasets yet: upload one"}</option>
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} — {formatCount(d.conversationCount)} conversations{d.status === "INVALID" ? " (invalid)" : ""}
                </option>
              ))}
            </select>
            <button type="button" className="button" aria-expanded={uploading} onClick={() => setUploading(!uploading)}>
              {uploading ? "Close upload" : "Upload a dataset"}
            </button>
          </div>
          <FieldMessage id="dataset-message" error={error} />
        </div>
      )}
      {uploading && (
        <DatasetUpload
          onUploaded={(dataset) => {
            setUploading(false);
            refetchList({ requestPolicy: "network-only" });
            onChange(dataset.id);
          }}
        />
      )}
      {value && detail.error && <ErrorMessage error={detail.error} />}
      {value && detail.fetching && !detail.data && <Loading label="Reading the dataset…" />}
      {value && detail.data?.dataset.id === value && <DatasetDetails dataset={detail.data.dataset} />}
    </div>
  );
}
