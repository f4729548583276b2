// Fits the serving efficiencies of each chip that has inference cases (data/serving-efficiency.json):
// HBM fraction in decode, a multiplier on the training GEMM/attention efficiencies, and fixed costs
// per layer and per iteration. The objective is the mean absolute log error over every measured
// metric (throughput, TTFT, TPOT) of that chip's open cases; coordinate descent with golden-section
// search, as scripts/fit-efficiencies.ts does for training. Chips without cases borrow (efficiencyFrom).
//   node dist/scripts/fit-serving-efficiency.js [cases.json] [--write]
import { readFileSync, writeFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import {
  BUILTIN_SERVING_EFFICIENCIES,
  PRIOR_SERVING_EFFICIENCY,
  type ServingEfficiency,
  type ServingEfficiencyEntry,
} from "../src/engine/serve/servingEfficiency.js";
import { validateInferenceCases, type InferenceCase } from "../src/engine/validate/inference.js";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--")) ?? "../shared/validation/inference.json";
const write = args.includes("--write");
const catalog = builtinCatalog();
const cases = (JSON.parse(readFileSync(file, "utf8")) as InferenceCase[]).filter((c) => c.kind === "inference");
const chipOf = (c: InferenceCase) => catalog.system(c.system.id).chip;

const BOUNDS: Record<keyof ServingEfficiency, [number, number]> = {
  memory: [0.2, 0.95],
  compute: [0.05, 1.5],
  layerOverheadUs: [0, 400],
  iterationOverheadUs: [0, 30000],
};

function objective(chip: string, cs: InferenceCase[], e: ServingEfficiency): number {
  const entries: ServingEfficiencyEntry[] = [{ chip, efficiency: e, provenance: "candidate" }];
  const r = validateInferenceCases(cs, catalog, entries);
  let sum = 0;
  for (const x of r.results) sum += x.predicted && x.predicted > 0 ? Math.abs(Math.log(x.predicted / x.measured)) : 5;
  return sum / Math.max(1, r.results.length);
}

function golden(f: (x: number) => number, lo: number, hi: number, steps = 9): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < steps; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

const fitted: ServingEfficiencyEntry[] = [];
const byChip = new Map<string, InferenceCase[]>();
for (const c of cases) {
  const chip = chipOf(c);
  // A chip with cases of its own is fitted; one that borrows another's training fit borrows its serving fit too.
  if (catalog.listChips().find((x) => x.id === chip)?.efficiencyFrom && !["inferentia2", "h200"].includes(chip)) continue;
  byChip.set(chip, [...(byChip.get(chip) ?? []), c]);
}
for (const [chip, cs] of byChip) {
  let e: ServingEfficiency = { ...(BUILTIN_SERVING_EFFICIENCIES.find((x) => x.chip === chip)?.efficiency ?? PRIOR_SERVING_EFFICIENCY) };
  let best = objective(chip, cs, e);
  for (let round = 0; round < 1; round++) {
    for (const key of Object.keys(BOUNDS) as (keyof ServingEfficiency)[]) {
      const [lo, hi] = BOUNDS[key];
      const x = golden((v) => objective(chip, cs, { ...e, [key]: v }), lo, hi);
      const candidate = { ...e, [key]: x };
      const value = objective(chip, cs, candidate);
      if (value < best) {
        best = value;
        e = candidate;
      }
    }
  }
  const rounded: ServingEfficiency = {
    memory: Number(e.memory.toFixed(3)),
    compute: Number(e.compute.toFixed(3)),
    layerOverheadUs: Math.round(e.layerOverheadUs),
    iterationOverheadUs: Math.round(e.iterationOverheadUs),
  };
  console.log(`${chip}: ${cs.length} cases, mean |log error| ${best.toFixed(3)}`, JSON.stringify(rounded));
  fitted.push({
    chip,
    efficiency: rounded,
    provenance: `fitted on ${cs.length} open inference cases`,
    note: `cases: ${cs.map((c) => c.id).join(", ")}`,
  });
}
if (write) {
  writeFileSync(new URL("../../data/serving-efficiency.json", import.meta.url), JSON.stringify(fitted, null, 2) + "\n");
  console.log("wrote data/serving-efficiency.json");
}
const report = validateInferenceCases(cases, catalog, write ? fitted : undefined);
for (const x of report.results)
  console.log(
    x.id.padEnd(48),
    x.metric.padEnd(22),
    x.measured.toPrecision(4).padStart(8),
    (x.predicted?.toPrecision(4) ?? "-").padStart(8),
    (x.errorPct?.toFixed(1) ?? x.failure ?? "").padStart(7),
  );
console.log(JSON.stringify(report.metrics));
