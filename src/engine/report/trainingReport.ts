// The result of `ultrasim train` as plain data: what --json prints and what the table shows.
import type { TrainingResult } from "../train.js";
import { paramCounts } from "../workload/transformer.js";

export function trainingReport(result: TrainingResult) {
  const p = result.prediction;
  const params = paramCounts(result.model);
  return {
    schemaVersion: 1 as const,
    scenario: result.scenario.name ?? null,
    model: { id: result.model.id ?? null, name: result.model.name, parameters: params.total, activeParameters: params.active },
    system: { id: result.systemId, chip: result.chipId, chips: result.scenario.system.chips },
    run: result.scenario.run,
    layout: p.layout,
    stepSeconds: p.stepSeconds,
    tokensPerStep: p.tokensPerStep,
    tokensPerSecond: p.tokensPerSecond,
    tokensPerSecondPerChip: p.tokensPerSecondPerChip,
    mfu: p.mfu,
    hfu: p.hfu,
    modelFlopsPerStep: p.modelFlopsPerStep,
    hardwareFlopsPerStep: p.hardwareFlopsPerStep,
    peakFlopsPerChip: p.peakFlopsPerChip,
    breakdownSeconds: p.breakdown,
    memoryBytes: p.memory,
    criticalStage: p.criticalStage,
    efficiency: result.prediction.efficiencyProvenance,
    assumptions: p.assumptions,
  };
}

export type TrainingReport = ReturnType<typeof trainingReport>;
