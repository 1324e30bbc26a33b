import type { ReactNode } from "react";

/** One headline figure (validation, review, registry): a title, the value, marked pass or fail when it has a target, and a line of context. */
export function MetricCard({
  title,
  value,
  ok = null,
  children,
}: {
  title: string;
  value: ReactNode;
  ok?: boolean | null;
  children?: ReactNode;
}) {
  return (
    <div className="metric-card">
      <h3>{title}</h3>
      <div className={`metric-value ${ok === null ? "" : ok ? "metric-pass" : "metric-fail"}`}>{value}</div>
      {children && <div className="small muted">{children}</div>}
    </div>
  );
}
