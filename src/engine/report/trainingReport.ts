// The result of `ultrasim train` as plain data: what --json prints and what the table shows.
import type { TrainingResult } from "../train.js";
import { paramCounts } from "../workload/transformer.js";
import type { TrainingOperations } from "./operationsReport.js";

/** `operations`: energy, cost and reliability (operationsReport.ts), where the caller computed them. */
export function trainingReport(result: TrainingResult, operations: TrainingOperations | null = null) {
  const p = result.prediction;
  const params = paramCounts(result.model);
  return {
    schemaVersion: 1 as const,
    scenario: result.scenario.name ?? null,
    model: { id: result.model.id ?? null, name: result.model.name, parameters: params.total, activeParameters: params.active },
    system: { id: result.systemId, chip: result.chipId, chips: result.scenario.system.chips },
    /** The training framework predicted: the scenario's, else the chip's default (ultrasim catalog frameworks). */
    framework: result.framework,
    run: result.scenario.run,
    layout: p.layout,
    stepSeconds: p.stepSeconds,
    /** 80% ranges of the step time, tokens/s and MFU, from the held-out error of predictions resting on the same evidence. */
    likely: result.likely,
    tokensPerStep: p.tokensPerStep,
    tokensPerSecond: p.tokensPerSecond,
    tokensPerSecondPerChip: p.tokensPerSecondPerChip,
    mfu: p.mfu,
    hfu: p.hfu,
    modelFlopsPerStep: p.modelFlopsPerStep,
    hardwareFlopsPerStep: p.hardwareFlopsPerStep,
    peakFlopsPerChip: p.peakFlopsPerChip,
    /** The precision of that peak: the run's, or the nearest the chip has (see assumptions). */
    peakPrecision: result.peakPrecision ?? result.scenario.run.precision,
    breakdownSeconds: p.breakdown,
    memoryBytes: p.memory,
    criticalStage: p.criticalStage,
    efficiency: result.prediction.efficiencyProvenance,
    assumptions: p.assumptions,
    energy: operations?.energy ?? null,
    cost: operations?.cost ?? null,
    reliability: operations?.reliability ?? null,
    runLength: operations?.run ?? null,
    operationsNotes: operations?.notes ?? [],
  };
}

export type TrainingReport = ReturnType<typeof trainingReport>;
