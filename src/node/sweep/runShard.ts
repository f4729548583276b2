// One shard of a sweep, run to completion: claim the output directory (manifest), reopen the shard's
// log and skip what it holds, run the rest on every core while logging each finished point, then
// compact the log into the shard's result file (atomically) and delete the log. A one-machine run is
// shard 0 of 1 and also writes the merged file.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Cell } from "../../engine/sweep/sweepColumns.js";
import { shardPoints } from "../../engine/sweep/sweepPoints.js";
import type { LoadedSweep } from "./loadSweep.js";
import type { ResultFormat } from "./resultFile.js";
import { openRowWriter } from "./resultFile.js";
import { ResultLog } from "./resultLog.js";
import type { Shard } from "./shardFromEnvironment.js";
import {
  claimDirectory,
  manifestFor,
  mergeShards,
  parquetMetadata,
  removeFile,
  shardFile,
  shardLog,
  shardRowGroupSize,
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

export async function runShard(loaded: LoadedSweep, options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const { index, count } = options.shard;
  mkdirSync(options.out, { recursive: true });
  const manifest = manifestFor(loaded, count, options.format);
  claimDirectory(options.out, manifest);
  const path = join(options.out, shardFile(manifest, index));
  const logPath = join(options.out, shardLog(manifest, index));
  const ids = shardPoints(manifest.points, index, count);
  const elapsed = () => (performance.now() - started) / 1000;
  const merge = async () => (count === 1 ? (await mergeShards(options.out)).path : null);
  if (existsSync(path)) {
    // Finished before; a log left by a kill between the rename and its deletion is stale.
    removeFile(logPath);
    return { path, points: ids.length, resumed: ids.length, alreadyDone: true, merged: await merge(), seconds: elapsed() };
  }

  const log = new ResultLog(logPath, { hash: manifest.hash, shard: index, shards: count });
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
  removeFile(logPath);
  return { path, points: ids.length, resumed, alreadyDone: false, merged: await merge(), seconds: elapsed() };
}
