// The training entry point: a scenario, resolved against a catalog, predicted.
import type { Catalog } from "./catalog/catalog.js";
import type { TrainingScenario } from "./catalog/scenario.js";
import type { ModelSpec, Precision } from "./catalog/schema.js";
import { predictTraining, type TrainingPrediction } from "./analytic/trainingStep.js";
import { precisionAssumption, precisionRunsAt } from "./system/hardware.js";

export interface TrainingResult {
  scenario: TrainingScenario;
  model: ModelSpec;
  systemId: string;
  chipId: string;
  prediction: TrainingPrediction;
  /** The precision whose peak the chip runs the run's precision at (hardware.ts precisionRunsAt). */
  peakPrecision?: Precision;
}

export function predictScenario(scenario: TrainingScenario, catalog: Catalog, options: { timeline?: boolean } = {}): TrainingResult {
  const model = typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model;
  const hw = catalog.hardware(scenario.system.id, scenario.efficiency ?? {}, scenario.system.scaleOutGbpsPerChip, scenario.framework);
  const prediction = predictTraining({
    model,
    hw,
    chips: scenario.system.chips,
    run: scenario.run,
    parallelism: scenario.parallelism,
    timeline: options.timeline,
  });
  const precision = precisionAssumption(hw.chip, scenario.run.precision);
  if (precision) prediction.assumptions.unshift(precision);
  return {
    scenario,
    model,
    systemId: hw.system.id,
    chipId: hw.chip.id,
    prediction,
    peakPrecision: precisionRunsAt(hw.chip, scenario.run.precision),
  };
}
