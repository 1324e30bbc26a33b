import type { BudgetPageQuery } from "../../graphql/graphql";
import { formatUsd } from "../../format";
import { BudgetJobTable } from "./BudgetJobTable";
import { Empty } from "../../components/States";

type Budget = BudgetPageQuery["budget"];

/** Where the month's money went: per job (costliest first, a page at a time), per project and per client. */
export function SpendTables({ budget }: { budget: Budget }) {
  if (budget.jobPage.totalCount === 0 && budget.projects.length === 0) {
    return (
      <Empty title={`No job ran in ${budget.month}`}>
        <p>Spend appears here as soon as a job starts.</p>
      </Empty>
    );
  }
  return (
    <>
      {budget.jobPage.totalCount > 0 && <BudgetJobTable key={budget.month} month={budget.month} first={budget.jobPage} />}
      <div className="budget-grid">
        {budget.projects.length > 0 && (
          <section className="card" aria-labelledby="budget-projects-title">
            <h2 id="budget-projects-title">Projects</h2>
            <table className="table table-compact">
              <thead>
                <tr>
                  <th scope="col">Project</th>
                  <th scope="col" className="num">
                    Spent
                  </th>
                  <th scope="col" className="num">
                    Budget
                  </th>
                  <th scope="col" className="num">
                    Used
                  </th>
                </tr>
              </thead>
              <tbody>
                {budget.projects.map((p) => (
                  <tr key={p.projectId}>
                    <th scope="row">
                      {p.name}
                      {p.clientName && <span className="muted small"> · {p.clientName}</span>}
                    </th>
                    <td className="num">{formatUsd(p.spentUsd)}</td>
                    <td className="num">{p.budgetUsd == null ? "—" : formatUsd(p.budgetUsd)}</td>
                    <td className={`num ${p.percentUsed != null && p.percentUsed >= 100 ? "text-warning" : ""}`}>
                      {p.percentUsed == null ? "—" : `${p.percentUsed.toFixed(0)}%`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
        <section className="card" aria-labelledby="budget-clients-title">
          <h2 id="budget-clients-title">Clients</h2>
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col" className="num">
                  Spent
                </th>
                <th scope="col" className="num">
                  Forecast
                </th>
              </tr>
            </thead>
            <tbody>
              {budget.clients.map((c) => (
                <tr key={c.clientName ?? ""}>
                  <th scope="row">{c.clientName ?? <span className="muted">No client</span>}</th>
                  <td className="num">{formatUsd(c.spentUsd)}</td>
                  <td className="num">{formatUsd(c.forecastUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}
