// Terminal tables that fit the terminal: on a TTY narrower than a table, its widest columns wrap, and
// where wrapping cannot make it fit, its lowest-priority columns are left out, with a line saying which.
// Unchanged when stdout is not a terminal (pipes, files) and never used for --json.
import CliTable3 from "cli-table3";

/** The options cli-table3 takes: ours (dropOrder) taken out. */
function tableOptions(options: Options): CliTable3.TableConstructorOptions {
  const rest: Options = { ...options };
  delete rest.dropOrder;
  return rest;
}

type Options = CliTable3.TableConstructorOptions & {
  /** Columns to leave out first when the table cannot fit, by index (default: from the last column leftwards). */
  dropOrder?: number[];
};

/** The narrowest a wrapped column gets, padding included. */
const MIN_COLUMN_WIDTH = 10;

/** The terminal's width when stdout is one; undefined otherwise (then tables are left as they are). */
export function terminalColumns(): number | undefined {
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined;
}

const lineWidth = (text: string) => Math.max(...text.split("\n").map((l) => l.length));

export default class FittedTable extends (CliTable3 as unknown as new (options?: CliTable3.TableConstructorOptions) => CliTable3.Table) {
  private readonly given: Options;
  constructor(options: Options = {}) {
    super(tableOptions(options));
    this.given = options;
  }

  override toString(): string {
    return this.render(terminalColumns());
  }

  /** The table as text at most `width` columns wide (as is where `width` is undefined or it fits). */
  render(width: number | undefined): string {
    const natural = renderTable(this.given, [...this]);
    if (width === undefined || lineWidth(natural) <= width) return natural;
    return fitTable(this.given, [...this], width);
  }
}

type Row = CliTable3.HorizontalTableRow | CliTable3.VerticalTableRow | CliTable3.CrossTableRow;

function renderTable(options: Options, rows: Row[], colWidths?: number[]): string {
  const table = new CliTable3({
    ...tableOptions(options),
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  });
  table.push(...rows);
  return table.toString();
}

/** Each column's width (padding included) as cli-table3 lays the table out. */
function columnWidths(options: Options, rows: Row[]): number[] {
  const table = new CliTable3(tableOptions(options));
  table.push(...rows);
  table.toString(); // lays out, filling options.colWidths
  return table.options.colWidths.map((w) => w ?? 0);
}

/** A horizontal row without column `drop`: a cell spanning it spans one column less. */
function withoutColumn(row: CliTable3.HorizontalTableRow, drop: number): CliTable3.HorizontalTableRow {
  const out: CliTable3.HorizontalTableRow = [];
  let column = 0;
  for (const cell of row) {
    const span = typeof cell === "object" && cell !== null && "colSpan" in cell ? (cell.colSpan ?? 1) : 1;
    if (drop >= column && drop < column + span) {
      if (span > 1) out.push({ ...(cell as CliTable3.CellOptions), colSpan: span - 1 });
    } else out.push(cell);
    column += span;
  }
  return out;
}

export function fitTable(options: Options, rows: Row[], width: number): string {
  const horizontal = rows.every((r) => Array.isArray(r));
  let head = options.head ? [...options.head] : undefined;
  let current = rows;
  const natural = columnWidths(options, rows);
  let kept = natural.map((_, i) => i);
  const dropped: string[] = [];
  // The table's own order first, then from the last column leftwards.
  const fromRight = kept.slice(1).reverse();
  const order = [...(options.dropOrder ?? []), ...fromRight.filter((i) => !options.dropOrder?.includes(i))].filter(
    (i) => i > 0 && i < natural.length,
  );
  // A column wraps between words, never inside one: its narrowest is its longest word (padding included).
  const longestWord = longestWords(head, rows as CliTable3.HorizontalTableRow[], natural.length, horizontal);
  const minimum = (i: number) => Math.min(natural[i]!, Math.max(MIN_COLUMN_WIDTH, longestWord[i]! + 2));
  const fitsWrapped = () => kept.reduce((s, i) => s + minimum(i), 0) + kept.length + 1 <= width;
  // Leave out columns only where wrapping cannot make the table fit, and keep at least two.
  for (const column of order) {
    if (fitsWrapped() || !horizontal || kept.length <= 2) break;
    const at = kept.indexOf(column);
    if (at < 0) continue;
    dropped.push(head?.[at] ?? `column ${column + 1}`);
    head = head?.filter((_, i) => i !== at);
    current = (current as CliTable3.HorizontalTableRow[]).map((r) => withoutColumn(r, at));
    kept = kept.filter((i) => i !== column);
  }
  // Wrap: cap the widest columns at the width that makes the table fit (water-filling).
  const available = width - kept.length - 1;
  const widths = kept.map((i) => natural[i]!);
  const total = (cap: number) => kept.reduce((s, i) => s + Math.min(natural[i]!, Math.max(cap, minimum(i))), 0);
  let cap = Math.max(...widths);
  while (cap > MIN_COLUMN_WIDTH && total(cap) > available) cap--;
  const fitted = kept.map((i) => Math.min(natural[i]!, Math.max(cap, minimum(i))));
  const text = renderTable({ ...options, ...(head ? { head } : {}) }, current, fitted);
  if (!dropped.length) return text;
  const note = `(left out to fit the ${width}-column terminal: ${dropped.join(", ")}; a wider terminal or --json shows them)`;
  return `${text}\n${wrapWords(note, width)}`;
}

/** Each column's longest word, over the head and the one-column cells of the rows. */
function longestWords(head: string[] | undefined, rows: CliTable3.HorizontalTableRow[], columns: number, horizontal: boolean): number[] {
  const longest = new Array<number>(columns).fill(0);
  if (!horizontal) return longest;
  for (const row of head ? [head, ...rows] : rows) {
    let column = 0;
    for (const cell of row) {
      const options = typeof cell === "object" && cell !== null ? (cell as CliTable3.CellOptions) : null;
      const span = options?.colSpan ?? 1;
      if (span === 1 && column < columns) {
        const text = String(options ? options.content : cell);
        for (const word of text.split(/\s+/)) longest[column] = Math.max(longest[column]!, word.length);
      }
      column += span;
    }
  }
  return longest;
}

/** Words in lines of at most `width` characters (a longer word stands alone). */
function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join("\n");
}
