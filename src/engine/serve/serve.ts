// The serving entry point: a scenario (and, for a replayed trace, its requests) resolved against a
// catalog, simulated request by request, and reported.
import { precisionAssumption } from "../system/hardware.js";
import { inferenceEvidenceKey, intervalOf } from "../validate/intervals.js";
import type { Catalog } from "../catalog/catalog.js";
import type { ModelSpec } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";
import { resolvePool, servingRuntime, type ResolvedPool } from "./deployment.js";
import type { RequestSpec, ServingScenario } from "./scenario.js";
import type { ServingEngine } from "./engines.js";
import type { ServingEfficiencyEntry } from "./servingEfficiency.js";
import { servingOperations, type ServingCostOptions } from "./servingOperations.js";
import { servingReport, type ServingCapacity, type ServingReport } from "./servingReport.js";
import { simulateServing, type IterationRecord } from "./simulate.js";
import { NGRAM_PROPOSE_US } from "./speculative.js";
import { conversationRequests, generateRequests, longestLength, withSharedPrefixes } from "./traffic.js";

export interface ServingOptions {
  /** Requests to replay (a trace file, read by the caller); otherwise generated from traffic. */
  requests?: RequestSpec[];
  recordIterations?: boolean;
  seriesPoints?: number;
  /** Serving efficiencies to use instead of data/serving-efficiency.json (the fitting script). */
  servingEfficiencies?: ServingEfficiencyEntry[];
  /** Serving engines to use instead of data/serving-engines.json (the fitting script). */
  engines?: ServingEngine[];
  /** Price and PUE for the energy and cost figures. */
  cost?: ServingCostOptions;
  /** Also simulate the requests all queued at once, for the deployment's capacity (report.capacity). */
  capacity?: boolean;
}

export interface ServingResult {
  report: ServingReport;
  records: IterationRecord[];
  model: ModelSpec;
}

export const DEFAULT_SEED = 1;
const DEFAULT_REQUESTS = 1000;

export function scenarioRequests(scenario: ServingScenario): RequestSpec[] {
  const t = scenario.traffic;
  if (t.inputTokens === undefined)
    throw new UltrasimError("INVALID_INPUT", "traffic needs inputTokens (or a trace)", { field: "traffic.inputTokens" });
  if (t.outputTokens === undefined)
    throw new UltrasimError("INVALID_INPUT", "traffic needs outputTokens (or a trace)", { field: "traffic.outputTokens" });
  const traffic = {
    requests: t.requests ?? DEFAULT_REQUESTS,
    arrival: t.arrival ?? { kind: "offline" as const },
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
  };
  if (t.conversation) return conversationRequests(traffic, t.conversation, scenario.seed ?? DEFAULT_SEED);
  return generateRequests(traffic, scenario.seed ?? DEFAULT_SEED);
}

/**
 * Multi-turn conversations pace themselves (each turn after the last answer): not with a closed loop
 * of clients, a replayed trace, or shared prefixes (a conversation's prefix is its own history).
 */
function checkConversation(scenario: ServingScenario, replayed: boolean): void {
  const t = scenario.traffic;
  if (!t.conversation) return;
  const conflict =
    t.arrival?.kind === "closed-loop"
      ? "a closed loop's clients send one request after another: give conversations an arrival rate (or offline), not both"
      : replayed || t.trace
        ? "a trace replays its own requests: conversations are generated, not with a trace"
        : t.sharedPrefix
          ? "a conversation's prefix is its own history: give sharedPrefix or conversation, not both"
          : null;
  if (conflict) throw new UltrasimError("INVALID_INPUT", conflict, { field: "traffic.conversation" });
  if (longestLength(t.conversation.turns) === Infinity)
    throw new UltrasimError("INVALID_INPUT", "turns drawn from a lognormal need a max, so that the requests simulated are bounded", {
      field: "traffic.conversation.turns.max",
    });
}

/** Prompts no longer than the shared prefix are all prefix but their last token: say how many, where any are. */
function sharedPrefixAssumptions(requests: RequestSpec[], prefixTokens: number | undefined): string[] {
  if (prefixTokens === undefined || requests.length === 0) return [];
  let short = 0;
  for (const r of requests) if (r.inputTokens <= prefixTokens) short++;
  if (short === 0) return [];
  const share = short / requests.length;
  const who = short === requests.length ? "every prompt is" : `${(100 * share).toFixed(share < 0.1 ? 1 : 0)}% of the prompts are`;
  return [
    `${who} no longer than the shared prefix of ${prefixTokens.toLocaleString("en-US")} tokens: such a prompt is all prefix but its last token`,
  ];
}

/**
 * The deployment's capacity for this request mix: the same requests all queued at once run at the
 * sustained rate the deployment cannot exceed; offered load over it is the utilization. Null where
 * the requests already arrive together (offline traffic).
 */
function capacityOf(requests: RequestSpec[], reportQueued: (queued: RequestSpec[]) => ServingReport): ServingCapacity | null {
  const span = requests.length > 1 ? requests[requests.length - 1]!.arrivalSeconds - requests[0]!.arrivalSeconds : 0;
  if (span <= 0) return null;
  const outputTokensPerSecond = reportQueued(requests.map((r) => ({ ...r, arrivalSeconds: 0 }))).throughput.sustainedOutputTokensPerSecond;
  let outputTokens = 0;
  for (const r of requests) outputTokens += r.outputTokens;
  const requestsPerSecond = outputTokensPerSecond / (outputTokens / requests.length);
  const offeredRequestsPerSecond = (requests.length - 1) / span;
  return { outputTokensPerSecond, requestsPerSecond, offeredRequestsPerSecond, utilization: offeredRequestsPerSecond / requestsPerSecond };
}

export function predictServing(scenario: ServingScenario, catalog: Catalog, options: ServingOptions = {}): ServingResult {
  const model = typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model;
  if (!scenario.deployment === !scenario.disaggregated)
    throw new UltrasimError(
      "INVALID_INPUT",
      scenario.deployment
        ? "give either deployment (colocated) or disaggregated (prefill and decode pools), not both"
        : "give deployment (colocated) or disaggregated (prefill and decode pools): the scenario has neither",
      { field: scenario.deployment ? "disaggregated" : "deployment" },
    );
  const override = scenario.efficiency ?? {};
  checkConversation(scenario, options.requests !== undefined);
  const requests = withSharedPrefixes(
    options.requests ?? scenarioRequests(scenario),
    scenario.traffic.sharedPrefix,
    scenario.seed ?? DEFAULT_SEED,
  );
  let longestContext = 0;
  for (const r of requests) longestContext = Math.max(longestContext, r.inputTokens + r.outputTokens);
  const pools: ResolvedPool[] = scenario.deployment
    ? [
        resolvePool(
          scenario.deployment,
          "colocated",
          model,
          catalog,
          "deployment",
          override,
          options.servingEfficiencies,
          longestContext,
          options.engines,
        ),
      ]
    : [
        resolvePool(
          scenario.disaggregated!.prefill,
          "prefill",
          model,
          catalog,
          "disaggregated.prefill",
          override,
          options.servingEfficiencies,
          longestContext,
          options.engines,
        ),
        resolvePool(
          scenario.disaggregated!.decode,
          "decode",
          model,
          catalog,
          "disaggregated.decode",
          override,
          options.servingEfficiencies,
          longestContext,
          options.engines,
        ),
      ];
  const arrival = scenario.traffic.arrival;
  const clients = arrival?.kind === "closed-loop" && !options.requests ? arrival.concurrency : undefined;
  const context = {
    scenario: scenario.name ?? null,
    model: { id: model.id ?? null, name: model.name },
    seed: scenario.seed ?? DEFAULT_SEED,
    pools: pools.map((p) => p.summary),
    slo: scenario.slo ?? null,
    arrival: options.requests ? { kind: "trace" as const } : (arrival ?? { kind: "offline" as const }),
    sharedPrefix: scenario.traffic.sharedPrefix,
    conversation: scenario.traffic.conversation,
    // The report leaves the first and last rounds out only where the scenario measures the steady state.
    closedLoopClients: arrival?.kind === "closed-loop" && arrival.measure !== "whole-run" ? clients : undefined,
  };
  const infeasible = pools.find((p) => p.infeasible);
  const kvTransferSeconds = pools.length > 1 ? kvTransfer(pools[0]!, pools[1]!, scenario.disaggregated!.kvLink ?? "scale-out") : undefined;
  const simulate = (rs: RequestSpec[], recordIterations?: boolean, seriesPoints?: number) =>
    simulateServing({
      pools: pools.map((p) => p.runtime),
      requests: rs,
      maxContextTokens: model.maxContext ?? Infinity,
      kvTransferSeconds,
      recordIterations,
      seriesPoints,
      closedLoopClients: clients,
      seed: context.seed,
    });
  const sim = simulate(infeasible ? [] : requests, options.recordIterations, options.seriesPoints);
  const report = servingReport(sim, context);
  // Conversations pace themselves on the deployment's answers: queuing their turns at once has no meaning.
  if (options.capacity && !infeasible && report.requests.completed > 0 && !scenario.traffic.conversation)
    report.capacity = capacityOf(requests, (queued) => servingReport(simulate(queued, false, 1), context));
  if (infeasible) {
    report.feasible = false;
    report.infeasibleReason = `${infeasible.summary.role} pool: ${infeasible.infeasible}`;
    report.requests.total = requests.length;
    // Nothing was simulated: the traffic is the scenario's requests, unserved.
    let input = 0;
    let output = 0;
    for (const r of requests) {
      input += r.inputTokens;
      output += r.outputTokens;
    }
    const n = Math.max(1, requests.length);
    report.traffic = { ...report.traffic, requests: requests.length, meanInputTokens: input / n, meanOutputTokens: output / n };
  }
  if (report.feasible && report.requests.completed > 0) {
    const operations = servingOperations(
      model,
      pools.map((p, i) => ({ summary: p.summary, tokensProcessed: sim.tokensProcessed[i]!, busySeconds: sim.busySeconds[i]! })),
      { seconds: report.durationSeconds, outputTokensPerSecond: report.throughput.outputTokensPerSecond },
      catalog,
      options.cost,
    );
    report.operations = operations;
    report.cost = {
      usdPerMillionTokens: operations.usdPerMillionOutputTokens.value,
      joulesPerToken: operations.joulesPerOutputToken.value,
      reason: operations.usdPerMillionOutputTokens.value === null ? (operations.usdPerMillionOutputTokens.note ?? "no price") : null,
    };
  } else report.cost.reason = "nothing was served";
  // A precision a pool's chip lacks in hardware runs at the nearest it has: say so.
  const poolSpecs = scenario.deployment
    ? [scenario.deployment]
    : scenario.disaggregated
      ? [scenario.disaggregated.prefill, scenario.disaggregated.decode]
      : [];
  report.assumptions = [
    ...new Set([
      ...poolSpecs
        .map((p) => precisionAssumption(catalog.chip(catalog.system(p.system).chip), p.precision))
        .filter((a): a is string => a !== null),
      ...pools
        .filter((_, i) => poolSpecs[i]?.engine === undefined)
        .map((p) => `engine not given: ${p.summary.engine} (the default on ${p.summary.chipId})`),
      // What the traffic left out and the simulation assumed (not where a trace supplied the requests).
      ...(options.requests === undefined && scenario.traffic.requests === undefined
        ? [`traffic.requests not given: ${DEFAULT_REQUESTS.toLocaleString("en-US")} requests`]
        : []),
      ...(options.requests === undefined && scenario.traffic.arrival === undefined
        ? ["traffic.arrival not given: offline, every request queued at once"]
        : []),
      ...sharedPrefixAssumptions(requests, scenario.traffic.sharedPrefix?.tokens),
      ...pools
        .filter((p) => p.summary.speculative?.method === "ngram")
        .map(() => `n-gram drafting takes an assumed ${NGRAM_PROPOSE_US} µs of host time per iteration (no measured figure)`),
    ]),
  ];
  // The runtime the deployment serves on (both pools', where they share one) picks the held-out record.
  const runtimes = new Set(pools.map((p) => servingRuntime(catalog, p.summary.chipId)));
  const runtime = runtimes.size === 1 ? [...runtimes][0]! : null;
  if (report.feasible && report.requests.completed > 0)
    report.likely = {
      outputTokensPerSecond: intervalOf(
        report.throughput.sustainedOutputTokensPerSecond,
        inferenceEvidenceKey("outputTokensPerSecond", runtime, !!model.moe),
      ),
      ttftSeconds: report.latency.ttftSeconds
        ? intervalOf(report.latency.ttftSeconds.mean, inferenceEvidenceKey("ttftSeconds", runtime, !!model.moe))
        : null,
      tpotSeconds: report.latency.tpotSeconds
        ? intervalOf(report.latency.tpotSeconds.mean, inferenceEvidenceKey("tpotSeconds", runtime, !!model.moe))
        : null,
    };
  return { report, records: sim.records, model };
}

/**
 * Seconds to move a request's KV cache from a prefill replica to a decode replica: every
 * tensor-parallel rank sends its shard at once, over the scale-out network (EFA, InfiniBand) or the
 * scale-up domain the two pools share (NVLink, NeuronLink), whichever is slower of the two ends.
 */
function kvTransfer(prefill: ResolvedPool, decode: ResolvedPool, link: "scale-out" | "scale-up"): (tokens: number) => number {
  const level = (p: ResolvedPool) => (link === "scale-out" ? p.hw.levels[p.hw.levels.length - 1]! : p.hw.levels[p.hw.levels.length - 2]!);
  const a = level(prefill);
  const b = level(decode);
  const ranks = Math.min(prefill.summary.tp * prefill.summary.pp, decode.summary.tp * decode.summary.pp);
  const bytesPerSecond = Math.min(a.bytesPerSecond, b.bytesPerSecond) * ranks;
  const latency = Math.max(a.latencySeconds, b.latencySeconds);
  const bytesPerToken = prefill.summary.kvBytesPerToken;
  return (tokens: number) => latency + (tokens * bytesPerToken) / bytesPerSecond;
}
