// Fits each serving engine's host overhead per iteration (data/serving-engines.json) on the open
// inference cases that ran it, holding the chips' serving efficiencies: the same software costs the
// same on any chip, so one figure per engine, never per chip or per case. The objective is that of
// the chips' fit (servingMisfit in fitServingEfficiency.ts): the sum over every measured metric of
// |log(predicted / measured)| / 0.1 (a Laplace likelihood with a 10% scale), plus a Gaussian prior
// on the overhead (centre PRIOR_OVERHEAD_US, sigma PRIOR_SIGMA_US), minimised by golden-section
// search on [0, MAX_OVERHEAD_US]; a static-shape engine also fits its host time per context-encoding
// call, by coordinate descent with the first. A value within 1% of a bound is reported as on it.
import type { Catalog } from "../catalog/catalog.js";
import { BUILTIN_SERVING_ENGINES, type ServingEngine } from "../serve/engines.js";
import {
  engineOfCase,
  summarizeInferenceResults,
  validateInferenceCases,
  type InferenceCase,
  type InferenceMetricResult,
} from "../validate/inference.js";
import type { ErrorSummary } from "../validate/validation.js";
import { servingMisfit } from "./fitServingEfficiency.js";
import { goldenSectionMinimum } from "./goldenSection.js";

const PRIOR_OVERHEAD_US = 1000;
const PRIOR_SIGMA_US = 5000;
/** Prior host cost per context-encoding call of a static-shape engine: none beyond the iteration's. */
const PRIOR_PREFILL_CALL_US = 0;
const MAX_OVERHEAD_US = 40_000;
const STEPS = 10;

export interface EngineFit {
  engine: string;
  iterationOverheadUs: number;
  /** Static-shape engines: host time per context-encoding call; null for the others. */
  prefillCallOverheadUs: number | null;
  cases: number;
  groups: string[];
  atBound: boolean;
}

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
      if (engine.staticShapes)
        engine.prefillCallOverheadUs = { value: PRIOR_PREFILL_CALL_US, provenance: `prior: no open case ran ${engine.id}` };
      continue;
    }
    const objective = () => {
      const r = validateInferenceCases(own, catalog, { engines, engineOf });
      const z = (engine.iterationOverheadUs.value - PRIOR_OVERHEAD_US) / PRIOR_SIGMA_US;
      const zp = ((engine.prefillCallOverheadUs?.value ?? 0) - PRIOR_PREFILL_CALL_US) / PRIOR_SIGMA_US;
      return servingMisfit(r.results) + (z * z) / 2 + (engine.staticShapes ? (zp * zp) / 2 : 0);
    };
    const setIteration = (us: number) => (engine.iterationOverheadUs = { value: us, provenance: "candidate" });
    const setPrefillCall = (us: number) => (engine.prefillCallOverheadUs = { value: us, provenance: "candidate" });
    if (engine.staticShapes) setPrefillCall(PRIOR_PREFILL_CALL_US);
    // Coordinate descent: the overhead per iteration, then (static shapes) per context-encoding call, then the first again.
    let iteration = 0;
    let prefillCall = 0;
    const rounds = engine.staticShapes ? 2 : 1;
    for (let round = 0; round < rounds; round++) {
      iteration = Math.round(goldenSectionMinimum((us) => (setIteration(us), objective()), 0, MAX_OVERHEAD_US, STEPS));
      setIteration(iteration);
      if (!engine.staticShapes || round === rounds - 1) break;
      prefillCall = Math.round(goldenSectionMinimum((us) => (setPrefillCall(us), objective()), 0, MAX_OVERHEAD_US * 5, STEPS));
      setPrefillCall(prefillCall);
    }
    const groups = [...new Set(own.map((c) => c.group))];
    const provenance = `fitted on ${own.length} open inference case${own.length === 1 ? "" : "s"} (${groups.join(", ")})`;
    engine.iterationOverheadUs = { value: iteration, provenance };
    if (engine.staticShapes) engine.prefillCallOverheadUs = { value: prefillCall, provenance };
    const onBound = (v: number, hi: number) => v < 0.01 * hi || v > 0.99 * hi;
    fits.push({
      engine: engine.id,
      iterationOverheadUs: iteration,
      prefillCallOverheadUs: engine.staticShapes ? prefillCall : null,
      cases: own.length,
      groups,
      atBound: onBound(iteration, MAX_OVERHEAD_US) || (!!engine.staticShapes && onBound(prefillCall, MAX_OVERHEAD_US * 5)),
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
  return { ...summarizeInferenceResults(results), results };
}
