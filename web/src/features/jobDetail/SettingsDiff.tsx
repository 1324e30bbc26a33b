import { configLabel, effectiveBatch, formatConfigValue } from "./ConfigTable";
import type { ConfigChange } from "./RetryDialog";

/** The settings before `changes`, given the ones after them. */
export function configBefore(after: Record<string, unknown>, changes: ConfigChange[]): Record<string, unknown> {
  return { ...after, ...Object.fromEntries(changes.map((c) => [c.field, c.from])) };
}

/**
 * Settings changes as a diff: the old value struck out in red, the new one in
 * green. When the batch changes, the effective batch follows: the line that
 * says whether the learning dynamics stay the same.
 */
export function SettingsDiff({ changes, empty, before }: { changes: ConfigChange[]; empty: string; before: Record<string, unknown> }) {
  if (changes.length === 0)
    return (
      <p className="muted" data-testid="settings-diff">
        {empty}
      </p>
    );
  const after = { ...before, ...Object.fromEntries(changes.map((c) => [c.field, c.to])) };
  const batchChanged = changes.some((c) => c.field === "batchSize" || c.field === "gradientAccumulationSteps");
  const [from, to] = [effectiveBatch(before), effectiveBatch(after)];
  return (
    <pre className="diff" data-testid="settings-diff" role="figure" aria-label="Settings diff">
      {changes.map((c) => (
        <span key={c.field}>
          <span className="diff-del">
            - {configLabel(c.field)}: {formatConfigValue(c.from)}
          </span>
          {"\n"}
          <span className="diff-add">
            + {configLabel(c.field)}: {formatConfigValue(c.to)}
          </span>
          {"\n"}
        </span>
      ))}
      {batchChanged && from !== null && to !== null && (
        <span data-testid="effective-batch">
          {from === to ? (
            `  ${configLabel("effectiveBatch")}: ${from} (unchanged: the same learning dynamics)`
          ) : (
            <>
              <span className="diff-del">
                - {configLabel("effectiveBatch")}: {from}
              </span>
              {"\n"}
              <span className="diff-add">
                + {configLabel("effectiveBatch")}: {to}
              </span>
            </>
          )}
          {"\n"}
        </span>
      )}
    </pre>
  );
}
