// Energy and cost of a simulated deployment: the same power model (analytic/power.ts) and price table
// (analytic/cost.ts) as training, fed by what the simulation measured. Each pool draws its facility
// power for the whole run (a server idles between iterations but stays on); its utilization is the
// FLOPs it executed over its peak and its busy time. Every figure says where it comes from.
import { priceFor, usdPerMillionTokens, type PriceEntry, type PriceKind } from "../analytic/cost.js";
import { joulesPerToken } from "../analytic/energy.js";
import { clusterPower, type ClusterPower } from "../analytic/power.js";
import type { Catalog } from "../catalog/catalog.js";
import type { ModelSpec } from "../catalog/schema.js";
import { computedFigure, type Figure } from "../report/figure.js";
import { peakFlopsPerSecond } from "../system/hardware.js";
import { paramCounts } from "../workload/transformer.js";
import type { PoolSummary } from "./deployment.js";

export interface ServingCostOptions {
  pue?: number;
  usdPerChipHour?: number;
  priceKind?: PriceKind;
  extraPrices?: PriceEntry[];
}

export interface PoolOperations {
  role: PoolSummary["role"];
  systemId: string;
  chips: number;
  /** Model FLOPs executed over the pool's peak over the run. */
  hfu: number;
  /** Share of the run the pool was busy but not at the achieved tensor rate, counted as streaming HBM (an upper bound). */
  memoryUtilization: number;
  power: ClusterPower;
  usdPerChipHour: Figure;
  priceKind: PriceKind | null;
  priceEntry: string | null;
}

export interface ServingOperations {
  /** Facility watts of all pools together. */
  facilityWatts: Figure;
  joulesPerOutputToken: Figure;
  usdPerHour: Figure;
  usdPerMillionOutputTokens: Figure;
  pools: PoolOperations[];
  notes: string[];
}

export interface PoolActivity {
  summary: PoolSummary;
  /** Tokens the pool ran through the model (prompt tokens, recomputed ones included, and decoded ones). */
  tokensProcessed: number;
  /** Busy seconds summed over the pool's engines (the simulation's schedulers, deployment.ts). */
  busySeconds: number;
}

export function servingOperations(
  model: ModelSpec,
  pools: PoolActivity[],
  run: { seconds: number; outputTokensPerSecond: number },
  catalog: Catalog,
  options: ServingCostOptions = {},
): ServingOperations {
  // Forward FLOPs per token: two per active weight (Kaplan et al. 2020, C_forward ≈ 2N); attention's
  // own FLOPs are left out, so the utilization is a slight underestimate at long context.
  const flopsPerToken = 2 * paramCounts(model).active;
  const notes: string[] = [];
  const ops = pools.map((p): PoolOperations => {
    const s = p.summary;
    const chip = catalog.chip(s.chipId);
    const seconds = Math.max(run.seconds, 1e-12);
    const hfu = Math.min(1, (flopsPerToken * p.tokensProcessed) / (s.chips * peakFlopsPerSecond(chip, s.precision) * seconds));
    // An engine's iteration keeps its share of the pool's chips busy for its length (tp chips of an
    // attention rank; a pipeline engine's tp chips per stage for 1/pp of it, each of pp stages), so
    // the chips' busy share is the engines' busy seconds over engines x run.
    const busy = Math.min(1, p.busySeconds / (s.virtualEngines * seconds));
    const power = clusterPower({
      chip,
      systemId: s.systemId,
      chips: s.chips,
      hfu,
      memoryUtilization: Math.max(0, busy - hfu),
      pue: options.pue,
    });
    notes.push(...power.notes);
    const price = priceFor(s.systemId, { kind: options.priceKind, usdPerChipHour: options.usdPerChipHour, extra: options.extraPrices });
    return {
      role: s.role,
      systemId: s.systemId,
      chips: s.chips,
      hfu,
      memoryUtilization: Math.max(0, busy - hfu),
      power,
      usdPerChipHour: price.usdPerChipHour,
      priceKind: price.kind,
      priceEntry: price.entryId,
    };
  });
  const wattsFigures = ops.map((o) => o.power.facilityWatts);
  const watts = wattsFigures.reduce((a, f) => a + f.value!, 0);
  const facilityWatts = computedFigure(watts, "W", wattsFigures, ops.length > 1 ? "sum over the pools" : wattsFigures[0]!.note);
  const tokensPerSecond = run.outputTokensPerSecond;
  const joules = computedFigure(
    tokensPerSecond > 0 ? joulesPerToken(watts, tokensPerSecond) : null,
    "J",
    [facilityWatts],
    "facility watts / output tokens per second (over the whole run, idle time included)",
  );
  const prices = ops.map((o) => o.usdPerChipHour);
  const missing = ops.find((o) => o.usdPerChipHour.value === null);
  const usdPerHourValue = missing ? null : ops.reduce((a, o) => a + o.usdPerChipHour.value! * o.chips, 0);
  const usdPerHour = computedFigure(usdPerHourValue, "USD/h", prices, "price per chip-hour × chips, summed over the pools");
  // One formula for training and serving: price × chips / tokens per second, per 1M tokens.
  const perMillion = computedFigure(
    usdPerHourValue === null || tokensPerSecond <= 0 ? null : usdPerMillionTokens(usdPerHourValue, 1, tokensPerSecond),
    "USD",
    [usdPerHour],
    "price × chips / output tokens per second, per 1M output tokens",
  );
  if (missing) usdPerHour.note = perMillion.note = missing.usdPerChipHour.note;
  return { facilityWatts, joulesPerOutputToken: joules, usdPerHour, usdPerMillionOutputTokens: perMillion, pools: ops, notes };
}
