// The training calibration: one joint, bounded least-squares fit of every parameter the open
// validation cases constrain, each owned by its silicon, framework or collective library, pulled
// toward its prior; and leave-one-group-out cross-validation, which refits without each source group
// and predicts it: the error to expect on runs nobody has fitted.
import { trainingEvidenceKey } from "../validate/intervals.js";
import { predictTraining } from "../analytic/trainingStep.js";
import type { Catalog } from "../catalog/catalog.js";
import type { TrainingCase } from "../catalog/scenario.js";
import { UltrasimError } from "../errors.js";
import { widthClass } from "../system/hardware.js";
import { predictCase, summarize, type CaseResult, type ErrorSummary } from "../validate/validation.js";
import { assembleEfficiency, indexCalibration, keyOf, type CalibratedValue, type Calibration, type Owners } from "./calibration.js";
import { leastSquares } from "./levenbergMarquardt.js";
import { PARAMETERS, priorOf, MEASURED, type CalibratedParameter, type ParameterOwner } from "./parameters.js";

/** A case's log error is scaled by this: a 10% miss costs as much as one prior standard deviation. */
const CASE_SCALE = 0.1;

export const FIT_METHOD =
  "joint Levenberg-Marquardt on log(predicted/measured) step time over the open training cases (scale 0.1), " +
  "each parameter bounded by a logistic map and pulled toward its prior; closed-form pipeline schedule while fitting";

/** The framework each case ran on: the case's own, else its group's (groups.json), else the chip's default. */
export type FrameworkOf = (c: TrainingCase) => string | undefined;

interface FreeParameter {
  owner: ParameterOwner;
  id: string;
  name: CalibratedParameter;
}

interface PreparedCase {
  c: TrainingCase;
  owners: Owners;
  framework: ReturnType<Catalog["framework"]>;
  /** Indices of the free parameters this case reads. */
  uses: number[];
}

/** Which parameters a case exercises: those its step time can move. */
function parametersOf(c: TrainingCase, owners: Owners): { owner: ParameterOwner; id: string; name: CalibratedParameter }[] {
  const silicon = owners.silicon[0]!;
  const p = c.parallelism;
  const used: { owner: ParameterOwner; id: string; name: CalibratedParameter }[] = [
    { owner: "silicon", id: silicon, name: "gemm.b16" },
    { owner: "silicon", id: silicon, name: "attention" },
    { owner: "framework", id: owners.framework, name: "layerOverheadUs" },
  ];
  const width = widthClass(c.run.precision);
  if (width !== "b16") used.push({ owner: "silicon", id: silicon, name: `gemm.${width}` });
  if (p.tp > 1 && owners.tpCommOverlap) used.push({ owner: "framework", id: owners.framework, name: "tpOverlap" });
  if (c.model.moe) used.push({ owner: "framework", id: owners.framework, name: "groupedGemm" });
  if (c.model.moe && p.ep > 1) used.push({ owner: "framework", id: owners.framework, name: "epOverlap" });
  if (c.system.chips > 1) used.push({ owner: "collectives", id: owners.collectives, name: "scaleUp" });
  if (c.system.chips > 1) used.push({ owner: "collectives", id: owners.collectives, name: "scaleOut" });
  return used;
}

function prepare(cases: TrainingCase[], catalog: Catalog, frameworkOf: FrameworkOf) {
  const free: FreeParameter[] = [];
  const index = new Map<string, number>();
  const prepared: PreparedCase[] = cases.map((c) => {
    const chip = catalog.chip(catalog.system(c.system.id).chip);
    const framework = catalog.framework(chip.id, frameworkOf(c));
    const owners = catalog.owners(chip.id, framework);
    const uses = parametersOf(c, owners).map((p) => {
      const key = keyOf(p.owner, p.id, p.name);
      let i = index.get(key);
      if (i === undefined) {
        i = free.push(p) - 1;
        index.set(key, i);
      }
      return i;
    });
    return { c, owners, framework, uses };
  });
  return { free, prepared };
}

/** The calibration values of a fit, with provenance: fitted on which groups and cases, sd, bounds. */
function calibrationOf(free: FreeParameter[], prepared: PreparedCase[], values: number[], sd: number[], source: string): CalibratedValue[] {
  return free.map((p, j) => {
    const def = PARAMETERS[p.name];
    const users = prepared.filter((k) => k.uses.includes(j));
    const prior = priorOf(p.name, p.owner === "silicon" ? p.id : null);
    const margin = 0.01 * (def.hi - def.lo);
    const round = (x: number) => (p.name === "layerOverheadUs" ? Math.round(x) : Math.round(x * 1000) / 1000);
    return {
      owner: p.owner,
      id: p.id,
      name: p.name,
      value: round(values[j]!),
      provenance: "fitted" as const,
      prior: prior.value,
      source: `${source}; prior: ${prior.source}`,
      sd: round(sd[j]!),
      fittedOn: [...new Set(users.map((k) => k.c.group))],
      cases: users.length,
      atBound: values[j]! - def.lo < margin || def.hi - values[j]! < margin,
    };
  });
}

export interface TrainingFit {
  calibration: Calibration;
  iterations: number;
  cost: number;
}

/**
 * Fit every parameter the cases constrain, jointly. `start` warm-starts from an earlier fit (the
 * cross-validation starts each held-out fit from the full one).
 */
export function fitTraining(
  cases: TrainingCase[],
  catalog: Catalog,
  frameworkOf: FrameworkOf,
  options: { start?: Calibration; maxIterations?: number; fittedOn?: string } = {},
): TrainingFit {
  if (cases.length === 0) throw new UltrasimError("INVALID_INPUT", "no training cases to fit");
  const { free, prepared } = prepare(cases, catalog, frameworkOf);
  const startIndex = options.start ? indexCalibration(options.start) : undefined;
  const dependents = free.map((_, j) => prepared.flatMap((k, i) => (k.uses.includes(j) ? [i] : [])));
  const hardwareBase = prepared.map((k) => ({ systemId: k.c.system.id, framework: k.framework }));
  const result = leastSquares(
    {
      parameters: free.map((p) => {
        const def = PARAMETERS[p.name];
        const prior = priorOf(p.name, p.owner === "silicon" ? p.id : null);
        return { lo: def.lo, hi: def.hi, prior: prior.value, priorSd: prior.sd };
      }),
      blocks: prepared.length,
      dependents,
      residual(i, values) {
        const k = prepared[i]!;
        const fitted = indexCalibration({
          method: "fitting",
          values: k.uses.map((j) => ({ ...free[j]!, value: values[j]!, provenance: "fitted" as const, source: "fitting" })),
        });
        const { efficiency } = assembleEfficiency(fitted, k.owners);
        const hw = catalog.hardwareWith(hardwareBase[i]!.systemId, efficiency, "fitting", k.framework, k.c.system.scaleOutGbpsPerChip);
        try {
          const p = predictTraining({
            model: k.c.model,
            hw,
            chips: k.c.system.chips,
            run: k.c.run,
            parallelism: k.c.parallelism,
            schedule: "closed-form",
          });
          return Math.log(p.stepSeconds / k.c.measured.stepSeconds) / CASE_SCALE;
        } catch (e) {
          if (e instanceof UltrasimError) return 0;
          throw e;
        }
      },
    },
    {
      start: startIndex
        ? free.map((p) => startIndex.get(keyOf(p.owner, p.id, p.name))?.value ?? priorOf(p.name, p.owner === "silicon" ? p.id : null).value)
        : undefined,
      maxIterations: options.maxIterations,
    },
  );
  const source = options.fittedOn ?? "fitted";
  return {
    calibration: {
      method: FIT_METHOD,
      fittedOn: options.fittedOn,
      values: calibrationOf(free, prepared, result.values, result.sd, source),
    },
    iterations: result.iterations,
    cost: result.cost,
  };
}

export interface CrossValidation {
  /** Held-out errors over every case, each predicted by a fit that never saw its group. */
  summary: ErrorSummary;
  groups: Record<string, ErrorSummary>;
  cases: CaseResult[];
  /** Each held-out case's evidence class (intervals.ts), as the fit without its group saw it. */
  evidence: string[];
}

/** A training case's evidence class (intervals.ts): the basis of its chip's kernels under `catalog`, dense or MoE. */
export function caseEvidenceKey(c: TrainingCase, catalog: Catalog, framework?: string): string {
  const chip = catalog.system(c.system.id).chip;
  return trainingEvidenceKey(catalog.efficiency(chip, framework).basis, c.model.moe !== null && c.model.moe !== undefined);
}

/** Leave one source group out: fit on the others, predict the group held out (simulated schedule). */
export function crossValidate(
  cases: TrainingCase[],
  catalog: Catalog,
  frameworkOf: FrameworkOf,
  options: { full?: Calibration; onGroup?: (group: string, done: number, total: number) => void } = {},
): CrossValidation {
  const groups = [...new Set(cases.map((c) => c.group))];
  const results: CaseResult[] = [];
  const evidence: string[] = [];
  const byGroup: Record<string, ErrorSummary> = {};
  groups.forEach((group, n) => {
    options.onGroup?.(group, n, groups.length);
    const training = cases.filter((c) => c.group !== group);
    const heldOut = cases.filter((c) => c.group === group);
    const fit = fitTraining(training, catalog, frameworkOf, { start: options.full, maxIterations: options.full ? 12 : 30 });
    const fitted = catalog.withEntries({ calibration: fit.calibration });
    const groupResults = heldOut.map((c) => predictCase(c, fitted, frameworkOf(c)));
    byGroup[group] = summarize(groupResults);
    results.push(...groupResults);
    for (const c of heldOut) evidence.push(caseEvidenceKey(c, fitted, frameworkOf(c)));
  });
  options.onGroup?.("", groups.length, groups.length);
  return { summary: summarize(results), groups: byGroup, cases: results, evidence };
}

/** Silicon ids with device measurements: their priors are measured, not round figures. */
export const MEASURED_SILICON = Object.keys(MEASURED);
