// What a serving simulation measured, as plain data: latency percentiles, throughput, goodput
// under an SLO, occupancy over time. What --json prints and the table shows.
import type { Interval } from "../validate/intervals.js";
import type { PoolSummary } from "./deployment.js";
import type { ArrivalSpec, SloSpec, TrafficSpec } from "./scenario.js";
import type { ServingOperations } from "./servingOperations.js";
import type { OccupancyPoint, SimulationResult } from "./simulate.js";

export interface LatencyStats {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface ServingReport {
  schemaVersion: 1;
  scenario: string | null;
  model: { id: string | null; name: string };
  seed: number;
  feasible: boolean;
  infeasibleReason: string | null;
  pools: PoolSummary[];
  chips: number;
  /**
   * The traffic that was simulated: how requests arrived (the scenario's arrival process, offline where
   * it gives none, or a replayed trace) and how many, with their mean prompt and answer lengths.
   */
  traffic: {
    arrival: ArrivalSpec | { kind: "trace" };
    requests: number;
    meanInputTokens: number;
    meanOutputTokens: number;
    /** Prompts opening with one of `prefixes` shared prefixes of `tokens` tokens (traffic.sharedPrefix); null: none. */
    sharedPrefix: { tokens: number; prefixes: number } | null;
    /** Multi-turn conversations (traffic.conversation): how many, their mean turns, the think time; null: single requests. */
    conversations: { conversations: number; meanTurns: number; thinkSeconds: number } | null;
  };
  requests: { total: number; completed: number; rejected: number; preempted: number; preemptions: number };
  /**
   * Where prompts share prefixes (a shared prefix, or a conversation's history): the prompt tokens of
   * the completed requests, those found in a replica's prefix cache instead of computed, and their
   * share; null where prompts share nothing. No hits where the pools do not cache prefixes
   * (pools[].prefixCaching).
   */
  prefixCache: { promptTokens: number; cachedTokens: number; hitRate: number } | null;
  /** The first few rejected requests and why (context too long for the model or the cache). */
  rejectedRequests: { index: number; reason: string }[];
  durationSeconds: number;
  iterations: number;
  throughput: {
    outputTokensPerSecond: number;
    totalTokensPerSecond: number;
    requestsPerSecond: number;
    outputTokensPerSecondPerChip: number;
    /**
     * Output tokens generated per second while work keeps coming: from the first arrival plus a
     * warm-up (a tenth of the span) to the last admission into a running batch. Without the ramp-up
     * and the final drain, it is the rate a long run (MLPerf's 600 s minimum) settles at.
     */
    sustainedOutputTokensPerSecond: number;
  };
  latency: {
    ttftSeconds: LatencyStats | null;
    tpotSeconds: LatencyStats | null;
    e2eSeconds: LatencyStats | null;
    /**
     * The served requests the latencies cover: all of them, except in a closed loop measured in its
     * steady state, which leaves out the first round and the last (ReportContext.closedLoopClients).
     */
    measuredRequests: number;
  };
  slo: SloSpec | null;
  goodput: { requestsPerSecond: number; outputTokensPerSecond: number; fractionMeetingSlo: number } | null;
  occupancy: { meanRunningRequests: number; meanKvCacheFraction: number; meanRequestsInSystem: number; series: OccupancyPoint[][] };
  /**
   * Energy and cost in brief: $ per 1M output tokens (null where no price exists, `reason` says why)
   * and joules per output token. `operations` holds each figure with its provenance.
   */
  cost: { usdPerMillionTokens: number | null; joulesPerToken: number | null; reason: string | null };
  operations: ServingOperations | null;
  /**
   * How much load the deployment takes, where asked (`ultrasim serve` asks) and requests arrive over
   * time: the sustained output rate of the same requests all queued at once, the arrival rate that
   * sustains, and the offered load as a fraction of it. Near 1 the queue, and with it TTFT and TPOT,
   * hinges on a few percent of capacity (latency ~ 1 / (1 - utilization)).
   */
  capacity: ServingCapacity | null;
  /** What the prediction assumed that the scenario did not say (e.g. a precision the chip lacks, run at the nearest it has). */
  assumptions: string[];
  /**
   * 80% ranges (validate/intervals.ts) of the output rate and the mean TTFT and TPOT, from the
   * held-out error of published inference runs on the same evidence (metric, dense or MoE, runtime); null where there is no record.
   */
  likely: { outputTokensPerSecond: Interval | null; ttftSeconds: Interval | null; tpotSeconds: Interval | null };
}

export interface ServingCapacity {
  outputTokensPerSecond: number;
  requestsPerSecond: number;
  /** Requests per second arriving in the scenario's traffic. */
  offeredRequestsPerSecond: number;
  /** Offered over sustainable requests per second. */
  utilization: number;
}

export function latencyStats(values: number[]): LatencyStats | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => {
    const position = (sorted.length - 1) * q;
    const lo = Math.floor(position);
    const hi = Math.ceil(position);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
  };
  return { mean: sum / values.length, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/** Fraction of the span from the first arrival to the last admission skipped as warm-up. */
const WARM_UP_FRACTION = 0.1;

/**
 * Output tokens generated in [from, to] over its length, where each request's first token comes at
 * its first-token time and the rest evenly until it finishes; null where the span is empty.
 */
function sustainedRate(sim: SimulationResult, start: number): number | null {
  let lastAdmission = -Infinity;
  for (let i = 0; i < sim.admittedSeconds.length; i++) {
    const t = sim.admittedSeconds[i]!;
    if (!sim.rejected.has(i) && t > lastAdmission) lastAdmission = t;
  }
  if (!(lastAdmission > start)) return null;
  const from = start + WARM_UP_FRACTION * (lastAdmission - start);
  const to = lastAdmission;
  const producedBy = (t: number, first: number, finish: number, out: number) => {
    if (!(t >= first)) return 0;
    if (t >= finish || out <= 1) return out;
    return 1 + ((out - 1) * (t - first)) / (finish - first);
  };
  let tokens = 0;
  for (let i = 0; i < sim.arrivalSeconds.length; i++) {
    const first = sim.firstTokenSeconds[i]!;
    const finish = sim.finishSeconds[i]!;
    if (sim.rejected.has(i) || Number.isNaN(first) || Number.isNaN(finish)) continue;
    const out = sim.outputTokens[i]!;
    tokens += producedBy(to, first, finish, out) - producedBy(from, first, finish, out);
  }
  return tokens / (to - from);
}

export interface ReportContext {
  scenario: string | null;
  model: { id: string | null; name: string };
  seed: number;
  pools: PoolSummary[];
  slo: SloSpec | null;
  /** How the requests arrived (ServingReport.traffic). */
  arrival: ArrivalSpec | { kind: "trace" };
  /** The prompts' shared prefixes, or multi-turn conversations, where the traffic has them (ServingReport.prefixCache). */
  sharedPrefix?: TrafficSpec["sharedPrefix"];
  conversation?: TrafficSpec["conversation"];
  /**
   * Closed loop: the clients. Latencies are then those of the steady state: the first round (all
   * clients sending at once at time 0) and the last (concurrency draining away) are left out.
   */
  closedLoopClients?: number;
}

const REJECTED_LISTED = 20;

function sum(values: Int32Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** The conversations a run simulated: each turn after the first has a shared prefix of its history, and they follow one another. */
function conversationsOf(sim: SimulationResult, thinkSeconds: number): { conversations: number; meanTurns: number; thinkSeconds: number } {
  const n = sim.arrivalSeconds.length;
  const conversations = n - sim.followUps;
  return { conversations, meanTurns: conversations > 0 ? n / conversations : 0, thinkSeconds };
}

export function servingReport(sim: SimulationResult, ctx: ReportContext): ServingReport {
  const n = sim.arrivalSeconds.length;
  const ttft: number[] = [];
  const tpot: number[] = [];
  const e2e: number[] = [];
  let start = Infinity;
  let end = -Infinity;
  let outputTokens = 0;
  let totalTokens = 0;
  let completed = 0;
  let good = 0;
  let goodTokens = 0;
  let preempted = 0;
  let preemptions = 0;
  let promptTokens = 0;
  let cachedTokens = 0;
  const slo = ctx.slo;
  const clients = ctx.closedLoopClients ?? 0;
  // Too few requests for a steady state: keep them all.
  const steady = (i: number) => clients === 0 || n < 3 * clients || (i >= clients && i < n - clients);
  for (let i = 0; i < n; i++) {
    if (sim.rejected.has(i)) continue;
    const arrival = sim.arrivalSeconds[i]!;
    const first = sim.firstTokenSeconds[i]!;
    const finish = sim.finishSeconds[i]!;
    start = Math.min(start, arrival);
    if (Number.isNaN(finish)) continue;
    end = Math.max(end, finish);
    completed++;
    const out = sim.outputTokens[i]!;
    outputTokens += out;
    promptTokens += sim.inputTokens[i]!;
    cachedTokens += sim.cachedTokens[i]!;
    totalTokens += out + sim.inputTokens[i]!;
    const t1 = first - arrival;
    const e = finish - arrival;
    // Time per output token after the first (MLPerf's TPOT); undefined for one-token answers.
    const perToken = out > 1 ? (finish - first) / (out - 1) : null;
    if (steady(i)) {
      ttft.push(t1);
      e2e.push(e);
      if (perToken !== null) tpot.push(perToken);
    }
    if (sim.preemptions[i]! > 0) preempted++;
    preemptions += sim.preemptions[i]!;
    if (
      slo &&
      (slo.ttftSeconds === undefined || t1 <= slo.ttftSeconds) &&
      (slo.tpotSeconds === undefined || perToken === null || perToken <= slo.tpotSeconds) &&
      (slo.e2eSeconds === undefined || e <= slo.e2eSeconds)
    ) {
      good++;
      goodTokens += out;
    }
  }
  const duration = end > start ? end - start : 0;
  const rate = (x: number) => (duration > 0 ? x / duration : 0);
  const chips = ctx.pools.reduce((a, p) => a + p.chips, 0);
  const series = sim.series;
  const mean = (f: (p: OccupancyPoint) => number) =>
    series.length && series[0]!.length ? series.reduce((a, s) => a + s.reduce((b, p) => b + f(p), 0) / s.length, 0) / series.length : 0;
  return {
    schemaVersion: 1,
    scenario: ctx.scenario,
    model: ctx.model,
    seed: ctx.seed,
    feasible: true,
    infeasibleReason: null,
    pools: ctx.pools,
    chips,
    traffic: {
      arrival: ctx.arrival,
      requests: n,
      meanInputTokens: n ? sum(sim.inputTokens) / n : 0,
      meanOutputTokens: n ? sum(sim.outputTokens) / n : 0,
      sharedPrefix: ctx.sharedPrefix ? { tokens: ctx.sharedPrefix.tokens, prefixes: ctx.sharedPrefix.prefixes ?? 1 } : null,
      conversations: ctx.conversation ? conversationsOf(sim, ctx.conversation.thinkSeconds ?? 0) : null,
    },
    requests: { total: n, completed, rejected: sim.rejected.size, preempted, preemptions },
    prefixCache:
      ctx.sharedPrefix || ctx.conversation
        ? { promptTokens, cachedTokens, hitRate: promptTokens > 0 ? cachedTokens / promptTokens : 0 }
        : null,
    rejectedRequests: [...sim.rejected.entries()].slice(0, REJECTED_LISTED).map(([index, reason]) => ({ index, reason })),
    durationSeconds: duration,
    iterations: sim.iterations,
    throughput: {
      outputTokensPerSecond: rate(outputTokens),
      totalTokensPerSecond: rate(totalTokens),
      requestsPerSecond: rate(completed),
      outputTokensPerSecondPerChip: rate(outputTokens) / Math.max(1, chips),
      sustainedOutputTokensPerSecond: sustainedRate(sim, start) ?? rate(outputTokens),
    },
    latency: {
      ttftSeconds: latencyStats(ttft),
      tpotSeconds: latencyStats(tpot),
      e2eSeconds: latencyStats(e2e),
      measuredRequests: e2e.length,
    },
    slo,
    goodput: slo
      ? { requestsPerSecond: rate(good), outputTokensPerSecond: rate(goodTokens), fractionMeetingSlo: completed ? good / completed : 0 }
      : null,
    occupancy: {
      meanRunningRequests: mean((p) => p.runningRequests),
      meanKvCacheFraction: mean((p) => p.kvCacheFraction),
      meanRequestsInSystem:
        series.length && series[0]!.length ? series[0]!.reduce((a, p) => a + p.requestsInSystem, 0) / series[0]!.length : 0,
      series,
    },
    cost: { usdPerMillionTokens: null, joulesPerToken: null, reason: null },
    operations: null,
    capacity: null,
    assumptions: [],
    likely: { outputTokensPerSecond: null, ttftSeconds: null, tpotSeconds: null },
  };
}
