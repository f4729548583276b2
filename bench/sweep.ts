// Sweep speed on one machine: points per second with every core, against cores × the speed of one
// core on the same work. Bar: ≥ 80%.
//
// The one-core figure is one worker running every cores-th point of the same sweep, so it has the
// same mix of points, the same worker start-up and the same JIT warm-up as each worker of the run on
// every core: ideal scaling makes both runs take the same time, and the ratio is (one-core time) /
// (every-core time). Both kinds of worker are measured: child processes (the default) and threads. Figures depend on the machine and its load: compare the
// ratio, measured in one run.
//
//   node --single-threaded-gc dist/bench/sweep.js   (as `npm run bench` runs it)
//
// Single-threaded GC makes one worker one core: with V8's parallel collector the one-core run would
// borrow idle cores for garbage collection, which the run on every core cannot. Child processes
// inherit the flag.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { evaluatePoint } from "../src/engine/sweep/evaluatePoint.js";
import { loadSweep } from "../src/node/sweep/loadSweep.js";
import { runShard } from "../src/node/sweep/runShard.js";
import { POOL_KINDS, runPoints } from "../src/node/sweep/sweepPool.js";
import { PROBES, probeScaling, threadsPerCore } from "./machineCeiling.js";

// Plan points: two models, two systems, three chip counts and k prices (a narrowed layout search).
// k is set so that each run takes about RUN_SECONDS: long enough that worker start-up and the JIT's
// warm-up weigh little, as in a real sweep of thousands of points. They do not weigh the same on both
// sides: a lone worker's compiler threads run on idle cores, where every core is busy in the full run
// (on a 2-core machine, runs of 4 s read about 63%, runs of 15 s about 90%).
const RUN_SECONDS = 15;
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
  operations.usdPerChipHour: [${Array.from({ length: prices }, (_, i) => 1 + i / 64).join(", ")}]
`;

const dir = mkdtempSync(join(tmpdir(), "ultrasim-bench-sweep-"));
try {
  // The single-thread rate, warm, only to size the runs: every (model, system, chips) group in turn,
  // for two seconds of warm-up, then one second measured.
  writeFileSync(join(dir, "calibrate.yaml"), sweepText(2));
  const calibration = loadSweep(join(dir, "calibrate.yaml"));
  const catalog = builtinCatalog();
  const ids = calibration.points.productIndices;
  const evaluateFor = (seconds: number): number => {
    const start = performance.now();
    let n = 0;
    for (; performance.now() - start < seconds * 1000; n++)
      evaluatePoint(calibration.sweep, n % ids.length, ids[n % ids.length]!, catalog, calibration.columns);
    return n / ((performance.now() - start) / 1000);
  };
  evaluateFor(2);
  const roughRate = evaluateFor(1);

  // Prices per group so that one core's share takes about RUN_SECONDS.
  // A multiple of `cores`, so every core's share holds each group equally.
  const prices = Math.ceil((RUN_SECONDS * roughRate) / 12) * cores;
  writeFileSync(join(dir, "sweep.yaml"), sweepText(prices));
  const loaded = loadSweep(join(dir, "sweep.yaml"));
  const points = loaded.points.productIndices.length;

  const smt = threadsPerCore();
  console.log(`sweep: plan points (${loaded.sweep.axes.map((a) => a.name).join(" × ")})`);
  const rates: Record<string, number> = {};
  for (const pool of POOL_KINDS) {
    // One core: one worker, every cores-th point.
    const share: [number, number][] = [];
    for (let p = 0; p < points; p += cores) share.push([p, loaded.points.productIndices[p]!]);
    const oneStart = performance.now();
    let oneDone = 0;
    await runPoints(loaded.sweep, share, { workers: 1, pool, onRows: (rows) => (oneDone += rows.length) });
    const oneSeconds = (performance.now() - oneStart) / 1000;
    const oneRate = oneDone / oneSeconds;

    // Every core: the whole sweep as `ultrasim sweep run --pool <pool>` runs it (log and result files included).
    const outcome = await runShard(loaded, {
      out: join(dir, `out-${pool}`),
      format: "parquet",
      pool,
      shard: { index: 0, count: 1, source: "bench" },
    });
    const sweepRate = points / outcome.seconds;
    rates[pool] = sweepRate;
    const ratio = sweepRate / (cores * oneRate);
    console.log(`  workers as ${pool}${pool === "processes" ? " (the default)" : ""}:`);
    console.log(
      `    one core:  ${oneDone} points in ${oneSeconds.toFixed(2)} s, ${oneRate.toFixed(1)} points/s (one worker, start-up included)`,
    );
    console.log(
      `    ${cores} cores: ${points} points in ${outcome.seconds.toFixed(2)} s, ${sweepRate.toFixed(1)} points/s (workers' start-up, log and result files included)`,
    );
    console.log(`    ${(ratio * 100).toFixed(0)}% of cores × single-core speed (bar: ≥ 80%)`);
    // Where logical CPUs share physical cores (SMT), say also what the physical cores deliver.
    if (smt !== null && smt > 1)
      console.log(`    ${(ratio * smt * 100).toFixed(0)}% of physical cores (${cores / smt}) × single-core speed`);
  }
  console.log(`  processes / threads on ${cores} cores: ${(rates.processes! / rates.threads!).toFixed(2)}x`);

  // The machine's own ceiling, to read the ratio against: what every core at once gives code that
  // needs only the core, and code that needs only memory (bench/machineCeiling.ts).
  console.log(
    `machine: ${cores} logical CPUs${smt === null ? "" : `, ${smt} per physical core as the OS sees it`} (a virtual machine's host may share its cores further)`,
  );
  for (const probe of PROBES) {
    const scaling = await probeScaling(probe, cores);
    console.log(`  ${probe} probe, ${cores} processes at once: each at ${(scaling * 100).toFixed(0)}% of one alone`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
