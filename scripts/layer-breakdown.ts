// Per-layer forward and backward time of one training case, by part: where a layer's time goes.
//   node dist/scripts/layer-breakdown.js data/validation/korthikanti-2022-table5.json 22b-full
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { layerCost, totalSeconds } from "../src/engine/analytic/layerCost.js";
import { resolveLayout } from "../src/engine/plan/layout.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
const [file, ...ids] = process.argv.slice(2);
const input = readValidationFiles([file!]);
const catalog = builtinCatalog();
for (const c of input.training.filter((x) => ids.some((i) => x.id.includes(i)))) {
  const hw = catalog.hardware(c.system.id, {}, c.system.scaleOutGbpsPerChip, input.frameworkOf(c));
  const { layout } = resolveLayout(c.model, c.run, c.parallelism, c.system.chips);
  const cost = layerCost({ model: c.model, hw, layout, seqLen: c.run.seqLen, precision: c.run.precision }, 0);
  const ms = (x: number) => (x * 1e3).toFixed(2);
  console.log(
    c.id,
    "microBatch",
    layout.microBatch,
    "forward ms",
    ms(totalSeconds(cost.forward)),
    "backward ms",
    ms(totalSeconds(cost.backward)),
  );
  console.log("  forward", Object.fromEntries(Object.entries(cost.forward).map(([k, v]) => [k, ms(v)])));
  console.log("  backward", Object.fromEntries(Object.entries(cost.backward).map(([k, v]) => [k, ms(v)])));
}
