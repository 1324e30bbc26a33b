import { useId, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import { appErrorOf, describeError, errorFor, type FieldError } from "../../errors";
import { FieldMessage, SaveActions } from "../../components/States";

const UpdateBudget = graphql(`
  mutation UpdateBudget($input: UpdateBudgetInput!) {
    updateBudget(input: $input) {
      __typename
      ...AppErrorFields
      ... on UpdateBudgetSuccess {
        data {
          month
          budgetUsd
        }
      }
    }
  }
`);

type Settings = { budgetUsd: number; hardStopAtBudget: boolean; jobApprovalUsd: number };

/** Owners set the monthly budget, the hard stop and the per-job approval threshold. */
export function BudgetSettings({ budget, onSaved }: { budget: Settings; onSaved(): void }) {
  const id = useId();
  const [monthly, setMonthly] = useState(String(budget.budgetUsd));
  const [approval, setApproval] = useState(String(budget.jobApprovalUsd));
  const [hardStop, setHardStop] = useState(budget.hardStopAtBudget);
  const [error, setError] = useState<FieldError | null>(null);
  const [saved, setSaved] = useState(false);
  const [result, update] = useMutation(UpdateBudget);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    const monthlyBudgetUsd = Number(monthly);
    const jobApprovalUsd = Number(approval);
    if (monthly.trim() === "" || !Number.isFinite(monthlyBudgetUsd))
      return setError({ code: "VALIDATION", message: "Enter the monthly budget in dollars", field: "monthlyBudgetUsd" });
    if (approval.trim() === "" || !Number.isFinite(jobApprovalUsd))
      return setError({ code: "VALIDATION", message: "Enter the approval threshold in dollars", field: "jobApprovalUsd" });
    const response = await update({ input: { monthlyBudgetUsd, jobApprovalUsd, hardStopAtBudget: hardStop } });
    const payload = response.data?.updateBudget;
    const appError = appErrorOf(payload);
    if (appError) return setError(appError);
    if (payload?.__typename === "UpdateBudgetSuccess") {
      setSaved(true);
      return onSaved();
    }
    setError({ code: "NETWORK", message: describeError(response.error) ?? "The budget could not be saved. Try again.", field: null });
  }

  const monthlyError = errorFor(error, "monthlyBudgetUsd");
  const approvalError = errorFor(error, "jobApprovalUsd");
  const otherError = error && !monthlyError && !approvalError ? error.message : null;
  return (
    <form className="card" aria-labelledby={`${id}-title`} onSubmit={submit} noValidate>
      <h2 id={`${id}-title`}>Budget settings</h2>
      <div className="field">
        <label htmlFor={`${id}-monthly`}>Monthly budget (USD)</label>
        <input
          id={`${id}-monthly`}
          type="number"
          min={0}
          step="any"
          inputMode="decimal"
          value={monthly}
          onChange={(e) => setMonthly(e.target.value)}
          aria-invalid={Boolean(monthlyError)}
          aria-describedby={`${id}-monthly-message`}
        />
        <FieldMessage id={`${id}-monthly-message`} error={monthlyError}>
          New jobs that would take the month's forecast over it are refused unless an owner overrides.
        </FieldMessage>
      </div>
      <div className="field">
        <label htmlFor={`${id}-approval`}>Approval above (USD per job)</label>
        <input
          id={`${id}-approval`}
          type="number"
          min={0}
          step="any"
          inputMode="decimal"
          value={approval}
          onChange={(e) => setApproval(e.target.value)}
          aria-invalid={Boolean(approvalError)}
          aria-describedby={`${id}-approval-message`}
        />
        <FieldMessage id={`${id}-approval-message`} error={approvalError}>
          A job estimated above this waits for an owner to approve its cost.
        </FieldMessage>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={hardStop} onChange={(e) => setHardStop(e.target.checked)} /> Hard stop: cancel running jobs when the
        budget is spent
      </label>
      <SaveActions error={otherError} label="Save budget" saving={result.fetching} saved={saved} />
    </form>
  );
}
