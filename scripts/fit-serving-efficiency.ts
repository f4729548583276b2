// Fits the serving efficiencies (data/serving-efficiency.json) on the open inference cases, per chip,
// with partial pooling across a chip family (Gelman & Hill, "Data Analysis Using Regression and
// Multilevel/Hierarchical Models", ch. 12):
//  1. one pooled fit per family: a chip that borrows its training efficiencies from another (the
//     catalog's efficiencyFrom: H200 from H100, Inferentia2 and Trainium2 from Trainium1) joins that
//     chip's family, and the family's cases together fit one set of figures, with priors centred on
//     PRIOR_SERVING_EFFICIENCY;
//  2. one fit per chip with cases of its own, on those cases only, with the same priors centred on
//     its family's pooled fit instead. A chip with many cases moves as far as they say; one with few
//     stays near its family. Chips without cases borrow a fit through the catalog
//     (servingEfficiencyFrom, else efficiencyFrom: Trainium3 from Trainium2, H800 from H100).
// Four parameters per fit: the HBM fraction in decode, a multiplier on the training GEMM/attention
// efficiencies, and fixed costs per layer and per iteration. The objective is the sum over every
// measured metric (throughput, TTFT, TPOT) of the cases of |log(predicted / measured)| / 0.1 (a
// Laplace likelihood with a 10% scale), plus the Gaussian priors. Coordinate descent with
// golden-section search, as scripts/fit-efficiencies.ts does for training. Never per case: no case
// id or measured value is used except through this objective.
//   node dist/scripts/fit-serving-efficiency.js [cases.json ...] [--write | --out FILE] [--cross-validate] [--family CHIP]
// --family refits one family only (its first chip's id) and keeps the other entries as they are.
import { writeFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import {
  BUILTIN_SERVING_EFFICIENCIES,
  PRIOR_SERVING_EFFICIENCY,
  type KernelBasis,
  type ServingEfficiency,
  type ServingEfficiencyEntry,
} from "../src/engine/serve/servingEfficiency.js";
import { summarize } from "../src/engine/validate/validation.js";
import { validateInferenceCases, type InferenceCase, type InferenceMetricResult } from "../src/engine/validate/inference.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { goldenSectionMinimum } from "../src/engine/calibrate/goldenSection.js";

const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const onlyFamily = valueOf("--family");
const outFile = valueOf("--out");
const named = args.filter((a, i) => !a.startsWith("--") && !["--family", "--out"].includes(args[i - 1] ?? ""));
const files = named.length ? named : ["../shared/validation/inference.json", "../shared/validation/neuron-inference.json"];
const write = args.includes("--write");
const crossValidate = args.includes("--cross-validate");
const catalog = builtinCatalog();
const validationInput = readValidationFiles(files);
const allCases: InferenceCase[] = validationInput.inference;
const engineOf = validationInput.engineOf;

const chipOf = (c: InferenceCase): string => catalog.system(c.system.id).chip;
/** The chip whose serving fit a case's chip uses: its own, or the one it borrows training efficiencies from. */
const familyOf = (c: InferenceCase): string => catalog.listChips().find((x) => x.id === chipOf(c))?.efficiencyFrom ?? chipOf(c);

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
];
/** Laplace scale of the log error: a 10% miss costs as much as one prior sigma squared over two. */
const ERROR_SCALE = 0.1;

function prior(e: ServingEfficiency, centre: ServingEfficiency): number {
  let penalty = 0;
  for (const p of PARAMS) {
    const x = e[p.key];
    const x0 = centre[p.key];
    const z = p.prior.kind === "log" ? Math.log(x / x0) / p.prior.sigma : (x - x0) / p.prior.sigma;
    penalty += (z * z) / 2;
  }
  return penalty;
}

const logError = (r: InferenceMetricResult) => (r.predicted && r.predicted > 0 ? Math.abs(Math.log(r.predicted / r.measured)) : 5);

function objective(chip: string, cs: InferenceCase[], e: ServingEfficiency, centre: ServingEfficiency): number {
  const entries: ServingEfficiencyEntry[] = [{ chip, efficiency: e, provenance: "candidate" }];
  const r = validateInferenceCases(cs, catalog, { servingEfficiencies: entries, engineOf });
  return r.results.reduce((a, x) => a + logError(x), 0) / ERROR_SCALE + prior(e, centre);
}

/** One set of figures for `cs` under `chip`'s entry (which the family's other chips borrow), with priors centred on `centre`. */
function fit(
  chip: string,
  cs: InferenceCase[],
  centre: ServingEfficiency,
  rounds = 2,
): { efficiency: ServingEfficiency; objective: number; atBound: string[] } {
  const objectiveOf = (e: ServingEfficiency) => objective(chip, cs, e, centre);
  let e: ServingEfficiency = { ...centre };
  let best = objectiveOf(e);
  for (let round = 0; round < rounds; round++) {
    for (const p of PARAMS) {
      // Search a window around the current value that narrows each round, inside the bounds.
      const [lo, hi] = p.bounds;
      const span = (hi - lo) / (round + 1);
      const a = Math.max(lo, e[p.key] - span / 2);
      const b = Math.min(hi, e[p.key] + span / 2);
      const x = goldenSectionMinimum((v) => objectiveOf({ ...e, [p.key]: v }), a, b, 8);
      const candidate = { ...e, [p.key]: x };
      const value = objectiveOf(candidate);
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

/** Rounds of coordinate descent: two for the fits written, one inside the cross-validation. */
function fitAll(cs: InferenceCase[], rounds: number, log: boolean): ServingEfficiencyEntry[] {
  const entries: ServingEfficiencyEntry[] = [];
  for (const [family, familyCases] of byFamily(cs)) {
    const t0 = performance.now();
    const pooled = fit(family, familyCases, PRIOR_SERVING_EFFICIENCY, rounds);
    const chips = [...new Set(familyCases.map(chipOf))];
    if (log)
      console.log(
        `${family} family pooled: ${familyCases.length} cases (${chips.join(", ")}), objective ${pooled.objective.toFixed(1)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
        JSON.stringify(pooled.efficiency),
        pooled.atBound.length ? `AT BOUND: ${pooled.atBound.join(", ")}` : "",
      );
    // The family's own chip first, then those that borrow from it (the order of data/serving-efficiency.json).
    for (const chip of [family, ...chips.filter((c) => c !== family)]) {
      const own = familyCases.filter((c) => chipOf(c) === chip);
      if (own.length === 0) continue;
      const t1 = performance.now();
      const r = chips.length === 1 ? pooled : fit(chip, own, pooled.efficiency, rounds);
      if (log && chips.length > 1)
        console.log(
          `  ${chip}: ${own.length} cases, objective ${r.objective.toFixed(1)}, ${((performance.now() - t1) / 1000).toFixed(0)} s`,
          JSON.stringify(r.efficiency),
          r.atBound.length ? `AT BOUND: ${r.atBound.join(", ")}` : "",
        );
      entries.push({
        chip,
        efficiency: r.efficiency,
        kernelBasis: kernelBasisOf(chip),
        provenance: `fitted on ${own.length} open inference case${own.length === 1 ? "" : "s"}${chips.length > 1 ? `, with priors centred on the ${family} family's pooled fit of ${familyCases.length}` : ""}`,
        note: `groups: ${groupsOf(own).join(", ")}${chips.length > 1 ? `; family pooled fit ${JSON.stringify(pooled.efficiency)} over ${chips.join(", ")}` : ""}`,
      });
    }
    if (!chips.includes(family))
      entries.push({
        chip: family,
        efficiency: pooled.efficiency,
        provenance: `pooled fit of the ${family} family (${familyCases.length} open inference cases); no cases of its own`,
        note: `chips: ${chips.join(", ")}`,
      });
  }
  return entries;
}

/** What `compute` multiplied while fitting: the chip's training efficiencies, as the catalog has them now. */
function kernelBasisOf(chip: string): KernelBasis {
  const { efficiency, provenance } = catalog.efficiency(chip);
  return { efficiency: structuredClone(efficiency), source: `training calibration at fit time: ${provenance}` };
}

const cases = onlyFamily ? allCases.filter((c) => familyOf(c) === onlyFamily) : allCases;
if (cases.length === 0) throw new Error(`no cases in family ${onlyFamily}`);
const refitted = fitAll(cases, 2, true);
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
    const testFamilies = byFamily(test);
    const entries = fitAll(
      train.filter((c) => testFamilies.has(familyOf(c))),
      1,
      false,
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
