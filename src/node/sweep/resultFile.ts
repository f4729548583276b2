// Result files of a sweep, one row per point: Parquet (the default: pandas, polars, DuckDB, Spark),
// CSV or JSONL. Every file is written to a temporary name (whole, or a block of rows at a time for
// results too big to hold), flushed, then renamed into place, so a reader (or a rerun after a kill)
// sees the finished file or none, never half of one.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, basename, join } from "node:path";
import { parquetMetadata, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { fileWriter, ParquetWriter, schemaFromColumnData } from "hyparquet-writer";
import { UltrasimError } from "../../engine/errors.js";
import type { Cell, Column } from "../../engine/sweep/sweepColumns.js";

export const RESULT_FORMATS = ["parquet", "csv", "jsonl"] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** A temporary name beside `path`, for writing a file that is renamed into place once complete. */
const temporaryPath = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);

/**
 * Remove the temporary files of `path` that a killed writer left (killed between writing and
 * renaming). Only for a file whose writer holds a lock on it, as a shard's run does: then any
 * temporary of it is a dead writer's.
 */
export function removeTemporaries(path: string): void {
  const prefix = `.${basename(path)}.`;
  for (const name of readdirSync(dirname(path)))
    if (name.startsWith(prefix) && name.endsWith(".tmp")) rmSync(join(dirname(path), name), { force: true });
}

/** Flush a finished temporary file to disk and rename it over `path`. */
function commitFile(temporary: string, path: string): void {
  const fd = openSync(temporary, "r+");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temporary, path);
}

/** Write `bytes` to `path` atomically: a temporary file beside it, flushed to disk, then renamed over it. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const temporary = temporaryPath(path);
  try {
    writeFileSync(temporary, bytes);
    commitFile(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}

function csvCell(value: Cell): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) || text === "" ? `"${text.replaceAll('"', '""')}"` : text;
}

const CREATED_BY = "ultrasim sweep (hyparquet-writer)";
const keyValues = (metadata: Record<string, string>) => Object.entries(metadata).map(([key, value]) => ({ key, value }));
/** Parquet columns of `rows`: every column nullable but the point number. */
const columnSources = (columns: Column[], rows: Cell[][]) =>
  columns.map((c, i) => ({ name: c.name, type: c.type, nullable: c.name !== "point", data: rows.map((row) => row[i]) }));

/** A result file written a block of rows at a time, for results too big to hold at once. */
export interface RowWriter {
  write(rows: Cell[][]): void;
  /** Finish the file and rename it into place. */
  close(): void;
  /** Drop the unfinished file. */
  abort(): void;
}

/** One row of a CSV or JSONL file, without its newline. */
function textLine(format: "csv" | "jsonl", columns: Column[], row: Cell[]): string {
  return format === "jsonl" ? JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, row[i]]))) : row.map(csvCell).join(",");
}

/** A RowWriter for `format`: Parquet row groups, or CSV / JSONL lines (the CSV header first). */
export function openRowWriter(path: string, format: ResultFormat, columns: Column[], metadata: Record<string, string>): RowWriter {
  if (format === "parquet") {
    const parquet = new ParquetRowGroupWriter(path, columns, metadata);
    return { write: (rows) => parquet.writeRowGroup(rows), close: () => parquet.close(), abort: () => parquet.abort() };
  }
  const lines = new LineWriter(path);
  if (format === "csv") lines.write(csvHeader(columns));
  return {
    write: (rows) => rows.forEach((row) => lines.write(textLine(format, columns, row))),
    close: () => lines.close(),
    abort: () => lines.abort(),
  };
}

/**
 * A Parquet result file written one row group at a time, for results too big to hold in memory at
 * once: to a temporary file beside `path`, renamed into place by close().
 */
export class ParquetRowGroupWriter {
  private readonly temporary: string;
  private readonly parquet: ParquetWriter;

  constructor(
    private readonly path: string,
    private readonly columns: Column[],
    metadata: Record<string, string>,
  ) {
    this.temporary = temporaryPath(path);
    this.parquet = new ParquetWriter({
      writer: fileWriter(this.temporary),
      schema: schemaFromColumnData({ columnData: columnSources(columns, []) }),
      kvMetadata: keyValues(metadata),
      createdBy: CREATED_BY,
    });
  }

  writeRowGroup(rows: Cell[][]): void {
    if (rows.length === 0) return;
    // The schema is the file's, given once: the columns here carry only names and values.
    const columnData = columnSources(this.columns, rows).map(({ name, data }) => ({ name, data }));
    void this.parquet.write({ columnData, rowGroupSize: rows.length });
  }

  close(): void {
    void this.parquet.finish();
    commitFile(this.temporary, this.path);
  }

  /** Drop the unfinished file. */
  abort(): void {
    rmSync(this.temporary, { force: true });
  }
}

/**
 * The lines of a text file, one at a time, read a chunk at a time (the file is opened for each chunk,
 * so a merge of thousands of shards holds no file open between reads).
 */
export class LineReader {
  private position = 0;
  private pending = Buffer.alloc(0);
  private ended = false;

  constructor(readonly path: string) {}

  /**
   * The next CSV record: lines joined while a quoted field is open (an odd number of quotes so far),
   * since a quoted field may hold a newline.
   */
  nextRecord(): string | null {
    let record = this.next();
    const quotes = (text: string) => text.split('"').length - 1;
    while (record !== null && quotes(record) % 2 === 1) {
      const more = this.next();
      if (more === null) break;
      record += "\n" + more;
    }
    return record;
  }

  /** The next line without its newline, or null at the end; a last line without a newline counts. */
  next(): string | null {
    for (;;) {
      const newline = this.pending.indexOf(10);
      if (newline >= 0) {
        const line = this.pending.toString("utf8", 0, newline);
        this.pending = this.pending.subarray(newline + 1);
        return line;
      }
      if (this.ended) {
        if (this.pending.length === 0) return null;
        const line = this.pending.toString("utf8");
        this.pending = Buffer.alloc(0);
        return line;
      }
      const fd = openSync(this.path, "r");
      const chunk = Buffer.allocUnsafe(1 << 16);
      const read = readSync(fd, chunk, 0, chunk.length, this.position);
      closeSync(fd);
      this.position += read;
      if (read === 0) this.ended = true;
      this.pending = Buffer.concat([this.pending, chunk.subarray(0, read)]);
    }
  }
}

/** A text file written a line at a time, buffered; to a temporary file renamed into place by close(). */
export class LineWriter {
  private readonly temporary: string;
  private readonly fd: number;
  private lines: string[] = [];
  private bytes = 0;
  private open = true;

  constructor(private readonly path: string) {
    this.temporary = temporaryPath(path);
    this.fd = openSync(this.temporary, "w");
  }

  write(line: string): void {
    this.lines.push(line, "\n");
    this.bytes += line.length + 1;
    if (this.bytes > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.lines.length) writeSync(this.fd, Buffer.from(this.lines.join("")));
    this.lines = [];
    this.bytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    this.open = false;
    commitFile(this.temporary, this.path);
  }

  abort(): void {
    if (this.open) closeSync(this.fd);
    this.open = false;
    rmSync(this.temporary, { force: true });
  }
}

/** The header line of a CSV result file. */
export const csvHeader = (columns: Column[]) => columns.map((c) => csvCell(c.name)).join(",");

/** A Parquet result file read a range of rows at a time. */
export class ParquetRowReader {
  private readonly fd: number;
  private readonly file: AsyncBuffer;

  private constructor(
    readonly metadata: FileMetaData,
    fd: number,
    file: AsyncBuffer,
  ) {
    this.fd = fd;
    this.file = file;
  }

  /** Open `path`; an error names the file if its columns are not `columns`. */
  static async open(path: string, columns: Column[]): Promise<ParquetRowReader> {
    const fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const file: AsyncBuffer = {
      byteLength: size,
      slice: (start: number, end = size) => {
        const bytes = Buffer.allocUnsafe(end - start);
        readSync(fd, bytes, 0, end - start, start);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      },
    };
    try {
      const metadata = await parquetMetadataAsync(file);
      const names = metadata.schema.slice(1).map((s) => s.name);
      if (names.join(",") !== columns.map((c) => c.name).join(","))
        throw new UltrasimError("INVALID_INPUT", `not a result file of this sweep: its columns are ${names.join(", ")}`, { file: path });
      return new ParquetRowReader(metadata, fd, file);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get rowCount(): number {
    return Number(this.metadata.num_rows);
  }

  /** The file's key-value metadata. */
  get keyValues(): Record<string, string> {
    return Object.fromEntries((this.metadata.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? ""]));
  }

  /** Rows [start, end), in `columns` order. */
  async rows(columns: Column[], start: number, end: number): Promise<Cell[][]> {
    const objects = await parquetReadObjects({ file: this.file, metadata: this.metadata, rowStart: start, rowEnd: end });
    return objects.map((o) => columns.map((c) => normalise(o[c.name])));
  }

  close(): void {
    closeSync(this.fd);
  }
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
