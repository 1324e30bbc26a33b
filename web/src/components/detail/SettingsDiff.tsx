import { configLabel, formatConfigValue } from "./ConfigTable";
import type { ConfigChange } from "./RetryDialog";

/** Settings changes as a diff: the old value struck out in red, the new one in green. */
export function SettingsDiff({ changes, empty }: { changes: ConfigChange[]; empty: string }) {
  if (changes.length === 0)
    return (
      <p className="muted" data-testid="settings-diff">
        {empty}
      </p>
    );
  return (
    <pre className="diff" data-testid="settings-diff" aria-label="Settings diff">
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
    </pre>
  );
}
