// Fits each serving engine's host overhead per iteration (data/serving-engines.json) on the open
// inference cases that ran it, holding the chips' serving efficiencies: the same software costs the
// same on any chip, so one figure per engine, never per chip or per case. The objective is that of
// the chips' fit (scripts/fit-serving-efficiency.ts): the sum over every measured metric of
// |log(predicted / measured)| / 0.1 (a Laplace likelihood with a 10% scale), plus a Gaussian prior
// on the overhead (centre PRIOR_OVERHEAD_US, sigma PRIOR_SIGMA_US), minimised by golden-section
// search on [0, MAX_OVERHEAD_US]. A value within 1% of a bound is reported as on it.
import type { Catalog } from "../catalog/catalog.js";
import { BUILTIN_SERVING_ENGINES, type ServingEngine } from "../serve/engines.js";
import { INFERENCE_DEFAULTS, validateInferenceCases, type InferenceCase, type InferenceMetricResult } from "../validate/inference.js";
import { summarize, type ErrorSummary } from "../validate/validation.js";
import { goldenSectionMinimum } from "./goldenSection.js";

const PRIOR_OVERHEAD_US = 1000;
const PRIOR_SIGMA_US = 5000;
const MAX_OVERHEAD_US = 40_000;
const ERROR_SCALE = 0.1;
const STEPS = 10;

export interface EngineFit {
  engine: string;
  iterationOverheadUs: number;
  cases: number;
  groups: string[];
  atBound: boolean;
}

const logError = (r: InferenceMetricResult) => (r.predicted && r.predicted > 0 ? Math.abs(Math.log(r.predicted / r.measured)) : 5);

/** The engine a case ran: its own backend, else its group's, else the default. */
export const engineOfCase = (c: InferenceCase, engineOf?: (c: InferenceCase) => string | undefined): string =>
  c.serving.backend ?? engineOf?.(c) ?? INFERENCE_DEFAULTS.engine;

export function fitEngineOverheads(
  cases: InferenceCase[],
  catalog: Catalog,
  engineOf?: (c: InferenceCase) => string | undefined,
  base: ServingEngine[] = BUILTIN_SERVING_ENGINES,
): { engines: ServingEngine[]; fits: EngineFit[] } {
  const fits: EngineFit[] = [];
  const engines = base.map((e) => ({ ...e, iterationOverheadUs: { ...e.iterationOverheadUs } }));
  for (const engine of engines) {
    const own = cases.filter((c) => engineOfCase(c, engineOf) === engine.id);
    if (own.length === 0) {
      engine.iterationOverheadUs = { value: PRIOR_OVERHEAD_US, provenance: `prior: no open case ran ${engine.id}` };
      continue;
    }
    const objective = (us: number) => {
      engine.iterationOverheadUs = { value: us, provenance: "candidate" };
      const r = validateInferenceCases(own, catalog, { engines, engineOf });
      const z = (us - PRIOR_OVERHEAD_US) / PRIOR_SIGMA_US;
      return r.results.reduce((a, x) => a + logError(x), 0) / ERROR_SCALE + (z * z) / 2;
    };
    const value = Math.round(goldenSectionMinimum(objective, 0, MAX_OVERHEAD_US, STEPS));
    const groups = [...new Set(own.map((c) => c.group))];
    engine.iterationOverheadUs = {
      value,
      provenance: `fitted on ${own.length} open inference case${own.length === 1 ? "" : "s"} (${groups.join(", ")})`,
    };
    fits.push({
      engine: engine.id,
      iterationOverheadUs: value,
      cases: own.length,
      groups,
      atBound: value < 0.01 * MAX_OVERHEAD_US || value > 0.99 * MAX_OVERHEAD_US,
    });
  }
  return { engines, fits };
}

export interface InferenceCrossValidation {
  summary: ErrorSummary;
  /** Held-out error per metric. */
  metrics: Record<string, ErrorSummary>;
  groups: Record<string, ErrorSummary>;
  results: InferenceMetricResult[];
}

/**
 * Leave one group out: refit the host overhead of the engine a group ran on without the group's
 * cases (the prior where no other group ran it), then predict the group. The chips' serving
 * efficiencies are held as data/serving-efficiency.json has them.
 */
export function crossValidateInference(
  cases: InferenceCase[],
  catalog: Catalog,
  engineOf?: (c: InferenceCase) => string | undefined,
  onGroup?: (group: string | null, done: number, total: number) => void,
): InferenceCrossValidation {
  const groups = [...new Set(cases.map((c) => c.group))];
  const results: InferenceMetricResult[] = [];
  groups.forEach((group, i) => {
    onGroup?.(group, i, groups.length);
    const test = cases.filter((c) => c.group === group);
    const usedEngines = new Set(test.map((c) => engineOfCase(c, engineOf)));
    // Only the engines the held-out group ran need refitting.
    const train = cases.filter((c) => c.group !== group && usedEngines.has(engineOfCase(c, engineOf)));
    const refit = fitEngineOverheads(
      train,
      catalog,
      engineOf,
      BUILTIN_SERVING_ENGINES.filter((e) => usedEngines.has(e.id)),
    );
    const engines = BUILTIN_SERVING_ENGINES.map((e) => refit.engines.find((r) => r.id === e.id) ?? e);
    results.push(...validateInferenceCases(test, catalog, { engines, engineOf }).results);
  });
  onGroup?.(null, groups.length, groups.length);
  const asCase = (r: InferenceMetricResult) => ({ ...r, predicted: null, measured: { stepSeconds: r.measured } });
  const metrics: Record<string, ErrorSummary> = {};
  for (const m of [...new Set(results.map((r) => r.metric))]) metrics[m] = summarize(results.filter((r) => r.metric === m).map(asCase));
  const byGroup: Record<string, ErrorSummary> = {};
  for (const g of groups) byGroup[g] = summarize(results.filter((r) => r.group === g).map(asCase));
  return { summary: summarize(results.map(asCase)), metrics, groups: byGroup, results };
}
