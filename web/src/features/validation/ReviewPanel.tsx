import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import { ErrorMessage, Loading } from "../../components/States";
import { MetricCard } from "../../components/MetricCard";
import { describeError } from "../../errors";

const ReviewQuery = graphql(`
  query ReviewPanel($id: ID!) {
    validationRun(id: $id) {
      id
      reviewClosedAt
      baseModelNote
      reviewItems {
        id
        position
        scenarioId
        theme
        guidance
        prompt
        responseA
        responseB
        adaptedSide
        criteria {
          id
          name
          description
        }
        myScores {
          side
          criterion
          score
        }
      }
      reviewResults {
        reviewers
        scores
        completeItems
        emotionalIntelligence {
          base
          adapted
          improvementPct
          byCriterion {
            criterion
            name
            base
            adapted
          }
        }
        brandVoice {
          base
          adapted
          improvementPct
          adaptedAlignmentPct
          byCriterion {
            criterion
            name
            base
            adapted
          }
        }
        flags {
          itemId
          scenarioId
          model
          criterion
          score
        }
      }
    }
  }
`);

const ScoreMutation = graphql(`
  mutation ScoreReviewItem($itemId: ID!, $scores: [ReviewScoreInput!]!) {
    scoreReviewItem(itemId: $itemId, scores: $scores) {
      __typename
      ...AppErrorFields
      ... on ScoreReviewItemSuccess {
        data {
          id
          myScores {
            side
            criterion
            score
          }
        }
      }
    }
  }
`);

const CloseMutation = graphql(`
  mutation CloseReview($runId: ID!) {
    closeReview(runId: $runId) {
      __typename
      ...AppErrorFields
      ... on CloseReviewSuccess {
        data {
          id
          reviewClosedAt
        }
      }
    }
  }
`);

const n = (x: number | null | undefined, digits = 2) => (x == null ? "—" : x.toFixed(digits));
type Side = "A" | "B";

/**
 * Blind human review: one scenario at a time, responses A and B scored 1–5 per
 * criterion. Which side is the fine-tuned model stays on the server until QA
 * closes the review; then the results replace the scoring form.
 */
export function ReviewPanel({ runId, canReview }: { runId: string; canReview: boolean }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ReviewQuery, variables: { id: runId } });
  const [index, setIndex] = useState(0);
  const [draft, setDraft] = useState<Record<string, number>>({});
  const [saveState, save] = useMutation(ScoreMutation);
  const [closeState, close] = useMutation(CloseMutation);
  const [message, setMessage] = useState<string | null>(null);

  if (error) return <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />;
  if (!data && fetching) return <Loading label="Loading the review…" />;
  const run = data?.validationRun;
  if (!run) return null;
  const items = run.reviewItems;
  if (items.length === 0) return <p className="muted">This run has no scenarios to review.</p>;
  // A built-in demo base model answers in near nonsense: the reviewer should know what they are scoring.
  const demoNote = run.baseModelNote && (
    <p className="notice" role="note" aria-label="About these answers">
      <strong>About these answers:</strong> {run.baseModelNote}
    </p>
  );

  if (run.reviewClosedAt && run.reviewResults) {
    const r = run.reviewResults;
    const rows = [...r.emotionalIntelligence.byCriterion, ...r.brandVoice.byCriterion];
    return (
      <div>
        {demoNote}
        <p>
          Review closed: {r.reviewers} reviewer(s), {r.scores} scores, {r.completeItems} of {items.length} scenarios fully scored.
        </p>
        <div className="metric-cards">
          <MetricCard
            title="Emotional intelligence"
            value={`${n(r.emotionalIntelligence.base, 1)} → ${n(r.emotionalIntelligence.adapted, 1)}`}
          >
            {n(r.emotionalIntelligence.improvementPct, 0)}% change (target ≥ 40%)
          </MetricCard>
          <MetricCard title="Brand voice alignment" value={`${n(r.brandVoice.adaptedAlignmentPct, 0)}%`}>
            Fine-tuned average {n(r.brandVoice.adapted, 1)}/5 (target ≥ 85%)
          </MetricCard>
          <MetricCard title="Flags" value={r.flags.length} ok={r.flags.length === 0}>
            Scores under 3
          </MetricCard>
        </div>
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Average score by criterion</caption>
            <thead>
              <tr>
                <th scope="col">Criterion</th>
                <th scope="col" className="num">
                  Base
                </th>
                <th scope="col" className="num">
                  Fine-tuned
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.criterion}>
                  <th scope="row">{c.name}</th>
                  <td className="num">{n(c.base)}</td>
                  <td className="num">{n(c.adapted)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    );
  }

  const item = items[Math.min(index, items.length - 1)];
  const scored = items.filter((i) => i.myScores.length > 0).length;
  const current = (side: Side, criterion: string) =>
    draft[`${item.id}|${side}|${criterion}`] ?? item.myScores.find((s) => s.side === side && s.criterion === criterion)?.score ?? 0;
  const setScore = (side: Side, criterion: string, score: number) =>
    setDraft((d) => ({ ...d, [`${item.id}|${side}|${criterion}`]: score }));
  const submit = async () => {
    setMessage(null);
    const scores = item.criteria
      .flatMap((c) => (["A", "B"] as Side[]).map((side) => ({ side, criterion: c.id, score: current(side, c.id) })))
      .filter((s) => s.score > 0);
    const result = await save({ itemId: item.id, scores });
    const outcome = result.data?.scoreReviewItem;
    if (outcome?.__typename === "AppError") setMessage(outcome.message);
    else if (result.error) setMessage(describeError(result.error));
    else {
      setMessage(`Scores saved for scenario ${item.position + 1}.`);
      refetch({ requestPolicy: "network-only" });
    }
  };
  const closeReview = async () => {
    const result = await close({ runId });
    const outcome = result.data?.closeReview;
    if (outcome?.__typename === "AppError") setMessage(outcome.message);
    else refetch({ requestPolicy: "network-only" });
  };

  return (
    <div>
      {demoNote}
      <p className="muted">
        You have scored {scored} of {items.length} scenarios. Responses A and B come from the base and the fine-tuned model in an order you
        are not told.
      </p>
      <div className="review-item">
        <div className="page-actions">
          <button type="button" className="button" disabled={index === 0} onClick={() => setIndex(index - 1)}>
            Previous
          </button>
          <span>
            Scenario {item.position + 1} of {items.length} · {item.theme}
          </span>
          <button type="button" className="button" disabled={index >= items.length - 1} onClick={() => setIndex(index + 1)}>
            Next
          </button>
        </div>
        <p>
          <strong>“{item.prompt}”</strong>
        </p>
        <p className="small muted">A strong answer: {item.guidance}</p>
        <div className="side-by-side">
          <div role="region" aria-label="Response A">
            <strong>A</strong>
            <br />
            {item.responseA || "(no answer)"}
          </div>
          <div role="region" aria-label="Response B">
            <strong>B</strong>
            <br />
            {item.responseB || "(no answer)"}
          </div>
        </div>
        {canReview && (
          <>
            <table className="score-grid">
              <thead>
                <tr>
                  <th scope="col">Criterion</th>
                  <th scope="col">A</th>
                  <th scope="col">B</th>
                </tr>
              </thead>
              <tbody>
                {item.criteria.map((c) => (
                  <tr key={c.id}>
                    <th scope="row" title={c.description}>
                      {c.name}
                    </th>
                    {(["A", "B"] as Side[]).map((side) => (
                      <td key={side}>
                        <select
                          aria-label={`${c.name}, response ${side}`}
                          value={current(side, c.id)}
                          onChange={(e) => setScore(side, c.id, Number(e.target.value))}
                        >
                          <option value={0}>–</option>
                          {[1, 2, 3, 4, 5].map((v) => (
                            <option key={v} value={v}>
                              {v}
                            </option>
                          ))}
                        </select>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="form-actions">
              <button type="button" className="button button-primary" disabled={saveState.fetching} onClick={submit}>
                Save scores
              </button>
              <button type="button" className="button" disabled={closeState.fetching || scored === 0} onClick={closeReview}>
                Close review and reveal results
              </button>
            </div>
          </>
        )}
        {message && <p role="status">{message}</p>}
      </div>
    </div>
  );
}
