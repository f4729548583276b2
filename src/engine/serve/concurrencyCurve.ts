// One deployment under closed loops of more and more clients: the throughput-interactivity curve that
// serving benchmarks plot (InferenceX's tokens/s per GPU against tokens/s per user, vLLM's
// benchmark_serving swept over --max-concurrency). Each level is its own simulation of the scenario.
import type { Catalog } from "../catalog/catalog.js";
import { UltrasimError } from "../errors.js";
import { parseNumber } from "../flagSyntax.js";
import type { ServingScenario } from "./scenario.js";
import { predictServing, type ServingOptions } from "./serve.js";
import type { ServingReport } from "./servingReport.js";

/**
 * Requests per client a closed loop runs, at least: the steady state leaves the first round and the
 * last out, so eight rounds leave six measured. The curve's levels and the validation of closed-loop
 * cases both run this many.
 */
export const CLOSED_LOOP_REQUESTS_PER_CLIENT = 8;

/** Requests one level of the curve simulates: the scenario's, or CLOSED_LOOP_REQUESTS_PER_CLIENT per client if more. */
export function curveLevelRequests(scenario: ServingScenario, clients: number): number {
  return Math.max(scenario.traffic.requests ?? 0, CLOSED_LOOP_REQUESTS_PER_CLIENT * clients);
}
/** The most levels one curve simulates. */
export const MAX_CURVE_LEVELS = 64;

/** A list of client counts as people type it ("1,4,16,64"): whole numbers ≥ 1, returned ascending, each once. */
export function parseClientCounts(text: string, field: string): number[] {
  const values = text.split(",").map((x) => parseNumber(x.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > Number.MAX_SAFE_INTEGER))
    throw new UltrasimError("INVALID_INPUT", `must be whole numbers ≥ 1, comma-separated, got '${text}'`, { field });
  return [...new Set(values)].sort((a, b) => a - b);
}

export interface ConcurrencyPoint {
  concurrency: number;
  /** Requests simulated at this level (curveLevelRequests). */
  requests: number;
  report: ServingReport;
}

export function concurrencyCurve(
  scenario: ServingScenario,
  catalog: Catalog,
  levels: number[],
  options: Pick<ServingOptions, "cost"> & { onProgress?: (done: number, total: number) => void } = {},
): ConcurrencyPoint[] {
  if (levels.length === 0 || levels.length > MAX_CURVE_LEVELS)
    throw new UltrasimError("INVALID_INPUT", `give 1 to ${MAX_CURVE_LEVELS} client counts, got ${levels.length}`, { field: "concurrency" });
  const measure = scenario.traffic.arrival?.kind === "closed-loop" ? scenario.traffic.arrival.measure : undefined;
  return levels.map((clients, i) => {
    if (!Number.isInteger(clients) || clients < 1)
      throw new UltrasimError("INVALID_INPUT", `client counts are whole numbers ≥ 1, got ${clients}`, { field: "concurrency" });
    const requests = curveLevelRequests(scenario, clients);
    const level: ServingScenario = {
      ...scenario,
      traffic: {
        ...scenario.traffic,
        requests,
        arrival: { kind: "closed-loop", concurrency: clients, ...(measure ? { measure } : {}) },
      },
    };
    const { report } = predictServing(level, catalog, { seriesPoints: 1, cost: options.cost });
    options.onProgress?.(i + 1, levels.length);
    return { concurrency: clients, requests, report };
  });
}
