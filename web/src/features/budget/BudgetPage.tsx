import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { BudgetOverview } from "./BudgetOverview";
import { BudgetSettings } from "./BudgetSettings";
import { SpendTables } from "./SpendTables";
import { TOP_JOBS } from "./BudgetJobTable";
import { AlertHistory } from "./AlertHistory";
import { Profitability } from "./Profitability";
import { CostAdvice } from "./CostAdvice";
import { ErrorMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { downloadWithToken } from "../../download";
import { usePageTitle } from "../../hooks/usePageTitle";
import { useSession } from "../../session";
import "./budget.css";

const BudgetQuery = graphql(`
  query BudgetPage($month: String, $topJobs: Int!) {
    budget(month: $month) {
      month
      budgetUsd
      spentUsd
      committedUsd
      forecastUsd
      remainingUsd
      percentUsed
      forecastPercent
      activeJobs
      hardStopAtBudget
      jobApprovalUsd
      reportUrl
      jobPage(first: $topJobs) {
        ...BudgetJobPageFields
      }
      projects {
        projectId
        name
        clientName
        budgetUsd
        spentUsd
        forecastUsd
        percentUsed
      }
      clients {
        clientName
        spentUsd
        forecastUsd
      }
    }
  }
`);

/** Running jobs bill by the second: the current month's numbers are refreshed this often. */
const REFRESH_MS = 15_000;
const currentMonth = () => new Date().toISOString().slice(0, 7);

export function BudgetPage() {
  usePageTitle("Budget");
  const me = useMe();
  const { token } = useSession();
  const isOwner = Boolean(me?.permissions.canManage);
  const [search, setSearch] = useSearchParams();
  const month = search.get("month") ?? currentMonth();
  const isCurrentMonth = month === currentMonth();
  const [{ data, error, fetching }, refetch] = useQuery({ query: BudgetQuery, variables: { month, topJobs: TOP_JOBS } });
  const [refreshes, setRefreshes] = useState(0);
  const [downloadError, setDownloadError] = useState<string | null>(null);

  const refresh = () => {
    refetch({ requestPolicy: "network-only" });
    setRefreshes((n) => n + 1);
  };
  useEffect(() => {
    if (!isCurrentMonth) return;
    const timer = setInterval(() => refetch({ requestPolicy: "network-only" }), REFRESH_MS);
    return () => clearInterval(timer);
  }, [isCurrentMonth, refetch]);

  const budget = data?.budget;
  async function download() {
    if (!budget) return;
    setDownloadError(null);
    try {
      await downloadWithToken(budget.reportUrl, token, `tuneloop-costs-${budget.month}.csv`);
    } catch (e) {
      setDownloadError((e as Error).message);
    }
  }

  return (
    <section className="page" aria-labelledby="budget-title">
      <div className="page-header">
        <h1 id="budget-title">Budget</h1>
        <div className="page-actions">
          <label className="inline-field">
            Month{" "}
            <input
              type="month"
              value={month}
              max={currentMonth()}
              onChange={(e) => e.target.value && setSearch({ month: e.target.value })}
            />
          </label>
          <button type="button" className="button" onClick={download} disabled={!budget}>
            Download CSV
          </button>
        </div>
      </div>
      {downloadError && <ErrorMessage error={downloadError} />}
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!budget && fetching && <Loading label="Loading the budget…" />}
      {budget && (
        <>
          <BudgetOverview budget={budget} isCurrentMonth={isCurrentMonth} />
          {isOwner && (
            <BudgetSettings
              key={`${budget.budgetUsd}-${budget.jobApprovalUsd}-${budget.hardStopAtBudget}`}
              budget={budget}
              onSaved={refresh}
            />
          )}
          <SpendTables budget={budget} />
        </>
      )}
      <Profitability isOwner={isOwner} />
      <CostAdvice />
      <AlertHistory refreshKey={refreshes} />
    </section>
  );
}
