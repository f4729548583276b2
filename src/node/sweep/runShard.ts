// One shard of a sweep, run to completion: claim the output directory (manifest) and the shard's lock,
// reopen the shard's log and skip what it holds, run the rest on every core while logging each
// finished point, then compact the log into the shard's result file (atomically), record its checksum
// and delete the log. A finished shard that no longer matches its record is named and run again. A
// one-machine run is shard 0 of 1 and also writes the merged file.
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Cell } from "../../engine/sweep/sweepColumns.js";
import { shardPoints } from "../../engine/sweep/sweepPoints.js";
import { UltrasimError } from "../../engine/errors.js";
import { acquireLock } from "./directoryLock.js";
import type { LoadedSweep } from "./loadSweep.js";
import type { ResultFormat } from "./resultFile.js";
import { openRowWriter, removeTemporaries } from "./resultFile.js";
import { ResultLog } from "./resultLog.js";
import { checkShard, recordPath, writeShardRecord } from "./shardRecord.js";
import type { Shard } from "./shardFromEnvironment.js";
import {
  claimDirectory,
  manifestFor,
  mergedFile,
  mergeShards,
  parquetMetadata,
  removeFile,
  shardFile,
  shardLog,
  shardRowGroupSize,
  shardStem,
  type SweepManifest,
} from "./sweepDirectory.js";
import { runPoints, type PoolKind } from "./sweepPool.js";

export interface RunOptions {
  out: string;
  format: ResultFormat;
  shard: Shard;
  workers?: number;
  /** Child processes (the default) or worker threads. */
  pool?: PoolKind;
  /** Points finished of the shard's total (resumed ones included), now and then. */
  onProgress?: (done: number, total: number, resumed: number) => void;
  /** Something found damaged and set right (a shard file rerun, log lines dropped): one line for the user. */
  onWarning?: (file: string, message: string) => void;
}

export interface RunOutcome {
  /** The shard's result file. */
  path: string;
  points: number;
  /** Points found finished in the log and not rerun. */
  resumed: number;
  alreadyDone: boolean;
  merged: string | null;
  seconds: number;
}

/** Make the output directory, or name what stands in its way. */
function makeOutputDirectory(out: string): void {
  const there = statSync(out, { throwIfNoEntry: false });
  if (there && !there.isDirectory())
    throw new UltrasimError("FILE_ERROR", "is a file, not a directory: --out names the sweep's output directory", {
      field: "--out",
      file: out,
    });
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new UltrasimError("FILE_ERROR", `cannot make the output directory: ${(e as Error).message}`, { field: "--out", file: out });
  }
}

export async function runShard(loaded: LoadedSweep, options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const { index, count } = options.shard;
  makeOutputDirectory(options.out);
  const manifest = manifestFor(loaded, count, options.format);
  const release = acquireLock(join(options.out, `${shardStem(manifest, index)}.lock`), options.out);
  try {
    claimDirectory(options.out, manifest);
    return await runLockedShard(loaded, manifest, options, started);
  } finally {
    release();
  }
}

async function runLockedShard(loaded: LoadedSweep, manifest: SweepManifest, options: RunOptions, started: number): Promise<RunOutcome> {
  const { index, count } = options.shard;
  const warn = options.onWarning ?? (() => {});
  const path = join(options.out, shardFile(manifest, index));
  const logPath = join(options.out, shardLog(manifest, index));
  const ids = shardPoints(manifest.points, index, count);
  const elapsed = () => (performance.now() - started) / 1000;
  const merge = async () => (count === 1 ? (await mergeShards(options.out, undefined, warn)).path : null);
  // A run killed while writing leaves its temporary files; this run holds the shard's lock, so they are stale.
  for (const file of [path, recordPath(path), ...(count === 1 ? [join(options.out, mergedFile(manifest))] : [])]) removeTemporaries(file);
  const check = checkShard(path, ids.length);
  if (check.state === "good") {
    // Finished before; a log left by a kill between the rename and its deletion is stale.
    removeFile(logPath);
    return { path, points: ids.length, resumed: ids.length, alreadyDone: true, merged: await merge(), seconds: elapsed() };
  }
  if (check.state === "damaged") {
    warn(path, `damaged (${check.why}): running shard ${index} of ${count} again`);
    removeFile(path);
    removeFile(recordPath(path));
  }

  const log = new ResultLog(
    logPath,
    { hash: manifest.hash, shard: index, shards: count },
    (p) => p % count === index && p < manifest.points,
  );
  if (log.damagedLines) warn(logPath, `${log.damagedLines} damaged line(s) dropped: their points run again`);
  const resumed = log.size;
  const todo: [number, number][] = ids.filter((p) => !log.has(p)).map((p) => [p, loaded.points.productIndices[p]!]);
  options.onProgress?.(resumed, ids.length, resumed);
  try {
    await runPoints(loaded.sweep, todo, {
      workers: options.workers,
      pool: options.pool,
      catalogEntries: loaded.catalogEntries,
      onRows: (rows: Cell[][]) => {
        log.append(rows);
        options.onProgress?.(log.size, ids.length, resumed);
      },
    });
  } finally {
    log.close();
  }
  // The shard's file, in point order, a block at a time (Parquet row groups the merge reads whole).
  const writer = openRowWriter(path, options.format, manifest.columns, parquetMetadata(manifest, `${index} of ${count}`));
  try {
    const block = shardRowGroupSize(count);
    for (let start = 0; start < ids.length; start += block) writer.write(log.rows(ids.slice(start, start + block)));
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
  // Recorded before the log goes: a kill between the two leaves the log, and the rerun rewrites both.
  writeShardRecord(path, ids.length);
  removeFile(logPath);
  return { path, points: ids.length, resumed, alreadyDone: false, merged: await merge(), seconds: elapsed() };
}
