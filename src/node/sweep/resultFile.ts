// Result files of a sweep, one row per point: Parquet (the default: pandas, polars, DuckDB, Spark),
// CSV or JSONL. Every file is written whole to a temporary name, flushed, then renamed into place,
// so a reader (or a rerun after a kill) sees the finished file or none, never half of one.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { ByteWriter, parquetWrite } from "hyparquet-writer";
import { UltrasimError } from "../../engine/errors.js";
import type { Cell, Column } from "../../engine/sweep/sweepColumns.js";

export const RESULT_FORMATS = ["parquet", "csv", "jsonl"] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** Write `bytes` to `path` atomically: a temporary file beside it, flushed to disk, then renamed over it. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(temporary, "w");
  try {
    writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(temporary, path);
}

function csvCell(value: Cell): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) || text === "" ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The file's bytes: rows are arrays of cells in `columns` order. */
export function encodeRows(
  format: ResultFormat,
  columns: Column[],
  rows: Cell[][],
  metadata: Record<string, string> = {},
): Uint8Array | string {
  if (format === "jsonl")
    return rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, row[i]]))) + "\n").join("");
  if (format === "csv")
    return [columns.map((c) => c.name), ...rows].map((row) => row.map((v) => csvCell(v as Cell)).join(",") + "\n").join("");
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: columns.map((c, i) => ({ name: c.name, type: c.type, nullable: c.name !== "point", data: rows.map((row) => row[i]) })),
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: "ultrasim sweep (hyparquet-writer)",
  });
  return new Uint8Array(writer.getBuffer());
}

export function writeRows(path: string, format: ResultFormat, columns: Column[], rows: Cell[][], metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeRows(format, columns, rows, metadata));
}

/** RFC 4180 fields of a CSV text, row by row; an empty field that was not quoted is null. */
function parseCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let field = "";
  let quoted = false;
  let wasQuoted = false;
  const endField = () => {
    row.push(field === "" && !wasQuoted ? null : field);
    field = "";
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = wasQuoted = true;
    else if (ch === ",") endField();
    else if (ch === "\n") {
      endField();
      rows.push(row);
      row = [];
    } else if (ch !== "\r") field += ch;
  }
  if (field !== "" || wasQuoted || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

function fromText(text: string | null, column: Column): Cell {
  if (text === null) return null;
  if (column.type === "BOOLEAN") return text === "true";
  if (column.type === "STRING") return text;
  return Number(text);
}

export interface ReadResult {
  rows: Cell[][];
  metadata: Record<string, string>;
}

/** Read a result file back as rows in `columns` order; an error names the file if it does not match them. */
export async function readRows(path: string, format: ResultFormat, columns: Column[]): Promise<ReadResult> {
  const wrong = (what: string) => new UltrasimError("INVALID_INPUT", `not a result file of this sweep: ${what}`, { file: path });
  const bytes = readFileSync(path);
  if (format === "parquet") {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(buffer);
    const names = meta.schema.slice(1).map((s) => s.name);
    if (names.join(",") !== columns.map((c) => c.name).join(",")) throw wrong(`its columns are ${names.join(", ")}`);
    const objects = await parquetReadObjects({ file: buffer });
    const metadata = Object.fromEntries((meta.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? ""]));
    return { rows: objects.map((o) => columns.map((c) => normalise(o[c.name]))), metadata };
  }
  const text = bytes.toString("utf8");
  if (format === "jsonl") {
    const rows = text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        const o = JSON.parse(line) as Record<string, Cell>;
        return columns.map((c) => (c.name in o ? o[c.name]! : null));
      });
    return { rows, metadata: {} };
  }
  const [header, ...body] = parseCsv(text);
  if (header?.join(",") !== columns.map((c) => c.name).join(",")) throw wrong(`its header is ${header?.join(",")}`);
  return { rows: body.map((fields) => columns.map((c, i) => fromText(fields[i] ?? null, c))), metadata: {} };
}

/** Parquet readers hand back bigint for 64-bit integers and undefined for missing values. */
function normalise(value: unknown): Cell {
  if (value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  return value as Cell;
}
