import { useId, useState } from "react";
import { FieldMessage } from "../../components/States";
import { ADVANCED_FIELDS, TARGET_MODULES } from "./jobForm";

type Props = {
  values: Record<string, string>;
  /** The preset's values, shown as placeholders: an empty field keeps them. */
  defaults: Record<string, unknown>;
  targetModules: string[] | null;
  errors: Record<string, string | null | undefined>;
  onChange(key: string, value: string): void;
  onTargetModules(modules: string[] | null): void;
};

/** Every hyperparameter, behind a toggle, each with what it does. */
export function AdvancedOptions({ values, defaults, targetModules, errors, onChange, onTargetModules }: Props) {
  const id = useId();
  const changed = Object.values(values).filter((v) => v.trim()).length + (targetModules ? 1 : 0);
  const hasErrors = Object.values(errors).some(Boolean);
  const [open, setOpen] = useState(changed > 0 || hasErrors);
  const isOpen = open || hasErrors;
  const modules = targetModules ?? (defaults.targetModules as string[] | undefined) ?? ["q_proj", "v_proj"];

  return (
    <div className="advanced">
      <button type="button" className="disclosure" aria-expanded={isOpen} aria-controls={`${id}-panel`} onClick={() => setOpen(!isOpen)}>
        <span aria-hidden="true">{isOpen ? "▾" : "▸"}</span> Advanced options
        {changed > 0 && <span className="badge badge-neutral">{changed} changed</span>}
      </button>
      {isOpen && (
        <div id={`${id}-panel`} className="advanced-panel">
          <p className="muted">Leave a field empty to keep the preset's value.</p>
          <div className="form-grid">
            {ADVANCED_FIELDS.map((field) => (
              <div className="field" key={field.key}>
                <label htmlFor={`${id}-${field.key}`}>{field.label}</label>
                <input
                  id={`${id}-${field.key}`}
                  name={field.key}
                  inputMode={field.kind === "int" ? "numeric" : "decimal"}
                  placeholder={defaults[field.key] != null ? String(defaults[field.key]) : ""}
                  value={values[field.key] ?? ""}
                  onChange={(e) => onChange(field.key, e.target.value)}
                  aria-invalid={Boolean(errors[field.key])}
                  aria-describedby={`${id}-${field.key}-message`}
                />
                <FieldMessage id={`${id}-${field.key}-message`} error={errors[field.key]}>
                  {field.help}
                </FieldMessage>
              </div>
            ))}
          </div>
          <fieldset className="modules" aria-describedby={`${id}-modules-message`}>
            <legend>Target modules</legend>
            {TARGET_MODULES.map((module) => (
              <label key={module} className="checkbox">
                <input
                  type="checkbox"
                  checked={modules.includes(module)}
                  onChange={(e) => onTargetModules(e.target.checked ? [...modules, module] : modules.filter((m) => m !== module))}
                />
                <code>{module}</code>
              </label>
            ))}
            {targetModules && (
              <button type="button" className="link-button" onClick={() => onTargetModules(null)}>
                Use the preset's modules
              </button>
            )}
            <FieldMessage id={`${id}-modules-message`} error={errors.targetModules}>
              The layers that get adapters. Attention projections (q, v) are the classic choice; adding the MLP (gate, up, down) learns more
              at a higher cost.
            </FieldMessage>
          </fieldset>
        </div>
      )}
    </div>
  );
}
