import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { ErrorMessage } from "../../components/States";

const CostAdviceQuery = graphql(`
  query CostAdvice {
    costAdvice {
      kind
      message
      jobs
    }
  }
`);

/** Suggestions drawn from the organization's own finished and failed jobs. */
export function CostAdvice() {
  const [{ data, error }] = useQuery({ query: CostAdviceQuery });
  return (
    <section className="card" aria-labelledby="advice-title">
      <h2 id="advice-title">Cost advice</h2>
      <ErrorMessage error={error} />
      {data &&
        (data.costAdvice.length === 0 ? (
          <p className="muted">No advice yet: it comes from your own finished and failed jobs.</p>
        ) : (
          <ul aria-label="Suggestions from your history">
            {data.costAdvice.map((a, i) => (
              <li key={i} data-kind={a.kind}>
                {a.message}{" "}
                <span className="muted">
                  ({a.jobs} job{a.jobs === 1 ? "" : "s"})
                </span>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}
