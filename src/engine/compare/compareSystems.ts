// One training workload on several systems side by side: each system's best layout (the planner), its
// time, MFU, dollars and energy per million tokens, and ratios against a baseline system.
import type { PriceEntry, PriceKind } from "../analytic/cost.js";
import type { Catalog } from "../catalog/catalog.js";
import type { ModelSpec, RunSpec } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";
import { trainingPrecisionAssumption, trainingPrecisionRunsAt } from "../system/hardware.js";
import { describeLayout, plan, type SearchSpace } from "../plan/search.js";
import { trainingOperations } from "../report/operationsReport.js";
import { trainingIntervals } from "../train.js";
import { mapInterval, trainingEvidenceKey, type Interval } from "../validate/intervals.js";

/**
 * Tokens a comparison's time to train counts where none is given (`compare --tokens`, the web app's
 * Compare): a frontier pretraining run, Llama 3's "over 15T tokens" (Llama Team, The Llama 3 Herd of
 * Models, https://arxiv.org/abs/2407.21783, sec. 3.1).
 */
export const DEFAULT_TRAINING_TOKENS = 15e12;

/** The system ratios are taken against: Trn3's UltraServer where it is among them, else the first. */
export function compareBaseline(systems: readonly string[]): string {
  return systems.includes("trn3-ultraserver") ? "trn3-ultraserver" : systems[0]!;
}

export interface CompareRequest {
  model: ModelSpec;
  modelRef: string;
  systems: string[];
  baseline: string;
  /** Target chips; each system gets the nearest whole number of its systems (at least one). */
  chips: number;
  globalBatch: number;
  seqLen: number;
  precision: RunSpec["precision"];
  /** MoE: the busiest expert-parallel rank's routed tokens over the mean (1: balanced). */
  expertLoadImbalance?: number;
  tokens: number;
  pue?: number;
  /** One price for every system, dollars per chip-hour (as train's --price-per-chip-hour); else each system's from the table. */
  usdPerChipHour?: number;
  /** Which price to take from the table (on-demand, reserved...). */
  priceKind?: PriceKind;
  /** Prices that add to or replace the built-in table's (--prices). */
  extraPrices?: PriceEntry[];
  space?: SearchSpace;
  onProgress?: (done: number) => void;
}

export interface CompareRow {
  system: string;
  chip: string;
  /** The training framework the system runs (its chip's default) and the precision it trains at there (hardware.ts trainingPrecisionRunsAt). */
  framework: string;
  precision: string;
  chips: number;
  layout: string | null;
  stepSeconds: number | null;
  tokensPerSecond: number | null;
  mfu: number | null;
  timeToTrainSeconds: number | null;
  /** 80% ranges of the time to train and tokens/s (validate/intervals.ts), from the evidence this system's prediction rests on. */
  likely: { timeToTrainSeconds: Interval | null; tokensPerSecond: Interval | null };
  usdPerMillionTokens: number | null;
  /** Why there is no dollar figure (no public price), or null. */
  priceNote: string | null;
  kwhPerMillionTokens: number | null;
  /** Facility watts of the whole cluster while training. */
  facilityWatts: number | null;
  /** This system over the baseline: tokens/s, $ per token, energy per token (null where either side lacks it). */
  vsBaseline: { throughput: number | null; usdPerToken: number | null; energyPerToken: number | null };
  infeasible: string | null;
}

export interface Comparison {
  model: string;
  baseline: string;
  run: { globalBatch: number; seqLen: number; precision: string; tokens: number };
  rows: CompareRow[];
  notes: string[];
}

const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);

export function compareSystems(request: CompareRequest, catalog: Catalog): Comparison {
  if (!request.systems.includes(request.baseline))
    throw new UltrasimError("INVALID_INPUT", `the baseline '${request.baseline}' is not one of --systems (${request.systems.join(", ")})`, {
      field: "--baseline",
    });
  const notes: string[] = [];
  const rows: CompareRow[] = request.systems.map((systemId, i) => {
    const hw = catalog.hardware(systemId);
    const precision = trainingPrecisionAssumption(hw.chip, hw.software, request.precision);
    const software = { framework: hw.software.framework, precision: trainingPrecisionRunsAt(hw.chip, hw.software, request.precision) };
    if (precision && !notes.includes(precision)) notes.push(precision);
    const per = hw.system.chipsPerSystem;
    const chips = Math.max(1, Math.round(request.chips / per)) * per;
    const result = plan({
      model: request.model,
      hw,
      chips: [chips],
      globalBatch: request.globalBatch,
      seqLen: request.seqLen,
      precision: request.precision,
      expertLoadImbalance: request.expertLoadImbalance,
      tokens: request.tokens,
      topK: 1,
      space: request.space,
    });
    request.onProgress?.((i + 1) / request.systems.length);
    const best = result.plans[0];
    if (!best)
      return {
        system: systemId,
        chip: hw.chip.id,
        ...software,
        chips,
        layout: null,
        stepSeconds: null,
        tokensPerSecond: null,
        mfu: null,
        timeToTrainSeconds: null,
        likely: { timeToTrainSeconds: null, tokensPerSecond: null },
        usdPerMillionTokens: null,
        priceNote: null,
        kwhPerMillionTokens: null,
        facilityWatts: null,
        vsBaseline: { throughput: null, usdPerToken: null, energyPerToken: null },
        infeasible: "no layout fits in memory with this batch",
      };
    const ops = trainingOperations(
      {
        scenario: {
          schemaVersion: 1,
          model: request.modelRef,
          system: { id: systemId, chips },
          run: best.run,
          parallelism: best.parallelism,
        },
        model: request.model,
        systemId,
        chipId: hw.chip.id,
        prediction: best.prediction,
      },
      catalog,
      { pue: request.pue, usdPerChipHour: request.usdPerChipHour, priceKind: request.priceKind, extraPrices: request.extraPrices },
    );
    for (const n of ops.notes) if (!notes.includes(n)) notes.push(n);
    const usd = ops.cost.perMillionTokensUsd.value;
    return {
      system: systemId,
      chip: hw.chip.id,
      ...software,
      chips,
      layout: describeLayout(best.parallelism, best.run.microBatch!),
      stepSeconds: best.prediction.stepSeconds,
      tokensPerSecond: best.prediction.tokensPerSecond,
      mfu: best.prediction.mfu,
      timeToTrainSeconds: best.timeToTrainSeconds,
      likely: (() => {
        const intervals = trainingIntervals(
          best.prediction,
          trainingEvidenceKey(catalog.efficiency(hw.chip.id).basis, !!request.model.moe),
        );
        return {
          timeToTrainSeconds:
            best.timeToTrainSeconds === null
              ? null
              : mapInterval(intervals.stepSeconds, (s) => (best.timeToTrainSeconds! * s) / best.prediction.stepSeconds),
          tokensPerSecond: intervals.tokensPerSecond,
        };
      })(),
      usdPerMillionTokens: usd,
      priceNote: usd === null ? (ops.cost.usdPerChipHour.note ?? "no public price") : null,
      kwhPerMillionTokens: ops.energy.perMillionTokens.joules.value! / 3.6e6,
      facilityWatts: ops.energy.power.facilityWatts.value,
      vsBaseline: { throughput: null, usdPerToken: null, energyPerToken: null },
      infeasible: null,
    };
  });
  const base = rows.find((r) => r.system === request.baseline)!;
  for (const r of rows)
    r.vsBaseline = {
      throughput: ratio(r.tokensPerSecond, base.tokensPerSecond),
      usdPerToken: ratio(r.usdPerMillionTokens, base.usdPerMillionTokens),
      energyPerToken: ratio(r.kwhPerMillionTokens, base.kwhPerMillionTokens),
    };
  notes.push("each system runs the nearest whole number of its systems to the chip target; throughput ratios compare clusters, not chips");
  return {
    model: request.model.id ?? request.model.name,
    baseline: request.baseline,
    run: { globalBatch: request.globalBatch, seqLen: request.seqLen, precision: request.precision, tokens: request.tokens },
    rows,
    notes,
  };
}
