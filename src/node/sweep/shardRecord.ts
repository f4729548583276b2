// A finished shard's record, written beside it (`<shard file>.sha256.json`) once the shard's file is
// in place: the SHA-256 of its bytes, its size and its row count. `sweep status`, `sweep merge` and a
// rerun of `sweep run` check a shard against its record, so a file damaged after it was written (a
// flipped bit, a truncation, an edit) is named, counted missing and rerun, never merged.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { writeFileAtomic } from "./resultFile.js";

export interface ShardRecord {
  ultrasimShard: 1;
  /** The shard file's name (in the same directory). */
  file: string;
  sha256: string;
  bytes: number;
  rows: number;
}

export const recordPath = (shardPath: string) => `${shardPath}.sha256.json`;

/** SHA-256 of a file's bytes, read a chunk at a time. */
export function fileSha256(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let position = 0; ;) {
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) break;
      hash.update(chunk.subarray(0, read));
      position += read;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** Record a finished shard file: its checksum, size and rows, written atomically beside it. */
export function writeShardRecord(shardPath: string, rows: number): void {
  const record: ShardRecord = {
    ultrasimShard: 1,
    file: basename(shardPath),
    sha256: fileSha256(shardPath),
    bytes: statSync(shardPath).size,
    rows,
  };
  writeFileAtomic(recordPath(shardPath), JSON.stringify(record, null, 2) + "\n");
}

/** How a shard file stands against its record. */
export type ShardCheck = { state: "absent" } | { state: "good" } | { state: "damaged"; why: string };

/** Check the shard file at `shardPath` against its record; `rows`: the points the shard owns. */
export function checkShard(shardPath: string, rows: number): ShardCheck {
  try {
    return compareWithRecord(shardPath, rows);
  } catch (e) {
    // Unreadable (permissions, an I/O error): not a shard that can be merged.
    return { state: "damaged", why: `it cannot be read: ${(e as Error).message}` };
  }
}

function compareWithRecord(shardPath: string, rows: number): ShardCheck {
  if (!existsSync(shardPath)) return { state: "absent" };
  const path = recordPath(shardPath);
  if (!existsSync(path)) return { state: "damaged", why: `it has no record of its checksum (${basename(path)}): it was never finished` };
  let record: Partial<ShardRecord>;
  try {
    record = JSON.parse(readFileSync(path, "utf8")) as Partial<ShardRecord>;
  } catch {
    return { state: "damaged", why: `its record ${basename(path)} is not valid JSON` };
  }
  if (record.ultrasimShard !== 1 || typeof record.sha256 !== "string" || typeof record.bytes !== "number")
    return { state: "damaged", why: `its record ${basename(path)} is not a shard record` };
  if (record.file !== basename(shardPath)) return { state: "damaged", why: `its record ${basename(path)} is of ${record.file}` };
  if (record.rows !== rows) return { state: "damaged", why: `its record counts ${record.rows} rows, not the shard's ${rows}` };
  const size = statSync(shardPath).size;
  if (size !== record.bytes) return { state: "damaged", why: `it is ${size} bytes, not the ${record.bytes} written` };
  if (fileSha256(shardPath) !== record.sha256)
    return { state: "damaged", why: "its SHA-256 differs from the one recorded when it was written" };
  return { state: "good" };
}
