// Prediction against published measurements: each case predicted, its signed error, and the median
// and 90th-percentile absolute error per group and overall. A case that cannot be predicted is listed
// with its reason and counted as failed.
import type { Catalog } from "../catalog/catalog.js";
import type { TrainingCase } from "../catalog/scenario.js";
import { UltrasimError } from "../errors.js";
import { predictTraining } from "../analytic/trainingStep.js";

export interface CaseResult {
  id: string;
  group: string;
  systemId: string;
  chips: number;
  predicted: { stepSeconds: number } | null;
  measured: { stepSeconds: number };
  /** (predicted - measured) / measured, in percent; null when the case failed. */
  errorPct: number | null;
  /** Why the case could not be predicted. */
  failure?: string;
  /** Out-of-memory predictions are still compared, and flagged. */
  fits?: boolean;
  mfu?: number;
  /** Where the case publishes its peak memory per chip: predicted against measured, GiB. */
  memory?: { measuredGiB: number; predictedGiB: number; errorPct: number };
}

export interface ErrorSummary {
  count: number;
  failed: number;
  medianAbsErrorPct: number | null;
  p90AbsErrorPct: number | null;
  meanSignedErrorPct: number | null;
}

export interface ValidationReport {
  cases: CaseResult[];
  groups: Record<string, ErrorSummary>;
  summary: ErrorSummary;
  /** Peak-memory error over the cases that publish it (absent where none does). */
  memory?: ErrorSummary;
}

const GIB = 2 ** 30;

/** Percentile with linear interpolation between closest ranks (numpy's default). */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export function summarize(results: CaseResult[]): ErrorSummary {
  const errors = results.filter((r) => r.errorPct !== null).map((r) => r.errorPct!);
  const abs = errors.map(Math.abs);
  return {
    count: results.length,
    failed: results.length - errors.length,
    medianAbsErrorPct: abs.length ? percentile(abs, 0.5) : null,
    p90AbsErrorPct: abs.length ? percentile(abs, 0.9) : null,
    meanSignedErrorPct: errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : null,
  };
}

/** Predict a case on the framework it ran on (undefined: the chip's default). */
export function predictCase(c: TrainingCase, catalog: Catalog, framework?: string): CaseResult {
  const base = {
    id: c.id,
    group: c.group,
    systemId: c.system.id,
    chips: c.system.chips,
    measured: { stepSeconds: c.measured.stepSeconds },
  };
  try {
    const hw = catalog.hardware(c.system.id, {}, c.system.scaleOutGbpsPerChip, framework);
    const p = predictTraining({ model: c.model, hw, chips: c.system.chips, run: c.run, parallelism: c.parallelism });
    const measuredGiB = c.measured.peakMemoryGiB;
    const predictedGiB = p.memory.total / GIB;
    return {
      ...base,
      predicted: { stepSeconds: p.stepSeconds },
      errorPct: (100 * (p.stepSeconds - c.measured.stepSeconds)) / c.measured.stepSeconds,
      fits: p.memory.fits,
      mfu: p.mfu,
      ...(measuredGiB ? { memory: { measuredGiB, predictedGiB, errorPct: (100 * (predictedGiB - measuredGiB)) / measuredGiB } } : {}),
    };
  } catch (e) {
    if (!(e instanceof UltrasimError)) throw e;
    return { ...base, predicted: null, errorPct: null, failure: e.describe() };
  }
}

export function validateCases(
  cases: TrainingCase[],
  catalog: Catalog,
  frameworkOf: (c: TrainingCase) => string | undefined = () => undefined,
  onProgress?: (done: number, total: number) => void,
): ValidationReport {
  const results = cases.map((c, i) => {
    const result = predictCase(c, catalog, frameworkOf(c));
    onProgress?.(i + 1, cases.length);
    return result;
  });
  const groups: Record<string, ErrorSummary> = {};
  for (const g of [...new Set(results.map((r) => r.group))]) groups[g] = summarize(results.filter((r) => r.group === g));
  return { cases: results, groups, summary: summarize(results), ...memorySummary(results) };
}

/** The peak-memory error of the cases that publish it, summarised as the step time is. */
export function memorySummary(results: CaseResult[]): { memory?: ErrorSummary } {
  const withMemory = results.filter((r) => r.memory);
  return withMemory.length ? { memory: summarize(withMemory.map((r) => ({ ...r, errorPct: r.memory!.errorPct }))) } : {};
}
