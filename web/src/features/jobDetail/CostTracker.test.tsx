import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { CostTracker } from "./CostTracker";

// The overrun warning names what happened to the job, not every possible cause.

const overrun = {
  isFinal: true,
  costOverrun: true,
  actualCostUsd: 3,
  estimatedCostUsd: 2,
  estimatedCostLowUsd: 1.8,
  estimatedCostHighUsd: 2.2,
  projectedCostUsd: 3,
  costVariancePct: 50,
  spendRateUsdPerHour: 0,
  billableSeconds: 4000,
  hourlyRateUsd: 2.49,
  pricingTier: "SPOT" as const,
  recoveryCount: 0,
};

describe("CostTracker", () => {
  it("blames slow training, not interruptions, when the job was never interrupted", () => {
    render(<CostTracker job={overrun} />);
    const warning = screen.getByTestId("cost-warning").textContent!;
    expect(warning).toContain("50% above the estimate: training took longer than estimated.");
    expect(warning).not.toMatch(/interrupt/);
  });

  it("names the interruptions when there were some", () => {
    render(<CostTracker job={{ ...overrun, recoveryCount: 2 }} />);
    expect(screen.getByTestId("cost-warning").textContent).toContain("interrupted 2 times, and recovering added billed time");
  });

  it("warns about nothing while the cost is within the estimate", () => {
    render(<CostTracker job={{ ...overrun, costOverrun: false, actualCostUsd: 1.9, costVariancePct: -5 }} />);
    expect(screen.queryByTestId("cost-warning")).toBeNull();
  });
});
