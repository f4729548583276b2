// Energy, cost and (on request) reliability of a predicted training configuration: what a step, a
// million tokens and a whole run cost in joules, carbon and dollars, and how much of the run failures
// take. Every figure says where it comes from (report/figure.ts).
import { trainingCost, priceFor, type CostReport, type PriceEntry, type PriceKind } from "../analytic/cost.js";
import { trainingEnergy, type EnergyReport } from "../analytic/energy.js";
import { clusterPower } from "../analytic/power.js";
import type { Catalog } from "../catalog/catalog.js";
import { UltrasimError } from "../errors.js";
import type { CheckpointMode } from "../reliability/checkpoint.js";
import { predictReliability, type ReliabilityReport } from "../reliability/reliability.js";
import type { TrainingResult } from "../train.js";
import { GBIT_TO_BYTES } from "../units.js";
import { paramCounts } from "../workload/transformer.js";
import { inputFigure, type Figure } from "./figure.js";

export interface OperationsOptions {
  pue?: number;
  gridGco2PerKwh?: number;
  usdPerChipHour?: number;
  priceKind?: PriceKind;
  extraPrices?: PriceEntry[];
  /** Training tokens of the whole run. */
  tokens?: number;
  reliability?: boolean;
  checkpoint?: CheckpointMode;
  hotSpares?: number;
  checkpointIntervalSeconds?: number;
  failuresPerChipYear?: number;
  seed?: number;
}

export interface TrainingOperations {
  energy: EnergyReport;
  cost: CostReport;
  reliability: ReliabilityReport | null;
  run: { tokens: Figure | null; failureFreeSeconds: Figure | null; wallSeconds: Figure | null };
  notes: string[];
}

/** Failure-free run length when --reliability is on without a token budget. */
export const DEFAULT_RUN_DAYS = 30;

export function trainingOperations(
  result: Omit<TrainingResult, "likely" | "framework">,
  catalog: Catalog,
  options: OperationsOptions = {},
): TrainingOperations {
  const p = result.prediction;
  const chips = result.scenario.system.chips;
  const chip = catalog.chip(result.chipId);
  const notes: string[] = [];
  if (options.tokens !== undefined && !(Number.isFinite(options.tokens) && options.tokens > 0))
    throw new UltrasimError("INVALID_INPUT", `the token budget must be a positive number, got ${options.tokens}`, { field: "--tokens" });

  // Memory-bound share: the bottleneck stage's compute time not spent at the achieved tensor rate,
  // counted as HBM streaming at full bandwidth (an upper bound).
  const busy = Math.min(1, p.breakdown.compute / p.stepSeconds);
  const power = clusterPower({
    chip,
    systemId: result.systemId,
    chips,
    hfu: p.hfu,
    memoryUtilization: Math.max(0, busy - p.hfu),
    pue: options.pue,
  });
  notes.push(...power.notes);

  const tokens = options.tokens !== undefined ? inputFigure(options.tokens, "tokens", "--tokens") : null;
  let failureFree: Figure | null = tokens
    ? { value: tokens.value! / p.tokensPerSecond, unit: "s", from: "computed", estimates: [], note: "tokens / predicted tokens per second" }
    : null;
  let reliability: ReliabilityReport | null = null;
  let wall: Figure | null = failureFree;
  if (options.reliability) {
    if (!failureFree) {
      failureFree = inputFigure(DEFAULT_RUN_DAYS * 86400, "s", `no --tokens: a run of ${DEFAULT_RUN_DAYS} days of failure-free training`);
      notes.push(`no --tokens given: reliability simulated over ${DEFAULT_RUN_DAYS} days of failure-free training`);
    }
    const system = catalog.system(result.systemId);
    const gbps = result.scenario.system.scaleOutGbpsPerChip ?? system.scaleOut.gbpsPerChip.value;
    reliability = predictReliability({
      chipId: result.chipId,
      chips,
      parameters: paramCounts(result.model).total,
      peerBytesPerSecond: gbps * GBIT_TO_BYTES,
      checkpoint: options.checkpoint ?? "sync",
      hotSpares: options.hotSpares ?? 0,
      workSeconds: failureFree.value!,
      workSecondsFigure: failureFree,
      stepSeconds: p.stepSeconds,
      intervalSeconds: options.checkpointIntervalSeconds,
      failuresPerChipYear: options.failuresPerChipYear,
      seed: options.seed,
    });
    wall = reliability.monteCarlo!.effectiveSeconds;
  }
  const run = wall && wall.value !== null && (tokens || reliability) ? { seconds: wall } : undefined;
  const energy = trainingEnergy({
    power,
    stepSeconds: p.stepSeconds,
    tokensPerStep: p.tokensPerStep,
    gridGco2PerKwh: options.gridGco2PerKwh,
    run,
  });
  const cost = trainingCost({
    price: priceFor(result.systemId, { kind: options.priceKind, usdPerChipHour: options.usdPerChipHour, extra: options.extraPrices }),
    chips,
    stepSeconds: p.stepSeconds,
    tokensPerSecond: p.tokensPerSecond,
    run: run ? { seconds: run.seconds, billedChips: chips + (options.hotSpares ?? 0) } : undefined,
  });
  return { energy, cost, reliability, run: { tokens, failureFreeSeconds: failureFree, wallSeconds: wall }, notes };
}
