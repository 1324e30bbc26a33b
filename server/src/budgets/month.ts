import { AppError } from "../errors.js";

// Budgets run per calendar month in UTC, named "YYYY-MM".

export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** Checks a "YYYY-MM" argument; none means the current month. */
export function parseMonth(value: string | null | undefined, field = "month"): string {
  if (value == null) return monthOf(new Date());
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!match) throw new AppError("VALIDATION", `${field} must look like 2026-06`, field);
  return value;
}

/** The month's first instant and the next month's first instant. */
export function monthRange(month: string): { start: Date; end: Date } {
  const [year, index] = month.split("-").map(Number);
  return { start: new Date(Date.UTC(year, index - 1, 1)), end: new Date(Date.UTC(year, index, 1)) };
}
