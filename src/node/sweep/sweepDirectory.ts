// A sweep's output directory, shared by all its shards (a local folder, or a network file system
// every machine mounts):
//   sweep.json                                the manifest: the sweep, its hash, points, shards, format, columns
//   shard-00003-of-00010-<hash16>.<format>    a finished shard, written atomically
//   shard-00003-of-00010-<hash16>.<format>.sha256.json
//                                             its record: SHA-256, bytes and rows, checked before use (shardRecord.ts)
//   shard-00003-of-00010-<hash16>.lock        held by the run of that shard (directoryLock.ts)
//   shard-00003-of-00010-<hash16>.log         a shard in progress: its append-only log (resultLog.ts)
//   sweep.<format>                            the merged result (sweep merge; a one-machine run merges itself)
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { UltrasimError } from "../../engine/errors.js";
import type { Cell, Column } from "../../engine/sweep/sweepColumns.js";
import type { Sweep } from "../../engine/sweep/sweepFile.js";
import { shardPoints } from "../../engine/sweep/sweepPoints.js";
import type { LoadedSweep } from "./loadSweep.js";
import { checkShard } from "./shardRecord.js";
import {
  csvHeader,
  RESULT_FORMATS,
  LineReader,
  LineWriter,
  ParquetRowGroupWriter,
  ParquetRowReader,
  writeFileAtomic,
  type ResultFormat,
} from "./resultFile.js";

export interface SweepManifest {
  ultrasimSweep: 1;
  hash: string;
  name: string | null;
  kind: Sweep["kind"];
  ultrasimVersion: string;
  sweepFile: string;
  points: number;
  productSize: number;
  filteredOut: number;
  shards: number;
  format: ResultFormat;
  columns: Column[];
  sweep: Sweep;
}

export const MANIFEST = "sweep.json";
const pad = (n: number) => String(n).padStart(5, "0");
export const shardStem = (m: Pick<SweepManifest, "hash" | "shards">, index: number) =>
  `shard-${pad(index)}-of-${pad(m.shards)}-${m.hash.slice(0, 16)}`;
export const shardFile = (m: SweepManifest, index: number) => `${shardStem(m, index)}.${m.format}`;
export const shardLog = (m: SweepManifest, index: number) => `${shardStem(m, index)}.log`;
export const mergedFile = (m: Pick<SweepManifest, "format">) => `sweep.${m.format}`;

export function manifestFor(loaded: LoadedSweep, shards: number, format: ResultFormat): SweepManifest {
  return {
    ultrasimSweep: 1,
    hash: loaded.hash,
    name: loaded.sweep.name,
    kind: loaded.sweep.kind,
    ultrasimVersion: loaded.ultrasimVersion,
    sweepFile: loaded.file,
    points: loaded.points.productIndices.length,
    productSize: loaded.points.productSize,
    filteredOut: loaded.points.filteredOut,
    shards,
    format,
    columns: loaded.columns,
    sweep: loaded.sweep,
  };
}

export function readManifest(dir: string): SweepManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path))
    throw new UltrasimError("FILE_ERROR", `no ${MANIFEST} here: not a sweep's output directory (sweep run --out writes one)`, {
      file: dir,
    });
  // The shards carry the sweep's hash in their names and their own checksums, so a manifest written
  // again by the same sweep file finds them all.
  const damaged = (what: string) =>
    new UltrasimError(
      "INVALID_INPUT",
      `${what}: the manifest is damaged; delete it and run \`ultrasim sweep run\` with the same sweep file and --out to write it again (finished shards are kept)`,
      { file: path },
    );
  const text = readFileSync(path, "utf8");
  if (text.trim() === "") throw damaged("empty");
  let manifest: SweepManifest;
  try {
    manifest = JSON.parse(text) as SweepManifest;
  } catch {
    throw damaged("not valid JSON");
  }
  if (typeof manifest !== "object" || manifest === null || manifest.ultrasimSweep !== 1) throw damaged("not an ultrasim sweep manifest");
  const wholeNumber = (v: unknown, least: number) => Number.isInteger(v) && (v as number) >= least;
  if (
    typeof manifest.hash !== "string" ||
    !/^[0-9a-f]{64}$/.test(manifest.hash) ||
    !wholeNumber(manifest.points, 0) ||
    !wholeNumber(manifest.shards, 1) ||
    !(RESULT_FORMATS as readonly string[]).includes(manifest.format) ||
    !Array.isArray(manifest.columns) ||
    manifest.columns.some((c) => typeof c?.name !== "string") ||
    typeof manifest.sweep !== "object" ||
    manifest.sweep === null
  )
    throw damaged("a field is missing or wrong (hash, points, shards, format, columns or sweep)");
  return manifest;
}

/**
 * Write the manifest, or check the one there: every shard of a sweep writes the same one (atomically,
 * so concurrent shards cannot tear it), and a directory never mixes two sweeps or two shard counts.
 */
export function claimDirectory(dir: string, manifest: SweepManifest): void {
  const path = join(dir, MANIFEST);
  if (existsSync(path)) {
    const there = readManifest(dir);
    if (there.hash !== manifest.hash)
      throw new UltrasimError(
        "INVALID_INPUT",
        `it holds results of another sweep (hash ${there.hash.slice(0, 16)}, from ${there.sweepFile}; this one is ${manifest.hash.slice(0, 16)}): use another --out, or delete it`,
        { field: "--out", file: dir },
      );
    if (there.shards !== manifest.shards)
      throw new UltrasimError(
        "INVALID_INPUT",
        `this sweep was started there with ${there.shards} shard(s), not ${manifest.shards}: run the same shard count, or use another --out`,
        {
          field: "--shard-count",
          file: dir,
        },
      );
    if (there.format !== manifest.format)
      throw new UltrasimError("INVALID_INPUT", `this sweep was started there writing ${there.format}, not ${manifest.format}`, {
        field: "--format",
        file: dir,
      });
    return;
  }
  writeFileAtomic(path, JSON.stringify(manifest, null, 2) + "\n");
}

export interface ShardState {
  index: number;
  /** Damaged: the file there differs from its record (shardRecord.ts); it counts as missing. */
  state: "done" | "in progress" | "not started" | "damaged";
  /** Points finished (from the log where in progress). */
  pointsDone: number;
  points: number;
  /** Why a damaged shard is (its file is named by shardFile). */
  damage?: string;
}

export function sweepStatus(dir: string): { manifest: SweepManifest; shards: ShardState[]; merged: boolean } {
  const manifest = readManifest(dir);
  const shards = Array.from({ length: manifest.shards }, (_, index): ShardState => {
    const points = shardPoints(manifest.points, index, manifest.shards).length;
    const check = checkShard(join(dir, shardFile(manifest, index)), points);
    if (check.state === "good") return { index, state: "done", pointsDone: points, points };
    if (check.state === "damaged") return { index, state: "damaged", pointsDone: 0, points, damage: check.why };
    const log = join(dir, shardLog(manifest, index));
    if (!existsSync(log)) return { index, state: "not started", pointsDone: 0, points };
    // Complete lines less the header: a torn last line has no newline yet.
    const lines = readFileSync(log, "utf8").split("\n").length - 2;
    return { index, state: "in progress", pointsDone: Math.max(0, Math.min(points, lines)), points };
  });
  return { manifest, shards, merged: existsSync(join(dir, mergedFile(manifest))) };
}

/** "0, 3-5, 9": shard indices, runs collapsed. */
export function describeIndices(indices: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length;) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(j === i ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

/**
 * Check every shard is there, matches its record and belongs to this sweep, then write them as one
 * file sorted by point. A damaged shard is handed to `onDamaged` and counted missing.
 */
export async function mergeShards(
  dir: string,
  out?: string,
  onDamaged: (file: string, why: string) => void = () => {},
): Promise<{ manifest: SweepManifest; path: string; rows: number }> {
  const manifest = readManifest(dir);
  const names = readdirSync(dir);
  const expectedNames = new Set(Array.from({ length: manifest.shards }, (_, i) => shardFile(manifest, i)));
  const stray = names.filter((n) => /^shard-\d+-of-\d+-[0-9a-f]+\.(parquet|csv|jsonl)$/.test(n) && !expectedNames.has(n));
  if (stray.length)
    throw new UltrasimError(
      "INVALID_INPUT",
      `${stray[0]} belongs to another sweep or shard count than ${MANIFEST} (hash ${manifest.hash.slice(0, 16)}, ${manifest.shards} shards): move it away`,
      {
        file: dir,
      },
    );
  const missing = Array.from({ length: manifest.shards }, (_, i) => i).filter((i) => {
    const file = join(dir, shardFile(manifest, i));
    const check = checkShard(file, shardPoints(manifest.points, i, manifest.shards).length);
    if (check.state === "damaged") onDamaged(file, check.why);
    return check.state !== "good";
  });
  if (missing.length)
    throw new UltrasimError(
      "INVALID_INPUT",
      `${missing.length} of ${manifest.shards} shard(s) missing or damaged: ${describeIndices(missing)} (indices from 0: run them with --shard-index, or rerun the array for those indices; sweep status lists them)`,
      { file: dir },
    );
  const path = out ?? join(dir, mergedFile(manifest));
  try {
    if (manifest.format === "parquet") await mergeParquetShards(dir, manifest, path);
    else mergeTextShards(dir, manifest, path);
  } catch (e) {
    // Shards matched their records, so this is a file changed together with its record, or a bug.
    if (e instanceof UltrasimError || !(e instanceof Error)) throw e;
    throw new UltrasimError("INVALID_INPUT", `a shard cannot be read: ${e.message.split("\n")[0]}`, { file: dir });
  }
  return { manifest, path, rows: manifest.points };
}

/**
 * CSV or JSONL shards merged a line at a time: shard i holds points i, i+n, ..., so taking one line
 * of each shard in turn gives the points in order. Lines are copied as they are, after a check of
 * their point number.
 */
function mergeTextShards(dir: string, manifest: SweepManifest, path: string): void {
  const n = manifest.shards;
  const files = Array.from({ length: n }, (_, index) => join(dir, shardFile(manifest, index)));
  const readers = files.map((file) => new LineReader(file));
  const pointOf = (line: string): number =>
    manifest.format === "csv" ? Number(line.slice(0, line.indexOf(","))) : (JSON.parse(line) as { point: number }).point;
  const wrong = (index: number, what: string) =>
    new UltrasimError(
      "INVALID_INPUT",
      `${what}, not the ${shardPoints(manifest.points, index, n).length} points of shard ${index} of ${n}`,
      {
        file: files[index]!,
      },
    );
  const writer = new LineWriter(path);
  try {
    if (manifest.format === "csv") {
      const header = csvHeader(manifest.columns);
      readers.forEach((reader, index) => {
        if (reader.nextRecord() !== header)
          throw new UltrasimError("INVALID_INPUT", "not a result file of this sweep: its header differs", { file: files[index]! });
      });
      writer.write(header);
    }
    for (let point = 0; point < manifest.points; point++) {
      const index = point % n;
      const read = () => (manifest.format === "csv" ? readers[index]!.nextRecord() : readers[index]!.next());
      let line = read();
      while (line !== null && manifest.format === "jsonl" && line.trim() === "") line = read();
      if (line === null) throw wrong(index, `ends before point ${point}`);
      if (pointOf(line) !== point) throw wrong(index, `holds point ${pointOf(line)} where point ${point} belongs`);
      writer.write(line);
    }
    readers.forEach((reader, index) => {
      for (let line = reader.next(); line !== null; line = reader.next()) if (line.trim() !== "") throw wrong(index, "holds more points");
    });
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
}

/** Rows of each shard read at a time when merging: the merged file gets row groups of about MERGE_BLOCK_ROWS. */
const MERGE_BLOCK_ROWS = 25_000;

/** Row-group size for a shard's Parquet file: what the merge reads of each shard at a time, so its reads fall on whole row groups. */
export const shardRowGroupSize = (shards: number) => Math.max(1, Math.floor(MERGE_BLOCK_ROWS / shards));

/** Rows `offset` on of shard `index` must hold the points the shard owns there, in order. */
function checkShardPoints(file: string, manifest: SweepManifest, index: number, points: number[], offset: number): void {
  const n = manifest.shards;
  if (points.some((p, j) => p !== (offset + j) * n + index))
    throw new UltrasimError(
      "INVALID_INPUT",
      `holds other points than the ${shardPoints(manifest.points, index, n).length} of shard ${index} of ${n}`,
      {
        file,
      },
    );
}

/**
 * Parquet shards merged a block at a time, never all in memory: shard i holds points i, i+n, ..., so
 * rows [k, k+b) of every shard, interleaved, are points k·n to (k+b)·n - 1 of the merged file.
 */
async function mergeParquetShards(dir: string, manifest: SweepManifest, path: string): Promise<void> {
  const n = manifest.shards;
  const files = Array.from({ length: n }, (_, index) => join(dir, shardFile(manifest, index)));
  const readers: ParquetRowReader[] = [];
  const writer = new ParquetRowGroupWriter(path, manifest.columns, parquetMetadata(manifest, "merged"));
  try {
    for (let index = 0; index < n; index++) {
      const file = files[index]!;
      const reader = await ParquetRowReader.open(file, manifest.columns);
      readers.push(reader);
      if (reader.keyValues["ultrasim.sweep.hash"] !== manifest.hash)
        throw new UltrasimError(
          "INVALID_INPUT",
          `belongs to another sweep (hash ${reader.keyValues["ultrasim.sweep.hash"]?.slice(0, 16)})`,
          {
            file,
          },
        );
      const count = shardPoints(manifest.points, index, n).length;
      if (reader.rowCount !== count)
        throw new UltrasimError("INVALID_INPUT", `holds ${reader.rowCount} points, not the ${count} of shard ${index} of ${n}`, { file });
    }
    const block = shardRowGroupSize(n);
    const longest = readers[0]?.rowCount ?? 0;
    for (let start = 0; start < longest; start += block) {
      const blocks: Cell[][][] = [];
      for (let index = 0; index < n; index++) {
        const end = Math.min(start + block, readers[index]!.rowCount);
        const rows = start < end ? await readers[index]!.rows(manifest.columns, start, end) : [];
        checkShardPoints(
          files[index]!,
          manifest,
          index,
          rows.map((r) => r[0] as number),
          start,
        );
        blocks.push(rows);
      }
      const merged: Cell[][] = [];
      for (let j = 0; j < block; j++) for (const rows of blocks) if (j < rows.length) merged.push(rows[j]!);
      writer.writeRowGroup(merged);
    }
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    for (const reader of readers) reader.close();
  }
}

export function parquetMetadata(manifest: SweepManifest, shard: string): Record<string, string> {
  return {
    "ultrasim.sweep.hash": manifest.hash,
    "ultrasim.sweep.name": manifest.name ?? "",
    "ultrasim.sweep.kind": manifest.kind,
    "ultrasim.version": manifest.ultrasimVersion,
    "ultrasim.sweep.shard": shard,
  };
}

export const removeFile = (path: string) => rmSync(path, { force: true });
