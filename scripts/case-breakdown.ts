// Prints the predicted step and its breakdown (compute, exposed TP/CP/EP/PP/DP communication, bubble,
// optimizer) for the training cases whose id contains one of the given strings: where a case's error
// comes from.   node dist/scripts/case-breakdown.js ../shared/validation/training.json deepseekv3
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
const [file, ...ids] = process.argv.slice(2);
const input = readValidationFiles([file!]);
const catalog = builtinCatalog();
for (const c of input.training.filter((x) => ids.some((i) => x.id.includes(i)))) {
  const hw = catalog.hardware(c.system.id, {}, c.system.scaleOutGbpsPerChip, input.frameworkOf(c));
  const p = predictTraining({ model: c.model, hw, chips: c.system.chips, run: c.run, parallelism: c.parallelism });
  console.log(c.id, "measured", c.measured.stepSeconds, "predicted", p.stepSeconds.toFixed(3));
  console.log(JSON.stringify(p.breakdown));
}
