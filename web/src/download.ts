// Files the user takes away: JSON (what `ultrasim train --json` prints), CSV, YAML and Perfetto traces.
export function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const csvCell = (value: unknown): string => {
  const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** Rows of objects as CSV, columns in the order of the first row's keys. */
export function toCsv(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n";
}

/** A nested object as field,value rows with dotted field paths. */
export function flatten(value: unknown, prefix = ""): Record<string, unknown>[] {
  if (value === null || typeof value !== "object" || (Array.isArray(value) && value.every((v) => typeof v !== "object")))
    return [{ field: prefix, value: Array.isArray(value) ? value.join("; ") : value }];
  return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}
