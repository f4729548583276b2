// Sweep speed on one machine: points per second with every core, against cores × the single-thread
// speed of the same points (the planner, one point after another, in this thread). Bar: ≥ 80%.
// Figures depend on the machine and its load: compare the ratio, measured in one run.
//
//   node --single-threaded-gc dist/bench/sweep.js   (as `npm run bench` runs it)
//
// Single-threaded GC makes "one thread" one core: with V8's parallel collector the one-thread run
// borrows the idle cores for garbage collection, which the run on every core cannot.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { evaluatePoint } from "../src/engine/sweep/evaluatePoint.js";
import { loadSweep } from "../src/node/sweep/loadSweep.js";
import { runShard } from "../src/node/sweep/runShard.js";

// Plan points: two models, two systems, three chip counts and k prices (a narrowed layout search).
// k is set so that the run on every core takes about PARALLEL_SECONDS: long enough that worker
// start-up weighs little, as in a real sweep of thousands of points.
const PARALLEL_SECONDS = 6;
const cores = availableParallelism();
const sweepText = (prices: number) => `schemaVersion: 1
name: bench
kind: plan
base:
  model: llama3-8b
  system: { id: dgx-h100, chips: 64 }
  run: { seqLen: 8192, globalBatch: 512, precision: bf16 }
  space: { zero: [1], recompute: [selective], sequenceParallel: [true], vpp: [1] }
axes:
  model: [llama3-8b, llama3-70b]
  system.id: [dgx-h100, trn2-ultraserver]
  system.chips: [64, 128, 256]
  operations.usdPerChipHour: [${Array.from({ length: prices }, (_, i) => 1 + i / 4).join(", ")}]
`;

const dir = mkdtempSync(join(tmpdir(), "ultrasim-bench-sweep-"));
try {
  // Single-thread speed: every point of the 12 (model, system, chips) groups at 4 prices, in this thread.
  writeFileSync(join(dir, "calibrate.yaml"), sweepText(4));
  const calibration = loadSweep(join(dir, "calibrate.yaml"));
  const catalog = builtinCatalog();
  const evaluateAll = (productIndices: number[]) =>
    productIndices.forEach((productIndex, point) => evaluatePoint(calibration.sweep, point, productIndex, catalog, calibration.columns));
  evaluateAll(calibration.points.productIndices.slice(0, 12)); // warm up
  const singleStart = performance.now();
  evaluateAll(calibration.points.productIndices);
  const singleSeconds = (performance.now() - singleStart) / 1000;
  const singleRate = calibration.points.productIndices.length / singleSeconds;

  // The same mix of points (every group at k prices), enough for PARALLEL_SECONDS on every core.
  const prices = 4 * Math.max(1, Math.ceil((PARALLEL_SECONDS * cores * singleRate) / 48));
  writeFileSync(join(dir, "sweep.yaml"), sweepText(prices));
  const loaded = loadSweep(join(dir, "sweep.yaml"));
  const points = loaded.points.productIndices.length;
  const outcome = await runShard(loaded, { out: join(dir, "out"), format: "parquet", shard: { index: 0, count: 1, source: "bench" } });
  const sweepRate = points / outcome.seconds;
  const ratio = sweepRate / (cores * singleRate);

  console.log(`sweep: plan points (${loaded.sweep.axes.map((a) => a.name).join(" × ")})`);
  console.log(
    `  one thread:  ${calibration.points.productIndices.length} points in ${singleSeconds.toFixed(2)} s, ${singleRate.toFixed(2)} points/s`,
  );
  console.log(
    `  ${cores} cores:     ${points} points in ${outcome.seconds.toFixed(2)} s, ${sweepRate.toFixed(2)} points/s (worker start-up, log and result files included)`,
  );
  console.log(`  ${(ratio * 100).toFixed(0)}% of cores × single-thread speed (bar: ≥ 80%)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
