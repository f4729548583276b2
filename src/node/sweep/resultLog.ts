// A shard's append-only log of finished points, so that a sweep killed at any moment and run again
// loses no finished point and duplicates none.
//
// The first line names the sweep (hash) and the shard; each later line is one finished point's row
// (a JSON array, the point number first), appended in one write as soon as a worker hands it back. A
// kill can tear only the last line: on reopening, every complete line is kept, a torn tail is cut
// off, and a point already logged is never run again (and, were it ever logged twice, kept once).
// When the shard is done, the log is compacted into the shard's result file (sorted by point,
// written atomically) and only then deleted: a kill between the two leaves the log, which the rerun
// finds superseded by the finished file.
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { UltrasimError } from "../../engine/errors.js";
import type { Cell } from "../../engine/sweep/sweepColumns.js";

interface LogHeader {
  ultrasimSweepLog: 1;
  hash: string;
  shard: number;
  shards: number;
}

export class ResultLog {
  /** Rows already logged, by point. */
  readonly done = new Map<number, Cell[]>();
  private fd: number;

  constructor(
    readonly path: string,
    header: Omit<LogHeader, "ultrasimSweepLog">,
  ) {
    const expected: LogHeader = { ultrasimSweepLog: 1, ...header };
    if (!existsSync(path)) {
      this.fd = openSync(path, "a");
      writeSync(this.fd, JSON.stringify(expected) + "\n");
      return;
    }
    const text = readFileSync(path, "utf8");
    let kept = 0;
    let lineNumber = 0;
    for (let start = 0; start < text.length;) {
      const end = text.indexOf("\n", start);
      if (end < 0) break; // a torn last line: not finished, so not kept
      const line = text.slice(start, end);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        break;
      }
      if (lineNumber === 0) {
        const h = parsed as LogHeader;
        if (h.ultrasimSweepLog !== 1 || h.hash !== expected.hash || h.shard !== expected.shard || h.shards !== expected.shards)
          throw new UltrasimError(
            "INVALID_INPUT",
            `this log belongs to another sweep or shard (${JSON.stringify(h)}): delete it or use another --out`,
            {
              file: path,
            },
          );
      } else {
        const row = parsed as Cell[];
        if (!this.done.has(row[0] as number)) this.done.set(row[0] as number, row);
      }
      lineNumber++;
      start = end + 1;
      kept = start;
    }
    this.fd = openSync(path, "r+");
    if (kept === 0) {
      ftruncateSync(this.fd, 0);
      writeSync(this.fd, JSON.stringify(expected) + "\n", 0);
      closeSync(this.fd);
      this.fd = openSync(path, "a");
      return;
    }
    if (kept < text.length) ftruncateSync(this.fd, Buffer.byteLength(text.slice(0, kept)));
    closeSync(this.fd);
    this.fd = openSync(path, "a");
  }

  /** Log finished rows, in one write; rows already logged are skipped. */
  append(rows: Cell[][]): void {
    const fresh = rows.filter((row) => !this.done.has(row[0] as number));
    if (fresh.length === 0) return;
    writeSync(this.fd, fresh.map((row) => JSON.stringify(row) + "\n").join(""));
    for (const row of fresh) this.done.set(row[0] as number, row);
  }

  close(): void {
    closeSync(this.fd);
  }
}
