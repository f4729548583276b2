// Big sweeps in a small heap: Parquet shards are merged a block of rows at a time, and a shard's log is
// compacted into its file a block at a time, so neither needs memory for the whole sweep. 150,000
// synthetic points (every column filled) go through the CLI with its heap capped at 96 MB; holding
// them whole (as both did before) runs out of memory there.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cell } from "../src/engine/sweep/sweepColumns.js";
import { shardPoints } from "../src/engine/sweep/sweepPoints.js";
import { loadSweep } from "../src/node/sweep/loadSweep.js";
import { logLine, type LogHeader } from "../src/node/sweep/resultLog.js";
import { writeShardRecord } from "../src/node/sweep/shardRecord.js";
import { openRowWriter, ParquetRowReader, readRows, type ResultFormat } from "../src/node/sweep/resultFile.js";
import {
  claimDirectory,
  manifestFor,
  parquetMetadata,
  shardFile,
  shardLog,
  shardRowGroupSize,
  type SweepManifest,
} from "../src/node/sweep/sweepDirectory.js";
import { requireBuild, ultrasim } from "./sweepHelpers.js";

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "ultrasim-merge-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POINTS = 150_000;
const SHARDS = 3;

/** Shard `index`'s result file as `sweep run` writes it: a block of rows at a time (Parquet row groups the merge reads whole). */
function writeShard(out: string, manifest: SweepManifest, index: number, format: ResultFormat): void {
  const writer = openRowWriter(join(out, shardFile(manifest, index)), format, manifest.columns, parquetMetadata(manifest, `${index}`));
  const points = shardPoints(POINTS, index, SHARDS);
  const block = shardRowGroupSize(SHARDS);
  for (let start = 0; start < points.length; start += block)
    writer.write(points.slice(start, start + block).map((p) => syntheticRow(manifest.columns, p)));
  writer.close();
  writeShardRecord(join(out, shardFile(manifest, index)), points.length);
}

/**
 * A row of point p: each cell a value of its column's type that says which point it belongs to; every
 * 1,000th point's text has a comma, a quote and a newline, which CSV must quote.
 */
function syntheticRow(columns: { type: string }[], p: number): Cell[] {
  const text = (j: number) => (p % 1000 === 0 ? `p${p}, "c${j}"\nend` : `p${p}c${j}`);
  return columns.map((c, j) => (j === 0 ? p : c.type === "STRING" ? text(j) : c.type === "BOOLEAN" ? p % 2 === 0 : p * 1000 + j));
}

describe("sweep merge", () => {
  it("merges Parquet shards a block at a time, within a small heap, in point order", async () => {
    // A plan sweep of 150,000 points (3 models × 50,000 prices); its shards are written here, not run.
    const prices = Array.from({ length: POINTS / 3 }, (_, i) => 1 + i / 1e4).join(", ");
    writeFileSync(
      join(dir, "big.yaml"),
      `schemaVersion: 1
kind: plan
base:
  model: llama3-8b
  system: { id: dgx-h100, chips: 64 }
  run: { seqLen: 8192, globalBatch: 512, precision: bf16 }
maxPoints: 1000000
axes:
  model: [llama3-8b, llama3-70b, mixtral-8x7b]
  operations.usdPerChipHour: [${prices}]
`,
    );
    const loaded = loadSweep(join(dir, "big.yaml"));
    expect(loaded.points.productIndices.length).toBe(POINTS);
    const out = join(dir, "out");
    const manifest = manifestFor(loaded, SHARDS, "parquet");
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    claimDirectory(out, manifest);
    for (let index = 0; index < SHARDS; index++) writeShard(out, manifest, index, "parquet");

    const merge = ultrasim(dir, ["sweep", "merge", "out"], { NODE_OPTIONS: "--max-old-space-size=96" });
    expect(merge.code, merge.stderr).toBe(0);

    const reader = await ParquetRowReader.open(join(out, "sweep.parquet"), manifest.columns);
    try {
      expect(reader.rowCount).toBe(POINTS);
      expect(reader.keyValues["ultrasim.sweep.hash"]).toBe(manifest.hash);
      // Every row is its point's, in order: spot checks across block boundaries and the end.
      for (const start of [0, 24_990, 75_000 - 3, POINTS - 7]) {
        const rows = await reader.rows(manifest.columns, start, start + 7);
        expect(rows).toEqual(rows.map((_, j) => syntheticRow(manifest.columns, start + j)));
      }
    } finally {
      reader.close();
    }
  }, 120_000);

  it.each(["csv", "jsonl"] as const)(
    "merges %s shards a line at a time, within a small heap, in point order",
    async (format) => {
      const loaded = loadSweep(join(dir, "big.yaml"));
      const out = join(dir, `out-${format}`);
      const manifest = manifestFor(loaded, SHARDS, format);
      mkdirSync(out, { recursive: true });
      claimDirectory(out, manifest);
      for (let index = 0; index < SHARDS; index++) writeShard(out, manifest, index, format);
      const merge = ultrasim(dir, ["sweep", "merge", `out-${format}`], { NODE_OPTIONS: "--max-old-space-size=96" });
      expect(merge.code, merge.stderr).toBe(0);
      const { rows } = await readRows(join(out, `sweep.${format}`), format, manifest.columns);
      expect(rows.length).toBe(POINTS);
      for (const p of [0, 1, 2, 999, 1000, 1001, 75_000, POINTS - 1])
        expect(rows[p], `point ${p}`).toEqual(syntheticRow(manifest.columns, p));
      expect(rows.every((row, p) => row[0] === p)).toBe(true);
    },
    120_000,
  );

  it("compacts a one-machine run's log a block at a time, within a small heap, in point order", async () => {
    // The same 150,000 points, all logged as finished (as a run killed just before compaction leaves
    // them): rerun, the sweep has nothing left to compute and turns its log into its result files.
    const loaded = loadSweep(join(dir, "big.yaml"));
    const out = join(dir, "one");
    const manifest = manifestFor(loaded, 1, "parquet");
    mkdirSync(out, { recursive: true });
    claimDirectory(out, manifest);
    const header: LogHeader = { ultrasimSweepLog: 2, hash: manifest.hash, shard: 0, shards: 1 };
    // Logged out of order, as workers finish: every block of 1,000 points backwards.
    const lines = [JSON.stringify(header) + "\n"];
    for (let block = 0; block < POINTS; block += 1000)
      for (let p = Math.min(POINTS, block + 1000) - 1; p >= block; p--) lines.push(logLine(syntheticRow(manifest.columns, p)));
    writeFileSync(join(out, shardLog(manifest, 0)), lines.join(""));

    const run = ultrasim(dir, ["sweep", "run", "big.yaml", "--out", "one", "--quiet"], { NODE_OPTIONS: "--max-old-space-size=96" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/150,000 resumed/);

    for (const file of [shardFile(manifest, 0), "sweep.parquet"]) {
      const reader = await ParquetRowReader.open(join(out, file), manifest.columns);
      try {
        expect(reader.rowCount).toBe(POINTS);
        for (const start of [0, 999, 74_998, POINTS - 5]) {
          const rows = await reader.rows(manifest.columns, start, start + 5);
          expect(rows).toEqual(rows.map((_, j) => syntheticRow(manifest.columns, start + j)));
        }
      } finally {
        reader.close();
      }
    }
  }, 120_000);
});
