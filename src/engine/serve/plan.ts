// `serve plan`: search tensor parallelism, replicas, batch limits and the system for the deployment
// that meets the SLO (p90 TTFT and TPOT), under a chip budget, with the most output tokens/s per chip
// (objective "throughput") or the fewest dollars per 1M output tokens ("cost": the systems' prices
// differ, so the two can pick different hardware). Each candidate is simulated on the scenario's traffic.
import type { Catalog } from "../catalog/catalog.js";
import { UltrasimError } from "../errors.js";
import { defaultServingEngine, servingRuntime } from "./deployment.js";
import { BUILTIN_SERVING_ENGINES } from "./engines.js";
import type { PoolSpec, RequestSpec, ServingScenario } from "./scenario.js";
import { predictServing } from "./serve.js";
import type { ServingCostOptions } from "./servingOperations.js";
import type { ServingReport } from "./servingReport.js";

export const SERVING_PLAN_OBJECTIVES = ["throughput", "cost"] as const;
/** The most chips a searched deployment may use where no budget is given (`serve plan --max-chips`). */
export const DEFAULT_SERVING_PLAN_MAX_CHIPS = 64;
export type ServingPlanObjective = (typeof SERVING_PLAN_OBJECTIVES)[number];

export interface PlanCandidate {
  pool: PoolSpec;
  /** The engine the pool ran: the scenario's, else its system's runtime default. */
  engine: string;
  chips: number;
  meetsSlo: boolean;
  reason: string | null;
  outputTokensPerSecond: number;
  outputTokensPerSecondPerChip: number;
  ttftP90Seconds: number | null;
  tpotP90Seconds: number | null;
  goodputFraction: number | null;
  /** Dollars per 1M output tokens at the system's price (null where it has none: `costReason` says why). */
  usdPerMillionOutputTokens: number | null;
  costReason: string | null;
}

export interface PlanOptions {
  systems: string[];
  maxChips: number;
  tps?: number[];
  batches?: number[];
  /** Pipeline depths to search (pp micro-batches in flight); default the scenario's. */
  pps?: number[];
  /** Attention data-parallel ranks per replica to search (MoE serving); default the scenario's. */
  attentionDps?: number[];
  requests?: RequestSpec[];
  /** What to rank the deployments meeting the SLO by; default "throughput". */
  objective?: ServingPlanObjective;
  /** Prices and PUE for the dollars per token. */
  cost?: ServingCostOptions;
  /**
   * Called with what the search changed or could not do: a system that ran another engine than the
   * scenario's (its runtime cannot start that one), a system where no deployment could run at all.
   */
  onNote?: (note: string) => void;
  /** Called after each (system, tp, batch) shape is searched: shapes done, shapes in all, the system. */
  onProgress?: (done: number, total: number, system: string) => void;
}

function meets(report: ServingReport, scenario: ServingScenario): { ok: boolean; reason: string | null } {
  if (!report.feasible) return { ok: false, reason: report.infeasibleReason };
  if (report.requests.rejected > 0) return { ok: false, reason: `${report.requests.rejected} requests rejected` };
  const slo = scenario.slo ?? {};
  const ttft = report.latency.ttftSeconds?.p90 ?? 0;
  const tpot = report.latency.tpotSeconds?.p90 ?? 0;
  const e2e = report.latency.e2eSeconds?.p90 ?? 0;
  if (slo.ttftSeconds !== undefined && ttft > slo.ttftSeconds) return { ok: false, reason: `p90 TTFT ${ttft.toFixed(3)} s` };
  if (slo.tpotSeconds !== undefined && tpot > slo.tpotSeconds) return { ok: false, reason: `p90 TPOT ${(tpot * 1e3).toFixed(1)} ms` };
  if (slo.e2eSeconds !== undefined && e2e > slo.e2eSeconds) return { ok: false, reason: `p90 end-to-end ${e2e.toFixed(2)} s` };
  return { ok: true, reason: null };
}

export function planServing(scenario: ServingScenario, catalog: Catalog, options: PlanOptions): PlanCandidate[] {
  const base = scenario.deployment;
  if (!base)
    throw new UltrasimError("INVALID_INPUT", "serve plan searches a colocated deployment: give deployment", { field: "deployment" });
  const candidates: PlanCandidate[] = [];
  const batches = options.batches ?? [32, 64, 128, 256, 512];
  const tpsOf = (system: string) => {
    const perSystem = catalog.system(system, "--systems").chipsPerSystem;
    return options.tps ?? [1, 2, 4, 8, 16].filter((t) => t <= perSystem);
  };
  const pps = options.pps ?? [base.pp ?? 1];
  const attentionDps = options.attentionDps ?? [base.attentionDp ?? 1];
  const shapes = options.systems.reduce((n, system) => n + tpsOf(system).length * batches.length * pps.length * attentionDps.length, 0);
  let shapesDone = 0;
  for (const system of options.systems) {
    const tps = tpsOf(system);
    // Hardware compared across runtimes runs each on its own software: an engine the system's chip
    // cannot start (vLLM's CUDA build on Trainium) gives way to that runtime's default.
    const chip = catalog.system(system).chip;
    const named = base.engine !== undefined ? BUILTIN_SERVING_ENGINES.find((e) => e.id === base.engine) : undefined;
    const engine = named && named.runtime !== servingRuntime(catalog, chip) ? defaultServingEngine(catalog, chip) : base.engine;
    if (engine !== base.engine) options.onNote?.(`${system} runs ${engine}: the scenario's ${base.engine} does not run on ${chip}`);
    let firstFailure: string | null = null;
    const before = candidates.length;
    for (const tp of tps)
      for (const pp of pps)
        for (const attentionDp of attentionDps) {
          for (const maxBatch of batches) {
            // Fewest replicas first: the first that meets the SLO is the cheapest for this shape.
            for (let replicas = 1; replicas * tp * attentionDp * pp <= options.maxChips; replicas *= 2) {
              const pool: PoolSpec = { ...base, system, engine, tp, pp, attentionDp, replicas, batching: { ...base.batching, maxBatch } };
              if (engine === undefined) delete pool.engine;
              if (base.ep && (tp * attentionDp) % base.ep !== 0) pool.ep = 1;
              // A given etp was for the scenario's tp and attention ranks: a searched one gets the default (ep x etp = tp x attentionDp).
              if (base.etp != null && (tp !== base.tp || attentionDp !== (base.attentionDp ?? 1))) pool.etp = null;
              let report: ServingReport;
              try {
                report = predictServing({ ...scenario, deployment: pool }, catalog, {
                  requests: options.requests,
                  seriesPoints: 1,
                  cost: options.cost,
                }).report;
              } catch (e) {
                if (!(e instanceof UltrasimError)) throw e;
                firstFailure ??= e.message;
                break;
              }
              const { ok, reason } = meets(report, scenario);
              candidates.push({
                pool,
                engine: engine ?? defaultServingEngine(catalog, chip),
                chips: report.chips,
                meetsSlo: ok,
                reason,
                outputTokensPerSecond: report.throughput.outputTokensPerSecond,
                outputTokensPerSecondPerChip: report.throughput.outputTokensPerSecondPerChip,
                ttftP90Seconds: report.latency.ttftSeconds?.p90 ?? null,
                tpotP90Seconds: report.latency.tpotSeconds?.p90 ?? null,
                goodputFraction: report.goodput?.fractionMeetingSlo ?? null,
                usdPerMillionOutputTokens: report.cost.usdPerMillionTokens ?? null,
                costReason: report.cost.reason ?? null,
              });
              if (ok || !report.feasible) break;
            }
            options.onProgress?.(++shapesDone, shapes, system);
          }
        }
    if (candidates.length === before && firstFailure !== null) options.onNote?.(`${system}: no deployment could run: ${firstFailure}`);
  }
  // Those meeting the SLO first; then by the objective (a deployment without a price last under "cost").
  const byObjective =
    options.objective === "cost"
      ? (a: PlanCandidate, b: PlanCandidate) => (a.usdPerMillionOutputTokens ?? Infinity) - (b.usdPerMillionOutputTokens ?? Infinity)
      : (a: PlanCandidate, b: PlanCandidate) => b.outputTokensPerSecondPerChip - a.outputTokensPerSecondPerChip;
  return candidates.sort((a, b) => Number(b.meetsSlo) - Number(a.meetsSlo) || byObjective(a, b));
}
