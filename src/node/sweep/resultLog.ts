// A shard's append-only log of finished points, so that a sweep killed at any moment and run again
// loses no finished point and duplicates none.
//
// The first line names the sweep (hash) and the shard; each later line is one finished point's row
// (a JSON array, the point number first), appended in one write as soon as a worker hands it back. A
// kill can tear only the last line: on reopening, every complete line is kept, a torn tail is cut
// off, and a point already logged is never run again (and, were it ever logged twice, kept once).
// When the shard is done, the log is compacted into the shard's result file (read back by point, a
// block at a time, written atomically) and only then deleted: a kill between the two leaves the log,
// which the rerun finds superseded by the finished file.
//
// The log keeps where each point's line is, not the row itself, so a shard of millions of points
// needs memory for its index, not its results.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { UltrasimError } from "../../engine/errors.js";
import type { Cell } from "../../engine/sweep/sweepColumns.js";

interface LogHeader {
  ultrasimSweepLog: 1;
  hash: string;
  shard: number;
  shards: number;
}

/** A line's place in the log, packed in one number: byte offset · 2^21 + length (lines are far below 2 MB). */
const LENGTH_BITS = 2 ** 21;
const READ_CHUNK = 1 << 23;

export class ResultLog {
  /** Where each logged point's line is, by point. */
  private readonly lines = new Map<number, number>();
  private fd: number;
  /** Bytes in the log: where the next line goes. */
  private bytes = 0;

  constructor(
    readonly path: string,
    header: Omit<LogHeader, "ultrasimSweepLog">,
  ) {
    const expected: LogHeader = { ultrasimSweepLog: 1, ...header };
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
        let parsed: unknown;
        try {
          parsed = JSON.parse(buffer.toString("utf8", start, end));
        } catch {
          torn = true;
          break;
        }
        if (lineNumber === 0) {
          const h = parsed as LogHeader;
          if (h.ultrasimSweepLog !== 1 || h.hash !== expected.hash || h.shard !== expected.shard || h.shards !== expected.shards) {
            closeSync(fd);
            throw new UltrasimError(
              "INVALID_INPUT",
              `this log belongs to another sweep or shard (${JSON.stringify(h)}): delete it or use another --out`,
              { file: path },
            );
          }
        } else {
          const point = (parsed as Cell[])[0] as number;
          if (!this.lines.has(point)) this.lines.set(point, offset * LENGTH_BITS + (end + 1 - start));
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
        const line = JSON.stringify(row) + "\n";
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
        return JSON.parse(bytes.toString("utf8", 0, length - 1)) as Cell[];
      });
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
