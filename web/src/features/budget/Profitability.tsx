import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { ErrorMessage } from "../../components/States";
import { downloadWithToken } from "../../download";
import { useSession } from "../../session";
import { formatUsd } from "../../format";

const ProfitabilityQuery = graphql(`
  query Profitability {
    profitability {
      targetPct
      csvUrl
      projects {
        projectId
        name
        clientName
        revenueUsd
        trainingCostUsd
        marginUsd
        marginPct
        trainingSharePct
        meetsTarget
        jobs
      }
      clients {
        clientName
        revenueUsd
        trainingCostUsd
        marginUsd
        marginPct
        trainingSharePct
        meetsTarget
        jobs
      }
    }
  }
`);

const UpdateRevenue = graphql(`
  mutation UpdateProjectRevenue($projectId: ID!, $contractValueUsd: Float) {
    updateProjectRevenue(projectId: $projectId, contractValueUsd: $contractValueUsd) {
      __typename
      ...AppErrorFields
      ... on UpdateProjectRevenueSuccess {
        data {
          id
          contractValueUsd
        }
      }
    }
  }
`);

type Line = {
  revenueUsd?: number | null;
  trainingCostUsd: number;
  marginUsd?: number | null;
  marginPct?: number | null;
  trainingSharePct?: number | null;
  meetsTarget?: boolean | null;
  jobs: number;
};

const pct = (v: number | null | undefined, digits = 1) => (v == null ? "—" : `${v.toFixed(digits)}%`);

function MarginCells({ line, targetPct }: { line: Line; targetPct: number }) {
  return (
    <>
      <td className="num">{formatUsd(line.trainingCostUsd)}</td>
      <td className="num">{line.marginUsd == null ? "—" : `${formatUsd(line.marginUsd)} (${pct(line.marginPct)})`}</td>
      <td
        className={`num ${line.meetsTarget === false ? "fail" : line.meetsTarget ? "pass" : ""}`}
        title={`Target: under ${targetPct}% of revenue`}
      >
        {pct(line.trainingSharePct, 2)}
      </td>
      <td className="num">{line.jobs}</td>
    </>
  );
}

/** Revenue (contract value), training cost and margin per project and per client, all time; owners set the revenue. */
/** The money columns both tables share, after their own name columns. */
const MONEY_COLUMNS = ["Revenue", "Training cost", "Margin", "Training share", "Jobs"];

function MoneyHeaders() {
  return (
    <>
      {MONEY_COLUMNS.map((column) => (
        <th key={column} scope="col" className="num">
          {column}
        </th>
      ))}
    </>
  );
}

export function Profitability({ isOwner }: { isOwner: boolean }) {
  const { token } = useSession();
  const [{ data, error }, refetch] = useQuery({ query: ProfitabilityQuery });
  const [problem, setProblem] = useState<string | null>(null);
  const p = data?.profitability;
  const download = () => p && downloadWithToken(p.csvUrl, token, "tuneloop-profitability.csv").catch((e: Error) => setProblem(e.message));
  return (
    <section className="card" aria-labelledby="profitability-title">
      <div className="card-header">
        <h2 id="profitability-title">Profitability</h2>
        <button type="button" className="button" onClick={download} disabled={!p}>
          Download profitability CSV
        </button>
      </div>
      <ErrorMessage error={error ?? problem} />
      {p && (
        <>
          <p className="muted">All time. The bar: training under {p.targetPct}% of what the client pays.</p>
          <table className="table">
            <caption>Profitability by project</caption>
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Client</th>
                <MoneyHeaders />
              </tr>
            </thead>
            <tbody>
              {p.projects.map((line) => (
                <tr key={line.projectId}>
                  <th scope="row">{line.name}</th>
                  <td>{line.clientName ?? "—"}</td>
                  <td className="num">
                    {isOwner ? (
                      <RevenueInput
                        projectName={line.name}
                        projectId={line.projectId}
                        value={line.revenueUsd ?? null}
                        onSaved={() => refetch({ requestPolicy: "network-only" })}
                        onError={setProblem}
                      />
                    ) : line.revenueUsd == null ? (
                      "—"
                    ) : (
                      formatUsd(line.revenueUsd)
                    )}
                  </td>
                  <MarginCells line={line} targetPct={p.targetPct} />
                </tr>
              ))}
            </tbody>
          </table>
          <table className="table">
            <caption>Profitability by client</caption>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <MoneyHeaders />
              </tr>
            </thead>
            <tbody>
              {p.clients.map((line) => (
                <tr key={line.clientName}>
                  <th scope="row">{line.clientName}</th>
                  <td className="num">{line.revenueUsd == null ? "—" : formatUsd(line.revenueUsd)}</td>
                  <MarginCells line={line} targetPct={p.targetPct} />
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function RevenueInput({
  projectId,
  projectName,
  value,
  onSaved,
  onError,
}: {
  projectId: string;
  projectName: string;
  value: number | null;
  onSaved: () => void;
  onError: (m: string | null) => void;
}) {
  const [text, setText] = useState(value == null ? "" : String(value));
  const [, update] = useMutation(UpdateRevenue);
  const save = async () => {
    onError(null);
    const result = await update({ projectId, contractValueUsd: text.trim() === "" ? null : Number(text) });
    const r = result.data?.updateProjectRevenue;
    if (r?.__typename === "UpdateProjectRevenueSuccess") onSaved();
    else onError(r?.__typename === "AppError" ? r.message : (result.error?.message ?? "Could not save the revenue"));
  };
  return (
    <form onSubmit={(e) => (e.preventDefault(), save())} className="inline-form">
      <input
        type="number"
        min={0}
        step="any"
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-label={`Revenue of ${projectName} (USD)`}
        size={8}
      />
      <button type="submit" className="button button-quiet">
        Save
      </button>
    </form>
  );
}
