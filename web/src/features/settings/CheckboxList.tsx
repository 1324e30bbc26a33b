import { useId } from "react";
import { FieldMessage } from "../../components/States";
import type { AlertType } from "../../graphql/graphql";
import { ALERT_GROUPS } from "./alertTypes";

export type CheckboxOption<T extends string> = { value: T; label: string; help?: string };

/** A fieldset of checkboxes choosing several values, each with an optional line of help, and the error about them. */
export function CheckboxList<T extends string>({
  legend,
  options,
  selected,
  onChange,
  error,
  disabled,
}: {
  legend: string;
  options: CheckboxOption<T>[];
  selected: T[];
  onChange(selected: T[]): void;
  error?: string | null;
  disabled?: boolean;
}) {
  const id = useId();
  const toggle = (value: T, on: boolean) => onChange(on ? [...selected, value] : selected.filter((v) => v !== value));
  return (
    <fieldset className="checkbox-list" aria-describedby={error ? `${id}-message` : undefined}>
      <legend>{legend}</legend>
      {options.map((option) => (
        <div key={option.value}>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={selected.includes(option.value)}
              onChange={(e) => toggle(option.value, e.target.checked)}
              disabled={disabled}
              aria-describedby={option.help ? `${id}-${option.value}` : undefined}
            />{" "}
            {option.label}
          </label>
          {option.help && (
            <p id={`${id}-${option.value}`} className="field-help checkbox-help">
              {option.help}
            </p>
          )}
        </div>
      ))}
      <FieldMessage id={`${id}-message`} error={error} />
    </fieldset>
  );
}

/** The alert types, grouped (jobs, costs, budget), as one choice. */
export function AlertTypeChoice({
  legend,
  selected,
  onChange,
  error,
}: {
  legend: string;
  selected: AlertType[];
  onChange(selected: AlertType[]): void;
  error?: string | null;
}) {
  const id = useId();
  return (
    <fieldset aria-describedby={error ? `${id}-message` : undefined}>
      <legend>{legend}</legend>
      <div className="alert-groups">
        {ALERT_GROUPS.map(({ group, options }) => (
          <CheckboxList key={group} legend={group} options={options} selected={selected} onChange={onChange} />
        ))}
      </div>
      <FieldMessage id={`${id}-message`} error={error} />
    </fieldset>
  );
}
