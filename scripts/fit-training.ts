// Fits the training calibration on the open validation cases and writes data/calibration.json.
//
//   npm run fit -- [cases.json ...] [--out file]
//   (default: ../shared/validation/training.json, with the groups.json beside it)
//
// One joint bounded least-squares fit (src/engine/calibrate/fitTraining.ts): kernel efficiencies per
// silicon, overheads and overlaps per framework, collective efficiency per library, each pulled toward
// its prior. `ultrasim validate FILE --cross-validate` reports the held-out error of the same fit.
import { writeFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { Catalog } from "../src/engine/catalog/catalog.js";
import { fitTraining } from "../src/engine/calibrate/fitTraining.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { scriptArgs } from "./scriptArgs.js";

const { values, positionals: files } = scriptArgs("npm run fit -- [cases.json ...] [--out FILE]", { out: { type: "string" } });
const outPath = (values.out as string | undefined) ?? new URL("../../data/calibration.json", import.meta.url).pathname;
if (files.length === 0) files.push(new URL("../../../shared/validation/training.json", import.meta.url).pathname);

const input = readValidationFiles(files);
// Fit from the priors alone: nothing of the previous calibration carries over.
const stripped = new Catalog({ ...builtinCatalog().entries(), calibration: { method: "none", values: [] } });
const started = performance.now();
const fit = fitTraining(input.training, stripped, input.frameworkOf, {
  fittedOn: `${input.training.length} open training cases (${files.map((f) => f.split("/").pop()).join(", ")})`,
  maxIterations: 60,
});
writeFileSync(outPath, JSON.stringify(fit.calibration, null, 2) + "\n");
console.log(
  `wrote ${outPath}: ${fit.calibration.values.length} parameters, ${fit.iterations} iterations, ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
for (const v of fit.calibration.values)
  console.log(
    `${v.owner.padEnd(12)} ${v.id.padEnd(20)} ${v.name.padEnd(16)} ${String(v.value).padStart(7)} ± ${String(v.sd).padEnd(6)} prior ${v.prior}${v.atBound ? "  AT BOUND" : ""}  (${v.cases} cases)`,
  );
