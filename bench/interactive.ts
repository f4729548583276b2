// Interactive speed: one training prediction (what the web app's Train page waits for on each edit) and
// the planner's cost as the chip count grows 100-fold at a fixed amount of work per UltraServer (weak
// scaling). These were timing assertions in the tests; timings depend on the machine and its load, so
// they are reported here as figures and ratios and never fail the run.
//
//   npm run build && node dist/bench/interactive.js
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { DEFAULT_TRAINING_SCENARIO } from "../src/engine/catalog/scenario.js";
import { plan, type SearchSpace } from "../src/engine/plan/search.js";
import { predictScenario } from "../src/engine/train.js";

const catalog = builtinCatalog();

/** Median wall milliseconds of `runs` timed calls after one untimed warm-up call. */
function medianMs(runs: number, f: () => unknown): number {
  f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    f();
    ms.push(performance.now() - start);
  }
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const predictMs = medianMs(9, () => predictScenario(DEFAULT_TRAINING_SCENARIO, catalog));
console.log(`one training prediction (the default scenario): ${predictMs.toFixed(1)} ms median (the web app aims for well under 200 ms)`);

// Llama 3.1 405B on Trainium3, 2 sequences per UltraServer, in the narrowed space test/ultracluster.test.ts uses.
const hw = catalog.hardware("trn3-ultraserver");
const model = catalog.model("llama3.1-405b");
const space: SearchSpace = {
  zero: [1],
  recompute: ["selective"],
  tp: [4, 8],
  cp: [1],
  vpp: [1, 2],
  placement: ["tp-cp-dp-pp"],
  sequenceParallel: [true],
};
const planAt = (chips: number) =>
  plan({ model, hw, chips: [chips], globalBatch: (chips / 144) * 2, seqLen: 8192, precision: "mxfp8", topK: 1, space });
const small = { chips: 10_080, ms: medianMs(3, () => planAt(10_080)), evaluated: planAt(10_080).evaluated };
const big = { chips: 999_936, ms: medianMs(3, () => planAt(999_936)), evaluated: planAt(999_936).evaluated };
for (const p of [small, big])
  console.log(`plan ${p.chips.toLocaleString("en-US")} chips: ${p.evaluated} configurations, ${p.ms.toFixed(1)} ms median`);
console.log(
  `1,000,000 / 10,000 chips: ${(big.ms / small.ms).toFixed(2)}x the time, ${(big.evaluated / small.evaluated).toFixed(2)}x the configurations (expected: a few times at most)`,
);
