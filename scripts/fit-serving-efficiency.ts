// Fits the chips' serving efficiencies (data/serving-efficiency.json) on the open inference cases:
// the method (partial pooling per chip family, its priors and objective) is in
// src/engine/calibrate/fitServingEfficiency.ts; this prints each fit, writes the table, and with
// --cross-validate refits every family without each group in turn, the same way,
// and prints the held-out error, the engines' host overheads held as data/serving-engines.json has them.
//   node dist/scripts/fit-serving-efficiency.js [cases.json ...] [--write | --out FILE] [--cross-validate] [--family CHIP]
// --family refits one family only (its first chip's id) and keeps the other entries as they are.
import { writeFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { fitServingEfficiencies, servingFamily } from "../src/engine/calibrate/fitServingEfficiency.js";
import { BUILTIN_SERVING_EFFICIENCIES } from "../src/engine/serve/servingEfficiency.js";
import { summarize } from "../src/engine/validate/validation.js";
import { validateInferenceCases, type InferenceCase, type InferenceMetricResult } from "../src/engine/validate/inference.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { scriptArgs } from "./scriptArgs.js";

const { values, positionals } = scriptArgs(
  "node dist/scripts/fit-serving-efficiency.js [cases.json ...] [--write | --out FILE] [--cross-validate] [--family CHIP]",
  { write: { type: "boolean" }, out: { type: "string" }, "cross-validate": { type: "boolean" }, family: { type: "string" } },
);
const onlyFamily = values.family as string | undefined;
const outFile = values.out as string | undefined;
const files = positionals.length ? positionals : ["../shared/validation/inference.json", "../shared/validation/neuron-inference.json"];
const write = values.write === true;
const crossValidate = values["cross-validate"] === true;
const catalog = builtinCatalog();
const validationInput = readValidationFiles(files);
const allCases: InferenceCase[] = validationInput.inference;
const engineOf = validationInput.engineOf;
const familyOf = (c: InferenceCase) => servingFamily(catalog, c);
const groupsOf = (cs: InferenceCase[]) => [...new Set(cs.map((c) => c.group))];

const cases = onlyFamily ? allCases.filter((c) => familyOf(c) === onlyFamily) : allCases;
if (cases.length === 0) throw new Error(`no cases in family ${onlyFamily}`);
const t0 = performance.now();
const refitted = fitServingEfficiencies(cases, catalog, { engineOf, onFit: (line) => console.log(line) }).entries;
console.log(`fitted in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const fitted = onlyFamily
  ? [...BUILTIN_SERVING_EFFICIENCIES.filter((e) => !refitted.some((r) => r.chip === e.chip) && e.chip !== onlyFamily), ...refitted]
  : refitted;
if (write || outFile) {
  const target = outFile ?? new URL("../../data/serving-efficiency.json", import.meta.url);
  writeFileSync(target, JSON.stringify(fitted, null, 2) + "\n");
  console.log(`wrote ${outFile ?? "data/serving-efficiency.json"}`);
}

const report = validateInferenceCases(cases, catalog, { servingEfficiencies: fitted, engineOf });
for (const x of report.results)
  console.log(
    x.id.padEnd(48),
    x.metric.padEnd(22),
    x.measured.toPrecision(4).padStart(8),
    (x.predicted?.toPrecision(4) ?? "-").padStart(8),
    (x.errorPct?.toFixed(1) ?? x.failure ?? "").padStart(7),
  );
const fmt = (s: { count: number; medianAbsErrorPct: number | null; p90AbsErrorPct: number | null }) =>
  `${s.count} results, median ${s.medianAbsErrorPct?.toFixed(1)}%, p90 ${s.p90AbsErrorPct?.toFixed(1)}%`;
for (const [m, s] of Object.entries(report.metrics)) console.log(`in sample ${m}: ${fmt(s)}`);

if (crossValidate) {
  // Leave one group out: refit every family without the group's cases, then predict the group. A
  // chip left with no cases borrows its family's first chip's fit; a family left with none falls back
  // to the prior (what a chip with no inference cases gets).
  const held: InferenceMetricResult[] = [];
  for (const group of groupsOf(cases)) {
    const train = cases.filter((c) => c.group !== group);
    const test = cases.filter((c) => c.group === group);
    const testFamilies = new Set(test.map(familyOf));
    const { entries } = fitServingEfficiencies(
      train.filter((c) => testFamilies.has(familyOf(c))),
      catalog,
      { engineOf },
    );
    const r = validateInferenceCases(test, catalog, { servingEfficiencies: entries, engineOf });
    held.push(...r.results);
    const s = summarize(r.results.map((x) => ({ ...x, predicted: null, measured: { stepSeconds: x.measured } })));
    console.log(`held out ${group}: ${fmt(s)}`);
  }
  for (const m of ["outputTokensPerSecond", "ttftSeconds", "tpotSeconds"]) {
    const rs = held.filter((x) => x.metric === m);
    const s = summarize(rs.map((x) => ({ ...x, predicted: null, measured: { stepSeconds: x.measured } })));
    console.log(`leave-one-group-out ${m}: ${fmt(s)}`);
  }
}
