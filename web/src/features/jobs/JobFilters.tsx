import { useEffect, useState } from "react";
import { useDebounced } from "../../hooks/useDebounced";
import { humanize } from "../../format";
import { PRESET_OPTIONS, STATUS_GROUPS, type ListParams } from "./jobListParams";

type Props = {
  params: ListParams;
  onChange(next: Partial<ListParams>): void;
  members: { id: string; name: string }[];
  myId: string | null;
};

/** Free-text inputs wait for a pause in typing before they query. */
function useDebouncedText(value: string, onCommit: (value: string) => void): [string, (v: string) => void] {
  const [text, setText] = useState(value);
  const debounced = useDebounced(text, 300);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    // Only a settled change of the typed text commits; a new `value` from the URL does not.
    if (debounced !== value) onCommit(debounced);
  }, [debounced]);
  return [text, setText];
}

export function JobFilters({ params, onChange, members, myId }: Props) {
  const [q, setQ] = useDebouncedText(params.q, (value) => onChange({ q: value }));
  const [tag, setTag] = useDebouncedText(params.tag, (value) => onChange({ tag: value }));
  const active = params.status || params.preset || params.from || params.to || params.creator || params.tag || params.q;

  return (
    <form className="filters" role="search" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
      <div className="field field-grow">
        <label htmlFor="filter-q">Search</label>
        <input id="filter-q" type="search" placeholder="Words in names and notes" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" value={params.status} onChange={(e) => onChange({ status: e.target.value })}>
          <option value="">Any status</option>
          {Object.entries(STATUS_GROUPS).map(([value, group]) => (
            <option key={value} value={value}>
              {group.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-preset">Preset</label>
        <select id="filter-preset" value={params.preset} onChange={(e) => onChange({ preset: e.target.value })}>
          <option value="">Any preset</option>
          {PRESET_OPTIONS.map((preset) => (
            <option key={preset} value={preset}>
              {humanize(preset)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-from">Created from</label>
        <input
          id="filter-from"
          type="date"
          value={params.from}
          max={params.to || undefined}
          onChange={(e) => onChange({ from: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor="filter-to">to</label>
        <input
          id="filter-to"
          type="date"
          value={params.to}
          min={params.from || undefined}
          onChange={(e) => onChange({ to: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor="filter-creator">Creator</label>
        <select id="filter-creator" value={params.creator} onChange={(e) => onChange({ creator: e.target.value })}>
          <option value="">Anyone</option>
          {members.map((member) => (
            <option key={member.id} value={member.id}>
              {member.id === myId ? `${member.name} (me)` : member.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-tag">Tag</label>
        <input id="filter-tag" type="text" placeholder="e.g. finance" value={tag} onChange={(e) => setTag(e.target.value)} size={10} />
      </div>
      {active && (
        <button
          type="button"
          className="button button-quiet filters-clear"
          onClick={() => onChange({ status: "", preset: "", from: "", to: "", creator: "", tag: "", q: "" })}
        >
          Clear filters
        </button>
      )}
    </form>
  );
}
