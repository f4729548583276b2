// Fits the chips' serving efficiencies (data/serving-efficiency.json) on open inference cases, with
// partial pooling across a chip family (Gelman & Hill, "Data Analysis Using Regression and
// Multilevel/Hierarchical Models", ch. 12):
//  1. one pooled fit per family: a chip that borrows its training efficiencies from another (the
//     catalog's efficiencyFrom: H200 from H100, Inferentia2 and Trainium2 from Trainium1) joins that
//     chip's family, and the family's cases together fit one set of figures, with priors centred on
//     PRIOR_SERVING_EFFICIENCY;
//  2. one fit per chip with cases of its own, on those cases only, with the same priors centred on
//     its family's pooled fit instead. A chip with many cases moves as far as they say; one with few
//     stays near its family. Chips without cases borrow a fit through the catalog
//     (servingEfficiencyFrom, else efficiencyFrom: Trainium3 from Trainium2, H800 from H100).
// Three parameters per fit: the HBM fraction in decode, a multiplier on the training GEMM/attention
// efficiencies, and a fixed cost per layer. The objective is the sum over every measured metric
// (throughput, TTFT, TPOT) of the cases of |log(predicted / measured)| / 0.1 (a Laplace likelihood
// with a 10% scale), plus the Gaussian priors, minimised by Nelder-Mead over the three together, then
// polished by a round of golden-section search on each. Never
// per case: no case id or measured value is used except through this objective.
import type { Catalog } from "../catalog/catalog.js";
import type { ServingEngine } from "../serve/engines.js";
import {
  PRIOR_SERVING_EFFICIENCY,
  type KernelBasis,
  type ServingEfficiency,
  type ServingEfficiencyEntry,
} from "../serve/servingEfficiency.js";
import { validateInferenceCases, type InferenceCase, type InferenceMetricResult } from "../validate/inference.js";
import { goldenSectionMinimum } from "./goldenSection.js";
import { nelderMead } from "./nelderMead.js";

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
/** The simplex's first step on each parameter's unit scale, its stopping spread of the objective, and its budget of evaluations (each predicts every case). */
const SIMPLEX_STEP = 0.1;
const TOLERANCE = 0.05;
const MAX_EVALUATIONS = 90;
/** The polishing round: half-window as a fraction of each parameter's range, and golden-section steps. */
const POLISH_WINDOW = 0.05;
const POLISH_STEPS = 6;

export interface ServingEfficiencyFitOptions {
  engineOf?: (c: InferenceCase) => string | undefined;
  /** The serving engines the cases run on (their host overheads held while fitting); the built-in ones by default. */
  engines?: ServingEngine[];
  /** One line per fit (family pooled, then each chip), for the script's log. */
  onFit?: (line: string) => void;
}

export interface ServingEfficiencyFit {
  entries: ServingEfficiencyEntry[];
  /** Fitted values within 1% of a bound, as "chip: key=value". */
  atBound: string[];
}

/** The chip a case runs on. */
const caseChip = (catalog: Catalog, c: InferenceCase): string => catalog.system(c.system.id).chip;

/** The chip whose serving fit a case's chip pools with: the one it borrows training efficiencies from, else its own. */
export const servingFamily = (catalog: Catalog, c: InferenceCase): string => {
  const chip = caseChip(catalog, c);
  return catalog.chip(chip).efficiencyFrom ?? chip;
};

/** Laplace scale of the log error: a 10% miss costs as much as one prior sigma squared over two. */
const ERROR_SCALE = 0.1;

/**
 * The data's part of every serving fit's objective (this one and the engines', fitServingEngines.ts):
 * the sum of |log(predicted / measured)| over the results, in units of ERROR_SCALE; a result the
 * model cannot predict costs as much as a 150x miss.
 */
export function servingMisfit(results: InferenceMetricResult[]): number {
  const logError = (r: InferenceMetricResult) => (r.predicted && r.predicted > 0 ? Math.abs(Math.log(r.predicted / r.measured)) : 5);
  return results.reduce((a, x) => a + logError(x), 0) / ERROR_SCALE;
}

function priorPenalty(e: ServingEfficiency, centre: ServingEfficiency): number {
  let penalty = 0;
  for (const p of PARAMS) {
    const x = e[p.key];
    const x0 = centre[p.key];
    const z = p.prior.kind === "log" ? Math.log(x / x0) / p.prior.sigma : (x - x0) / p.prior.sigma;
    penalty += (z * z) / 2;
  }
  return penalty;
}

/** One set of figures for `cases` under `chip`'s entry (which the family's other chips borrow), with priors centred on `centre`. */
function fitOne(
  catalog: Catalog,
  chip: string,
  cases: InferenceCase[],
  centre: ServingEfficiency,
  options: ServingEfficiencyFitOptions,
): { efficiency: ServingEfficiency; objective: number; evaluations: number; atBound: string[] } {
  // Each parameter on the unit scale of its bounds, clamped to them: the simplex moves all three
  // together (HBM fraction and fixed cost per layer trade against each other in decode).
  const toUnit = (e: ServingEfficiency) => PARAMS.map((p) => (e[p.key] - p.bounds[0]) / (p.bounds[1] - p.bounds[0]));
  const fromUnit = (u: number[]): ServingEfficiency => {
    const e = { ...centre };
    PARAMS.forEach((p, i) => (e[p.key] = p.bounds[0] + Math.min(1, Math.max(0, u[i]!)) * (p.bounds[1] - p.bounds[0])));
    return e;
  };
  const objectiveOf = (e: ServingEfficiency) => {
    const servingEfficiencies: ServingEfficiencyEntry[] = [{ chip, efficiency: e, provenance: "candidate" }];
    const r = validateInferenceCases(cases, catalog, { servingEfficiencies, engineOf: options.engineOf, engines: options.engines });
    return servingMisfit(r.results) + priorPenalty(e, centre);
  };
  const start = toUnit(centre);
  // First steps toward the middle of each range, so that a start on a bound still spans it.
  const step = start.map((u) => (u < 0.5 ? SIMPLEX_STEP : -SIMPLEX_STEP));
  const simplex = nelderMead((u) => objectiveOf(fromUnit(u)), start, {
    step,
    tolerance: TOLERANCE,
    maxEvaluations: MAX_EVALUATIONS,
  });
  // The predictions are simulated request by request, so the objective has small steps in it where a
  // simplex can stall: one round of golden-section search per parameter, in a window of a tenth of
  // its range around the simplex's best, polishes what it found.
  let e = fromUnit(simplex.x);
  let best = simplex.value;
  let evaluations = simplex.evaluations;
  for (const p of PARAMS) {
    const [lo, hi] = p.bounds;
    const half = (hi - lo) * POLISH_WINDOW;
    const x = goldenSectionMinimum(
      (v) => (evaluations++, objectiveOf({ ...e, [p.key]: v })),
      Math.max(lo, e[p.key] - half),
      Math.min(hi, e[p.key] + half),
      POLISH_STEPS,
    );
    const candidate = { ...e, [p.key]: x };
    const value = objectiveOf(candidate);
    evaluations++;
    if (value < best) {
      best = value;
      e = candidate;
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
  return { efficiency: rounded, objective: best, evaluations, atBound };
}

/** What `compute` multiplied while fitting: the chip's training efficiencies, as the catalog has them now. */
function kernelBasisOf(catalog: Catalog, chip: string): KernelBasis {
  const { efficiency, provenance } = catalog.efficiency(chip);
  // A copy: later changes to the catalog must not move what the fit recorded.
  return {
    efficiency: JSON.parse(JSON.stringify(efficiency)) as typeof efficiency,
    source: `training calibration at fit time: ${provenance}`,
  };
}

const groupsOf = (cs: InferenceCase[]) => [...new Set(cs.map((c) => c.group))];
const plural = (n: number) => `${n} open inference case${n === 1 ? "" : "s"}`;

/** Every family's pooled fit and each chip's own, for the families the cases cover. */
export function fitServingEfficiencies(
  cases: InferenceCase[],
  catalog: Catalog,
  options: ServingEfficiencyFitOptions = {},
): ServingEfficiencyFit {
  const byFamily = new Map<string, InferenceCase[]>();
  for (const c of cases) {
    const family = servingFamily(catalog, c);
    byFamily.set(family, [...(byFamily.get(family) ?? []), c]);
  }
  const entries: ServingEfficiencyEntry[] = [];
  const atBound: string[] = [];
  const log = options.onFit;
  for (const [family, familyCases] of byFamily) {
    const pooled = fitOne(catalog, family, familyCases, PRIOR_SERVING_EFFICIENCY, options);
    const chips = [...new Set(familyCases.map((c) => caseChip(catalog, c)))];
    log?.(
      `${family} family pooled: ${familyCases.length} cases (${chips.join(", ")}), objective ${pooled.objective.toFixed(1)} (${pooled.evaluations} evaluations) ${JSON.stringify(pooled.efficiency)}${pooled.atBound.length ? ` AT BOUND: ${pooled.atBound.join(", ")}` : ""}`,
    );
    // The family's own chip first, then those that borrow from it (the order of data/serving-efficiency.json).
    for (const chip of [family, ...chips.filter((c) => c !== family)]) {
      const own = familyCases.filter((c) => caseChip(catalog, c) === chip);
      if (own.length === 0) continue;
      const r = chips.length === 1 ? pooled : fitOne(catalog, chip, own, pooled.efficiency, options);
      if (chips.length > 1)
        log?.(
          `  ${chip}: ${own.length} cases, objective ${r.objective.toFixed(1)} (${r.evaluations} evaluations) ${JSON.stringify(r.efficiency)}${r.atBound.length ? ` AT BOUND: ${r.atBound.join(", ")}` : ""}`,
        );
      atBound.push(...r.atBound.map((b) => `${chip}: ${b}`));
      entries.push({
        chip,
        efficiency: r.efficiency,
        kernelBasis: kernelBasisOf(catalog, chip),
        provenance: `fitted on ${plural(own.length)}${chips.length > 1 ? `, with priors centred on the ${family} family's pooled fit of ${familyCases.length}` : ""}`,
        note: `groups: ${groupsOf(own).join(", ")}${chips.length > 1 ? `; family pooled fit ${JSON.stringify(pooled.efficiency)} over ${chips.join(", ")}` : ""}`,
      });
    }
    if (!chips.includes(family))
      entries.push({
        chip: family,
        efficiency: pooled.efficiency,
        provenance: `pooled fit of the ${family} family (${plural(familyCases.length)}); no cases of its own`,
        note: `chips: ${chips.join(", ")}`,
      });
  }
  return { entries, atBound };
}
