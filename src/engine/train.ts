// The training entry point: a scenario, resolved against a catalog, predicted.
import type { Catalog } from "./catalog/catalog.js";
import type { TrainingScenario } from "./catalog/scenario.js";
import type { ModelSpec, Precision } from "./catalog/schema.js";
import { predictTraining, type TrainingPrediction } from "./analytic/trainingStep.js";
import { defaultZeroStage, type FrameworkSpec } from "./calibrate/framework.js";
import { UltrasimError } from "./errors.js";
import { precisionRunsAt, trainingPrecisionAssumption, trainingPrecisionRunsAt } from "./system/hardware.js";
import { intervalOf, mapInterval, trainingEvidenceKey, type Interval } from "./validate/intervals.js";

export interface TrainingResult {
  scenario: TrainingScenario;
  model: ModelSpec;
  systemId: string;
  chipId: string;
  /** The training framework the prediction ran under: the scenario's, else the chip's default. */
  framework: string;
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
    framework: hw.software.framework,
    prediction,
    peakPrecision: precisionRunsAt(hw.chip, trainingPrecisionRunsAt(hw.chip, hw.software, scenario.run.precision)),
    likely: trainingIntervals(prediction, trainingEvidenceKey(basis, !!model.moe)),
  };
}

/**
 * A scenario moved onto another system, as the web app's Compare runs one workload everywhere: the
 * framework it names where that runs on the system's chip, else the system's default (as `compare`
 * runs each system); a ZeRO stage that framework does not offer becomes its default stage. Each change
 * is said, for the report's assumptions.
 */
export function scenarioOnSystem(
  scenario: TrainingScenario,
  systemId: string,
  catalog: Catalog,
): { scenario: TrainingScenario; changes: string[] } {
  const chipId = catalog.system(systemId).chip;
  const changes: string[] = [];
  let framework = scenario.framework;
  let software: FrameworkSpec;
  try {
    software = catalog.framework(chipId, framework);
  } catch (e) {
    // It runs elsewhere (another runtime, other chips): give way. An unknown name stays an error.
    if (!(e instanceof UltrasimError) || e.code !== "INVALID_INPUT") throw e;
    framework = undefined;
    software = catalog.framework(chipId);
    changes.push(`framework ${scenario.framework} does not run on ${chipId}: ${systemId} runs its default, ${software.id}`);
  }
  let parallelism = scenario.parallelism;
  if (!(software.zeroStages.value as readonly number[]).includes(parallelism.zero)) {
    const zero = defaultZeroStage(software.zeroStages.value);
    changes.push(`ZeRO-${parallelism.zero} is not offered by ${software.id}: ZeRO-${zero}, its default, on ${systemId}`);
    parallelism = { ...parallelism, zero };
  }
  const moved: TrainingScenario = { ...scenario, system: { ...scenario.system, id: systemId }, parallelism };
  if (framework === undefined) delete moved.framework;
  return { scenario: moved, changes };
}
