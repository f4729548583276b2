// For every open validation case: plan over the whole space with the case's model, system, chips,
// batch and precision, and compare the best plan's predicted step time with the published layout's.
//
//   npm run build && node dist/scripts/plan-vs-published.js [path/to/training.json]
//
// Takes several minutes (the MoE cases search over a million layouts each).
import { readFileSync } from "node:fs";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { TrainingCase } from "../src/engine/catalog/scenario.js";
import { describeLayout, plan } from "../src/engine/plan/search.js";

const path = process.argv[2] ?? new URL("../../../shared/validation/training.json", import.meta.url).pathname;
const cases = (JSON.parse(readFileSync(path, "utf8")) as TrainingCase[]).filter((c) => c.kind === "training");
const catalog = builtinCatalog();
let slower = 0;
let notFitting = 0;
const speedups: number[] = [];
for (const c of cases) {
  const hw = catalog.hardware(c.system.id, {}, c.system.scaleOutGbpsPerChip);
  const published = predictTraining({ model: c.model, hw, chips: c.system.chips, run: c.run, parallelism: c.parallelism });
  const started = performance.now();
  const result = plan({
    model: c.model,
    hw,
    chips: [c.system.chips],
    globalBatch: c.run.globalBatch,
    seqLen: c.run.seqLen,
    precision: c.run.precision,
    memoryHeadroom: 0,
    topK: 1,
  });
  const seconds = (performance.now() - started) / 1000;
  const best = result.plans[0];
  const fits = published.memory.fits;
  if (!fits) notFitting++;
  const ratio = best ? published.stepSeconds / best.prediction.stepSeconds : NaN;
  if (fits && best && ratio < 1 - 1e-9) slower++;
  if (fits && best) speedups.push(ratio);
  console.log(
    `${c.id.padEnd(58)} published ${published.stepSeconds.toFixed(2).padStart(8)} s${fits ? "" : " (predicted not to fit)"}  best ${best ? best.prediction.stepSeconds.toFixed(2).padStart(8) : "   none"} s  ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : ""}  ${best ? describeLayout(best.parallelism, best.run.microBatch!) : ""}  [${result.evaluated} layouts, ${seconds.toFixed(1)} s]`,
  );
}
speedups.sort((a, b) => a - b);
console.log(
  `\n${cases.length} cases; published layout predicted not to fit: ${notFitting}; best plan slower than the published layout: ${slower}; median predicted speed-up of the best plan ${speedups[Math.floor(speedups.length / 2)]?.toFixed(2)}x`,
);
