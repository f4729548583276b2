// The training entry point: a scenario, resolved against a catalog, predicted.
import type { Catalog } from "./catalog/catalog.js";
import type { TrainingScenario } from "./catalog/scenario.js";
import type { ModelSpec, Precision } from "./catalog/schema.js";
import { predictTraining, type TrainingPrediction } from "./analytic/trainingStep.js";
import { precisionRunsAt, trainingPrecisionAssumption, trainingPrecisionRunsAt } from "./system/hardware.js";
import { intervalOf, mapInterval, trainingEvidenceKey, type Interval } from "./validate/intervals.js";

export interface TrainingResult {
  scenario: TrainingScenario;
  model: ModelSpec;
  systemId: string;
  chipId: string;
  prediction: TrainingPrediction;
  /** The precision whose peak the run executes at: what both its chip and its framework have (hardware.ts trainingPrecisionRunsAt). */
  peakPrecision?: Precision;
  /** Likely ranges (validate/intervals.ts) of the step time and what follows from it; null where there is no record to draw on. */
  likely: TrainingIntervals;
}

export interface TrainingIntervals {
  stepSeconds: Interval | null;
  tokensPerSecond: Interval | null;
  mfu: Interval | null;
}

/** The 80% ranges of a step time and the figures inversely proportional to it, for a prediction of this evidence class. */
export function trainingIntervals(prediction: TrainingPrediction, evidenceKey: string): TrainingIntervals {
  const step = intervalOf(prediction.stepSeconds, evidenceKey);
  return {
    stepSeconds: step,
    tokensPerSecond: mapInterval(step, (s) => prediction.tokensPerStep / s),
    mfu: mapInterval(step, (s) => (prediction.mfu * prediction.stepSeconds) / s),
  };
}

export function predictScenario(scenario: TrainingScenario, catalog: Catalog, options: { timeline?: boolean } = {}): TrainingResult {
  const model = typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model;
  const hw = catalog.hardwareFor(scenario);
  const prediction = predictTraining({
    model,
    hw,
    chips: scenario.system.chips,
    run: scenario.run,
    parallelism: scenario.parallelism,
    timeline: options.timeline,
  });
  const precision = trainingPrecisionAssumption(hw.chip, hw.software, scenario.run.precision);
  if (precision) prediction.assumptions.unshift(precision);
  const basis = catalog.efficiency(hw.chip.id, scenario.framework).basis;
  return {
    scenario,
    model,
    systemId: hw.system.id,
    chipId: hw.chip.id,
    prediction,
    peakPrecision: precisionRunsAt(hw.chip, trainingPrecisionRunsAt(hw.chip, hw.software, scenario.run.precision)),
    likely: trainingIntervals(prediction, trainingEvidenceKey(basis, !!model.moe)),
  };
}
