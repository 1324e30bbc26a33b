import { formatDuration, humanize } from "../../format";

export const STAGES = ["preprocessing", "model_loading", "training", "finalization"] as const;
/** Seconds spent and expected; percent when the trainer reports the stage's own progress. */
export type StageTiming = { elapsed: number | null; expected: number | null; percent?: number | null };

type StageState = "done" | "current" | "upcoming" | "stopped";

/** Where the stage stands, from the job's current stage and status. */
function stateOf(index: number, current: number, status: string): StageState {
  if (status === "COMPLETED") return "done";
  if (index < current) return "done";
  if (index === current) return status === "FAILED" || status === "CANCELLED" || status === "RECOVERING" ? "stopped" : "current";
  return "upcoming";
}

/** preprocessing → model loading → training → finalization, each with its elapsed and expected time. */
export function StageIndicator({
  stage,
  status,
  timings,
}: {
  stage: string | null;
  status: string;
  timings: Partial<Record<string, StageTiming>>;
}) {
  const current = STAGES.indexOf((stage ?? "") as (typeof STAGES)[number]);
  const started = current >= 0 || status === "COMPLETED";
  return (
    <ol className="stages" aria-label="Stages">
      {STAGES.map((name, index) => {
        const state = started ? stateOf(index, current, status) : "upcoming";
        const timing = timings[name];
        return (
          <li key={name} className={`stage stage-${state}`} aria-current={state === "current" ? "step" : undefined}>
            <span className="stage-marker" aria-hidden="true">
              {state === "done" ? "✓" : index + 1}
            </span>
            <span className="stage-name">{humanize(name)}</span>
            <span className="stage-time">
              {timing?.elapsed != null ? formatDuration(timing.elapsed) : state === "upcoming" ? "not started" : "—"}
              {timing?.expected != null && <span className="muted"> / ~{formatDuration(timing.expected)}</span>}
              {state === "current" && timing?.percent != null && <span className="stage-percent"> · {Math.floor(timing.percent)}%</span>}
            </span>
            <span className="visually-hidden">
              {state === "done" ? "(done)" : state === "current" ? "(in progress)" : state === "stopped" ? "(stopped here)" : "(upcoming)"}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
