import { MetricCard } from "../../components/MetricCard";

type Run = {
  perplexityBase?: number | null;
  perplexityAdapted?: number | null;
  perplexityImprovementPct?: number | null;
  perplexityPassed?: boolean | null;
  knowledgeQuestions?: number | null;
  knowledgeBaseCorrect?: number | null;
  knowledgeAdaptedCorrect?: number | null;
  retentionPct?: number | null;
  retentionAlert?: boolean | null;
  heldOutConversations?: number | null;
  settings: unknown;
  knowledgeByCategory: { category: string; total: number; baseCorrect: number; adaptedCorrect: number }[];
};

const n = (x: number | null | undefined, digits = 1) => (x == null ? "—" : x.toFixed(digits));

/** The automatic measures of a run: perplexity and knowledge retention, with their targets. */
export function RunSummary({ run }: { run: Run }) {
  const settings = run.settings as { perplexityPassMarkPct: number; retentionAlertPct: number };
  return (
    <>
      <div className="metric-cards">
        <MetricCard title="Perplexity improvement" value={`${n(run.perplexityImprovementPct, 0)}%`} ok={run.perplexityPassed ?? null}>
          Perplexity {n(run.perplexityBase)} → {n(run.perplexityAdapted)} on {run.heldOutConversations ?? "—"} held-out conversations;
          target ≥ {settings.perplexityPassMarkPct}% {run.perplexityPassed ? "✓" : "✗"}
        </MetricCard>
        <MetricCard
          title="Knowledge retention"
          value={`${n(run.retentionPct, 0)}%`}
          ok={run.retentionAlert == null ? null : !run.retentionAlert}
        >
          {run.knowledgeAdaptedCorrect} of {run.knowledgeQuestions} correct after training, {run.knowledgeBaseCorrect} before; alert under{" "}
          {settings.retentionAlertPct}%
        </MetricCard>
      </div>
      {run.retentionAlert && (
        <p className="warning" role="alert">
          Knowledge retention is under {settings.retentionAlertPct}%: the model may have forgotten what it knew. Consider fewer epochs or a
          lower learning rate.
        </p>
      )}
      {run.knowledgeByCategory.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Knowledge by topic</caption>
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col" className="num">
                  Questions
                </th>
                <th scope="col" className="num">
                  Base correct
                </th>
                <th scope="col" className="num">
                  Fine-tuned correct
                </th>
              </tr>
            </thead>
            <tbody>
              {run.knowledgeByCategory.map((c) => (
                <tr key={c.category}>
                  <th scope="row">{c.category}</th>
                  <td className="num">{c.total}</td>
                  <td className="num">{c.baseCorrect}</td>
                  <td className="num">{c.adaptedCorrect}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
