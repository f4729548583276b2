// A shard's append-only log of finished points, so that a sweep killed at any moment and run again
// loses no finished point and duplicates none.
//
// The first line names the sweep (hash) and the shard; each later line is one finished point's row
// (a JSON array, the point number first) then a tab and the first 16 hex digits of the row's SHA-256,
// appended in one write as soon as a worker hands it back. A kill can tear only the last line: on
// reopening, every complete line is kept, a torn tail is cut off, and a point already logged is never
// run again (and, were it ever logged twice, kept once). A complete line whose checksum does not
// match, or whose point is not the shard's, was damaged after it was written: it is counted, not
// kept, and its point runs again.
// When the shard is done, the log is compacted into the shard's result file (read back by point, a
// block at a time, written atomically) and only then deleted: a kill between the two leaves the log,
// which the rerun finds superseded by the finished file.
//
// The log keeps where each point's line is, not the row itself, so a shard of millions of points
// needs memory for its index, not its results.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { UltrasimError } from "../../engine/errors.js";
import type { Cell } from "../../engine/sweep/sweepColumns.js";

export interface LogHeader {
  /** 2: lines carry a checksum. A log of version 1 (none) is started afresh. */
  ultrasimSweepLog: 2;
  hash: string;
  shard: number;
  shards: number;
}

/** A line's place in the log, packed in one number: byte offset · 2^21 + length (lines are far below 2 MB). */
const LENGTH_BITS = 2 ** 21;
const READ_CHUNK = 1 << 23;

/** A row's line checksum: the first 16 hex digits of SHA-256 of its JSON. */
const lineChecksum = (json: string) => createHash("sha256").update(json).digest("hex").slice(0, 16);

/** A row's line in the log, with its newline. */
export const logLine = (row: Cell[]) => {
  const json = JSON.stringify(row);
  return `${json}\t${lineChecksum(json)}\n`;
};

/** The row of a log line (without its newline), or null when the line is damaged. */
function parseLine(line: string): Cell[] | null {
  const tab = line.lastIndexOf("\t");
  if (tab < 0) return null;
  const json = line.slice(0, tab);
  if (line.slice(tab + 1) !== lineChecksum(json)) return null;
  try {
    const row = JSON.parse(json) as unknown;
    return Array.isArray(row) && Number.isInteger(row[0]) ? (row as Cell[]) : null;
  } catch {
    return null;
  }
}

export class ResultLog {
  /** Where each logged point's line is, by point. */
  private readonly lines = new Map<number, number>();
  private fd: number;
  /** Bytes in the log: where the next line goes. */
  private bytes = 0;
  /** Complete lines found damaged on reopening (not kept: their points run again). */
  private damaged = 0;

  /** `owns`: whether a point is this shard's. */
  constructor(
    readonly path: string,
    header: Omit<LogHeader, "ultrasimSweepLog">,
    owns: (point: number) => boolean = () => true,
  ) {
    const expected: LogHeader = { ultrasimSweepLog: 2, ...header };
    const headerLine = JSON.stringify(expected) + "\n";
    if (!existsSync(path)) {
      this.fd = openSync(path, "a");
      this.write(headerLine);
      return;
    }
    // Read the log a chunk at a time, line by line: complete lines are kept, a torn tail is not.
    const fd = openSync(path, "r+");
    const size = fstatSync(fd).size;
    let kept = 0;
    let lineNumber = 0;
    let carry = Buffer.alloc(0);
    let carryAt = 0;
    let torn = false;
    for (let position = 0; position < size && !torn;) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - position));
      const read = readSync(fd, chunk, 0, chunk.length, position);
      position += read;
      const buffer = carry.length ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      let start = 0;
      for (let end = buffer.indexOf(10, start); end >= 0; end = buffer.indexOf(10, start)) {
        const offset = carryAt + start;
        if (lineNumber === 0) {
          let h: Partial<LogHeader> | undefined;
          try {
            const parsed = JSON.parse(buffer.toString("utf8", start, end)) as unknown;
            h = typeof parsed === "object" && parsed !== null ? (parsed as Partial<LogHeader>) : undefined;
          } catch {
            h = undefined;
          }
          const older = h?.hash === expected.hash && h.shard === expected.shard && h.shards === expected.shards && h.ultrasimSweepLog !== 2;
          // Written by an older ultrasim without line checksums, or a damaged first line (the file's
          // name already says whose log it is): start afresh.
          if (h === undefined || older) {
            if (h === undefined) this.damaged++;
            torn = true;
            break;
          }
          if (h.ultrasimSweepLog !== 2 || h.hash !== expected.hash || h.shard !== expected.shard || h.shards !== expected.shards) {
            closeSync(fd);
            throw new UltrasimError(
              "INVALID_INPUT",
              `this log belongs to another sweep or shard, or its first line is damaged (${buffer.toString("utf8", start, Math.min(end, start + 200))}): delete it or use another --out`,
              { file: path },
            );
          }
        } else {
          const row = parseLine(buffer.toString("utf8", start, end));
          const point = row?.[0] as number | undefined;
          if (point === undefined || !owns(point)) this.damaged++;
          else if (!this.lines.has(point)) this.lines.set(point, offset * LENGTH_BITS + (end + 1 - start));
        }
        lineNumber++;
        start = end + 1;
        kept = carryAt + start;
      }
      carry = buffer.subarray(start);
      carryAt += start;
    }
    if (kept === 0) {
      ftruncateSync(fd, 0);
      closeSync(fd);
      this.fd = openSync(path, "a");
      this.write(headerLine);
      return;
    }
    if (kept < size) ftruncateSync(fd, kept);
    closeSync(fd);
    this.bytes = kept;
    this.fd = openSync(path, "a");
  }

  private write(text: string): void {
    const bytes = Buffer.from(text);
    writeSync(this.fd, bytes);
    this.bytes += bytes.length;
  }

  /** Complete lines found damaged on reopening (not kept: their points run again). */
  get damagedLines(): number {
    return this.damaged;
  }

  /** Points logged. */
  get size(): number {
    return this.lines.size;
  }

  has(point: number): boolean {
    return this.lines.has(point);
  }

  /** Logged points, in the order first logged. */
  points(): number[] {
    return [...this.lines.keys()];
  }

  /** Log finished rows, in one write; rows already logged are skipped. */
  append(rows: Cell[][]): void {
    const fresh = rows.filter((row) => !this.lines.has(row[0] as number));
    if (fresh.length === 0) return;
    let offset = this.bytes;
    const text = fresh
      .map((row) => {
        const line = logLine(row);
        const length = Buffer.byteLength(line);
        if (length >= LENGTH_BITS) throw new Error(`internal: a result row of ${length} bytes`);
        this.lines.set(row[0] as number, offset * LENGTH_BITS + length);
        offset += length;
        return line;
      })
      .join("");
    this.write(text);
  }

  /** The rows of `points`, read back from the log (every one must have been logged). */
  rows(points: number[]): Cell[][] {
    const fd = openSync(this.path, "r");
    try {
      return points.map((point) => {
        const at = this.lines.get(point);
        if (at === undefined) throw new Error(`internal: point ${point} is not in ${this.path}`);
        const length = at % LENGTH_BITS;
        const bytes = Buffer.allocUnsafe(length);
        readSync(fd, bytes, 0, length, (at - length) / LENGTH_BITS);
        const row = parseLine(bytes.toString("utf8", 0, length - 1));
        if (row === null)
          throw new UltrasimError("INVALID_INPUT", `point ${point}'s line changed while the shard ran`, { file: this.path });
        return row;
      });
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
