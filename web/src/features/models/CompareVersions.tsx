import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { ErrorMessage } from "../../components/States";

const CompareQuery = graphql(`
  query CompareModelVersions($ids: [ID!]!) {
    compareModelVersions(ids: $ids) {
      id
      version
      status
      requestCount
      benchmarks {
        perplexityBase
        perplexityAdapted
        perplexityImprovementPct
        retentionPct
        reviewImprovementPct
        brandVoicePct
      }
    }
  }
`);

const n = (x: number | null | undefined, suffix = "") => (x == null ? "—" : `${x.toFixed(1)}${suffix}`);

/** Versions side by side, one column each. */
export function CompareVersions({ ids }: { ids: string[] }) {
  const [{ data, error }] = useQuery({ query: CompareQuery, variables: { ids } });
  if (error) return <ErrorMessage error={error} />;
  const versions = data?.compareModelVersions ?? [];
  const rows: [string, (v: (typeof versions)[number]) => string][] = [
    ["Status", (v) => v.status],
    ["Perplexity (base → fine-tuned)", (v) => `${n(v.benchmarks.perplexityBase)} → ${n(v.benchmarks.perplexityAdapted)}`],
    ["Perplexity improvement", (v) => n(v.benchmarks.perplexityImprovementPct, "%")],
    ["Knowledge retention", (v) => n(v.benchmarks.retentionPct, "%")],
    ["Human review improvement", (v) => n(v.benchmarks.reviewImprovementPct, "%")],
    ["Brand voice", (v) => n(v.benchmarks.brandVoicePct, "%")],
    ["Requests served", (v) => String(v.requestCount)],
  ];
  return (
    <div className="table-wrap">
      <table className="table">
        <caption>Versions side by side</caption>
        <thead>
          <tr>
            <th scope="col" />
            {versions.map((v) => (
              <th key={v.id} scope="col">
                {v.version}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {versions.map((v) => (
                <td key={v.id}>{value(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
