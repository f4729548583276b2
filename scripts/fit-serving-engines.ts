// Fits each serving engine's host overhead per iteration on the open inference cases that ran it
// (src/engine/calibrate/fitServingEngines.ts) and, with --write, records it in
// data/serving-engines.json with its provenance.
//   node dist/scripts/fit-serving-engines.js [cases.json ...] [--write]
import { readFileSync, writeFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { fitEngineOverheads } from "../src/engine/calibrate/fitServingEngines.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { scriptArgs } from "./scriptArgs.js";

const { values, positionals: files } = scriptArgs("node dist/scripts/fit-serving-engines.js [cases.json ...] [--write]", {
  write: { type: "boolean" },
});
const input = readValidationFiles(
  files.length ? files : ["../shared/validation/inference.json", "../shared/validation/neuron-inference.json"],
);
const catalog = builtinCatalog();
const t0 = performance.now();
const { engines, fits } = fitEngineOverheads(input.inference, catalog, input.engineOf);
for (const f of fits)
  console.log(
    `${f.engine}: ${f.iterationOverheadUs} µs per iteration${f.prefillCallOverheadUs !== null ? `, ${f.prefillCallOverheadUs} µs per context-encoding call` : ""}, ${f.cases} cases (${f.groups.join(", ")})${f.atBound ? "  ON A BOUND" : ""}`,
  );
console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (values.write) {
  const target = new URL("../../data/serving-engines.json", import.meta.url);
  const current = JSON.parse(readFileSync(target, "utf8")) as { id: string }[];
  const merged = current.map((e) => {
    const fitted = engines.find((x) => x.id === e.id)!;
    return {
      ...e,
      iterationOverheadUs: fitted.iterationOverheadUs,
      ...(fitted.prefillCallOverheadUs ? { prefillCallOverheadUs: fitted.prefillCallOverheadUs } : {}),
    };
  });
  writeFileSync(target, JSON.stringify(merged, null, 2) + "\n");
  console.log("wrote data/serving-engines.json");
}
