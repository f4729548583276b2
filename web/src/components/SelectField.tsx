// A labelled drop-down of a query-string page (Serve, Reliability): it shows the current value even
// when the list does not hold it (a value typed into the URL), so the form never hides what runs.
import type { CatalogSummary } from "../protocol.ts";

export interface SelectOption {
  value: string;
  text: string;
}

export function SelectField({
  name,
  label,
  value,
  options,
  onChange,
  wide = true,
}: {
  name: string;
  label: string;
  value: string;
  options: SelectOption[];
  onChange: (value: string) => void;
  wide?: boolean;
}) {
  return (
    <label class={wide ? "field wide" : "field"}>
      <span>{label}</span>
      <select name={name} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {!options.some((o) => o.value === value) && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option value={o.value}>{o.text}</option>
        ))}
      </select>
    </label>
  );
}

/** The catalog's systems as options: name and chip. */
export const systemOptions = (catalog: CatalogSummary): SelectOption[] =>
  catalog.systems.map((s) => ({ value: s.id, text: `${s.name} (${s.chip})` }));
