// Fits the serving efficiencies (data/serving-efficiency.json) on the open inference cases, one fit
// per chip family: a chip that borrows its training efficiencies from another (the catalog's
// efficiencyFrom: H200 from H100, Inferentia2 and Trainium2 from Trainium1) shares that chip's
// serving fit too, so its cases join that fit. Four parameters per fit: the HBM fraction in decode,
// a multiplier on the training GEMM/attention efficiencies, and fixed costs per layer and per
// iteration. The objective is the sum over every measured metric (throughput, TTFT, TPOT) of the
// family's cases of |log(predicted / measured)| / 0.1 (a Laplace likelihood with a 10% scale), plus
// Gaussian priors that keep each parameter near PRIOR_SERVING_EFFICIENCY where the cases say little.
// Coordinate descent with golden-section search, as scripts/fit-efficiencies.ts does for training.
// Never per case: no case id or measured value is used except through this objective.
//   node dist/scripts/fit-serving-efficiency.js [cases.json] [--write] [--cross-validate]
import { readFileSync, writeFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { PRIOR_SERVING_EFFICIENCY, type ServingEfficiency, type ServingEfficiencyEntry } from "../src/engine/serve/servingEfficiency.js";
import { summarize } from "../src/engine/validate/validation.js";
import { validateInferenceCases, type InferenceCase, type InferenceMetricResult } from "../src/engine/validate/inference.js";
import { goldenSectionMinimum } from "./goldenSection.js";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--")) ?? "../shared/validation/inference.json";
const write = args.includes("--write");
const crossValidate = args.includes("--cross-validate");
const catalog = builtinCatalog();
const cases = (JSON.parse(readFileSync(file, "utf8")) as InferenceCase[]).filter((c) => c.kind === "inference");

/** The chip whose serving fit a case's chip uses: its own, or the one it borrows training efficiencies from. */
const familyOf = (c: InferenceCase): string => {
  const chip = catalog.system(c.system.id).chip;
  return catalog.listChips().find((x) => x.id === chip)?.efficiencyFrom ?? chip;
};

type Key = keyof ServingEfficiency;
interface Param {
  key: Key;
  bounds: [number, number];
  /** Prior: log-normal (sigma of the log) for fractions, normal (sigma in the parameter's unit) for fixed costs. */
  prior: { kind: "log" | "linear"; sigma: number };
}
const PARAMS: Param[] = [
  { key: "compute", bounds: [0.2, 1.5], prior: { kind: "log", sigma: 0.5 } },
  { key: "memory", bounds: [0.4, 0.95], prior: { kind: "log", sigma: 0.2 } },
  { key: "layerOverheadUs", bounds: [0, 400], prior: { kind: "linear", sigma: 100 } },
  { key: "iterationOverheadUs", bounds: [0, 20000], prior: { kind: "linear", sigma: 5000 } },
];
/** Laplace scale of the log error: a 10% miss costs as much as one prior sigma squared over two. */
const ERROR_SCALE = 0.1;

function prior(e: ServingEfficiency): number {
  let penalty = 0;
  for (const p of PARAMS) {
    const x = e[p.key];
    const x0 = PRIOR_SERVING_EFFICIENCY[p.key];
    const z = p.prior.kind === "log" ? Math.log(x / x0) / p.prior.sigma : (x - x0) / p.prior.sigma;
    penalty += (z * z) / 2;
  }
  return penalty;
}

const logError = (r: InferenceMetricResult) => (r.predicted && r.predicted > 0 ? Math.abs(Math.log(r.predicted / r.measured)) : 5);

function objective(chip: string, cs: InferenceCase[], e: ServingEfficiency): number {
  const entries: ServingEfficiencyEntry[] = [{ chip, efficiency: e, provenance: "candidate" }];
  const r = validateInferenceCases(cs, catalog, entries);
  return r.results.reduce((a, x) => a + logError(x), 0) / ERROR_SCALE + prior(e);
}

function fitFamily(chip: string, cs: InferenceCase[], rounds = 2): { efficiency: ServingEfficiency; objective: number; atBound: string[] } {
  let e: ServingEfficiency = { ...PRIOR_SERVING_EFFICIENCY };
  let best = objective(chip, cs, e);
  for (let round = 0; round < rounds; round++) {
    for (const p of PARAMS) {
      // Search a window around the current value that narrows each round, inside the bounds.
      const [lo, hi] = p.bounds;
      const span = (hi - lo) / (round + 1);
      const a = Math.max(lo, e[p.key] - span / 2);
      const b = Math.min(hi, e[p.key] + span / 2);
      const x = goldenSectionMinimum((v) => objective(chip, cs, { ...e, [p.key]: v }), a, b, 8);
      const candidate = { ...e, [p.key]: x };
      const value = objective(chip, cs, candidate);
      if (value < best) {
        best = value;
        e = candidate;
      }
    }
  }
  const rounded: ServingEfficiency = {
    compute: Number(e.compute.toFixed(3)),
    memory: Number(e.memory.toFixed(3)),
    layerOverheadUs: Math.round(e.layerOverheadUs),
    iterationOverheadUs: Math.round(e.iterationOverheadUs),
  };
  const atBound = PARAMS.filter((p) => {
    const [lo, hi] = p.bounds;
    const tol = 0.01 * (hi - lo);
    return rounded[p.key] - lo < tol || hi - rounded[p.key] < tol;
  }).map((p) => `${p.key}=${rounded[p.key]}`);
  return { efficiency: rounded, objective: best, atBound };
}

function byFamily(cs: InferenceCase[]): Map<string, InferenceCase[]> {
  const m = new Map<string, InferenceCase[]>();
  for (const c of cs) m.set(familyOf(c), [...(m.get(familyOf(c)) ?? []), c]);
  return m;
}

const groupsOf = (cs: InferenceCase[]) => [...new Set(cs.map((c) => c.group))];

const fitted: ServingEfficiencyEntry[] = [];
for (const [chip, cs] of byFamily(cases)) {
  const t0 = performance.now();
  const { efficiency, objective: value, atBound } = fitFamily(chip, cs);
  const chips = [...new Set(cs.map((c) => catalog.system(c.system.id).chip))];
  console.log(
    `${chip}: ${cs.length} cases (${chips.join(", ")}), objective ${value.toFixed(1)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    JSON.stringify(efficiency),
    atBound.length ? `AT BOUND: ${atBound.join(", ")}` : "",
  );
  fitted.push({
    chip,
    efficiency,
    provenance: `fitted on ${cs.length} open inference cases`,
    note: `chips: ${chips.join(", ")}; groups: ${groupsOf(cs).join(", ")}`,
  });
}
if (write) {
  writeFileSync(new URL("../../data/serving-efficiency.json", import.meta.url), JSON.stringify(fitted, null, 2) + "\n");
  console.log("wrote data/serving-efficiency.json");
}

const report = validateInferenceCases(cases, catalog, fitted);
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
  // family left with no cases falls back to the prior (what a chip with no inference cases gets).
  const held: InferenceMetricResult[] = [];
  for (const group of groupsOf(cases)) {
    const train = cases.filter((c) => c.group !== group);
    const test = cases.filter((c) => c.group === group);
    const entries: ServingEfficiencyEntry[] = [];
    for (const [chip, cs] of byFamily(train)) {
      if (!byFamily(test).has(chip)) continue;
      entries.push({ chip, efficiency: fitFamily(chip, cs, 1).efficiency, provenance: `without ${group}` });
    }
    const r = validateInferenceCases(test, catalog, entries);
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
