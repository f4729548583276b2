// `ultrasim serve` for people: the deployment, latency percentiles, throughput, goodput, occupancy.
import Table from "./fittedTable.js";
import type { ConcurrencyPoint } from "../engine/serve/concurrencyCurve.js";
import type { PlanCandidate, ServingPlanObjective } from "../engine/serve/plan.js";
import type { LatencyStats, ServingReport } from "../engine/serve/servingReport.js";
import type { ServingOperations } from "../engine/serve/servingOperations.js";
import type { Figure } from "../engine/report/figure.js";
import { formatBytes, formatCount, formatPercent, formatRange, formatSeconds } from "./format.js";
import { origin, show } from "./renderOperations.js";
import { plural } from "../engine/report/plural.js";

const style = { head: [], border: [] };
/** Offered load, as a fraction of capacity, from which latencies are fragile (docs/serving.md, known gaps). */
const NEAR_SATURATION = 0.9;

export function renderServing(r: ServingReport): string {
  const out: string[] = [];
  out.push(`${r.scenario ?? "serving"}: ${r.model.name}, ${plural(r.chips, "chip")}, seed ${r.seed}`);
  out.push(`traffic: ${describeTraffic(r.traffic)}`);
  const pools = new Table({ head: ["pool", "system", "layout", "batching", "weights/chip", "KV cache/replica"], style });
  for (const p of r.pools)
    pools.push([
      p.role,
      `${p.systemId} (${p.chipId})`,
      `${p.replicas} × tp${p.tp}${p.tensorParallelRanks !== p.tp ? ` (${p.tensorParallelRanks} ranks)` : ""} pp${p.pp}${p.attentionDp > 1 ? ` dp-attention${p.attentionDp}` : ""}${p.ep > 1 ? ` ep${p.ep}` : ""}${p.attentionDp > 1 || (p.ep > 1 && p.etp > 1) ? ` etp${p.etp}` : ""}, ${p.precision} (KV ${p.kvCachePrecision})`,
      `${p.engine} (${p.scheduler}, KV ${p.kvAdmission}, host ${formatSeconds(p.iterationOverhead.us * 1e-6)}/step${p.hostOverlap.value ? " overlapped" : ""}), max ${p.maxBatch} per ${p.virtualEngines > p.replicas ? "virtual engine" : "replica"}` +
        (p.staticShapes
          ? `, compiled batch ${p.staticShapes.compiledBatch}, buckets ${p.staticShapes.buckets.join("/")}`
          : p.policy === "continuous"
            ? `, ${p.maxTokensPerIteration} tok/iter${p.chunkedPrefill ? ", chunked" : ""}`
            : "") +
        (p.routing === "cache-aware" ? ", cache-aware routing" : ""),
      formatBytes(p.memory.weightBytesPerChip),
      `${formatCount(p.memory.tokens * p.attentionDp)} tokens (${formatBytes(Math.max(0, p.memory.kvBytesPerChip))}/chip)` +
        (p.virtualEngines > p.replicas
          ? `, ${p.virtualEngines / p.replicas} virtual engines of ${formatCount(p.kvTokensPerVirtualEngine)}`
          : ""),
    ]);
  out.push(pools.toString());
  for (const p of r.pools) {
    const s = p.speculative;
    if (!s) continue;
    out.push(
      `${r.pools.length > 1 ? `${p.role} pool: ` : ""}speculative decoding (${s.method}${s.draftModel ? `, draft ${s.draftModel}` : ""}): ` +
        `k ${s.draftTokens}, acceptance ${s.acceptanceRate}, ${s.expectedTokensPerStep.toFixed(2)} tokens per verify step expected; ` +
        `drafting: ${s.draftCost}` +
        (s.draftWeightBytesPerChip > 0 ? `; drafter weights ${formatBytes(s.draftWeightBytesPerChip)}/chip` : ""),
    );
  }
  if (!r.feasible) {
    out.push(`cannot serve: ${r.infeasibleReason}`);
    return out.join("\n");
  }
  const lat = new Table({ head: ["latency", "mean", "p50", "p90", "p99"], style });
  const row = (name: string, s: LatencyStats | null) =>
    lat.push([name, ...(s ? [s.mean, s.p50, s.p90, s.p99].map(formatSeconds) : ["-", "-", "-", "-"])]);
  row("time to first token", r.latency.ttftSeconds);
  row("time per output token", r.latency.tpotSeconds);
  row("end to end", r.latency.e2eSeconds);
  out.push(lat.toString());
  // A closed loop's steady state leaves out its first and last rounds: say over how many requests.
  if (r.latency.measuredRequests < r.requests.completed)
    out.push(
      `latencies of the steady state: ${r.latency.measuredRequests} of ${r.requests.completed} requests, the first and last rounds of the closed loop left out (--measure whole-run keeps them)`,
    );
  const likely = [
    r.likely.ttftSeconds ? `mean TTFT ${formatRange(r.likely.ttftSeconds, formatSeconds)}` : "",
    r.likely.tpotSeconds ? `mean TPOT ${formatRange(r.likely.tpotSeconds, formatSeconds)}` : "",
    r.likely.outputTokensPerSecond ? `sustained output ${formatRange(r.likely.outputTokensPerSecond, formatCount)} tok/s` : "",
  ].filter(Boolean);
  if (likely.length)
    out.push(
      `likely (${Math.round((r.likely.ttftSeconds ?? r.likely.outputTokensPerSecond)!.level * 100)}% ranges from the held-out error of published runs on the same evidence): ${likely.join("; ")}`,
    );
  const t = new Table({ style });
  t.push(
    {
      requests: `${r.requests.completed} of ${r.requests.total} served${r.requests.rejected ? `, ${r.requests.rejected} rejected` : ""}${r.requests.preempted ? `, ${r.requests.preempted} preempted` : ""}`,
    },
    { duration: formatSeconds(r.durationSeconds) },
    {
      "output tokens/s": `${formatCount(r.throughput.outputTokensPerSecond)} (${formatCount(r.throughput.outputTokensPerSecondPerChip)} per chip)`,
    },
    { "total tokens/s": formatCount(r.throughput.totalTokensPerSecond) },
    { "requests/s": r.throughput.requestsPerSecond.toFixed(2) },
  );
  if (r.capacity)
    t.push({
      "capacity (this request mix)": `${r.capacity.requestsPerSecond.toFixed(2)} req/s, ${formatCount(r.capacity.outputTokensPerSecond)} output tok/s; offered load ${formatPercent(r.capacity.utilization)} of it`,
    });
  if (r.goodput && r.slo) {
    const parts = [
      r.slo.ttftSeconds !== undefined ? `TTFT ≤ ${formatSeconds(r.slo.ttftSeconds)}` : "",
      r.slo.tpotSeconds !== undefined ? `TPOT ≤ ${formatSeconds(r.slo.tpotSeconds)}` : "",
      r.slo.e2eSeconds !== undefined ? `E2E ≤ ${formatSeconds(r.slo.e2eSeconds)}` : "",
    ].filter(Boolean);
    t.push({
      [`goodput (${parts.join(", ")})`]: `${r.goodput.requestsPerSecond.toFixed(2)} req/s, ${formatCount(r.goodput.outputTokensPerSecond)} tok/s (${formatPercent(r.goodput.fractionMeetingSlo)} of requests)`,
    });
  }
  // The engine's running batch is summed over a pool's replicas (averaged over pools where there are
  // several): say so, and give it per replica beside the per-replica maximum.
  const replicas = r.pools.reduce((s, p) => s + p.replicas, 0) / Math.max(1, r.pools.length);
  const running = r.occupancy.meanRunningRequests;
  t.push(
    {
      [r.pools.length > 1 ? "mean running batch (a pool's replicas summed, mean of pools)" : "mean running batch"]:
        `${running.toFixed(1)} requests over ${plural(replicas, "replica", "replicas", replicas.toFixed(replicas % 1 ? 1 : 0))}, ` +
        `${(running / Math.max(1, replicas)).toFixed(1)} per replica`,
    },
    { "mean KV cache in use": formatPercent(r.occupancy.meanKvCacheFraction) },
  );
  if (r.prefixCache) {
    const caching = r.pools.filter((p) => p.prefixCaching.value && p.role !== "decode");
    t.push({
      "prefix cache":
        caching.length > 0
          ? `${formatPercent(r.prefixCache.hitRate)} of prompt tokens found cached, not computed (${formatCount(r.prefixCache.cachedTokens)} of ${formatCount(r.prefixCache.promptTokens)})`
          : `off (${offReason(r.pools[0]!)}): every prompt computed whole`,
    });
  }
  out.push(t.toString());
  if (r.capacity && r.capacity.utilization >= NEAR_SATURATION)
    out.push(
      r.capacity.utilization >= 1
        ? `overloaded: requests arrive faster than the deployment serves them, so the queue and TTFT grow with the run's length`
        : `near saturation: latency grows as 1 / (1 - load), so a few percent of capacity (an efficiency estimate, a longer prompt) moves TTFT and TPOT by tens of percent`,
    );
  if (r.operations) out.push(renderServingOperations(r.operations));
  for (const x of r.rejectedRequests.slice(0, 5)) out.push(`request ${x.index} rejected: ${x.reason}`);
  return out.join("\n");
}

/** Energy and cost of the deployment, each figure with where it comes from. */
export function renderServingOperations(o: ServingOperations): string {
  const t = new Table({ head: ["energy and cost", "value", "from"], style, colWidths: [34, 22, 80], wordWrap: true });
  const row = (label: string, f: Figure, text = show(f)) => t.push([label, text, origin(f)]);
  for (const p of o.pools) {
    const name = o.pools.length > 1 ? `${p.role} pool: ` : "";
    row(`${name}accelerator power (each)`, p.power.perChip.accelerator);
    row(`${name}IT power per chip`, p.power.perChip.it);
    row(
      `${name}price per chip-hour`,
      p.usdPerChipHour,
      p.usdPerChipHour.value === null ? "no public price" : `$${p.usdPerChipHour.value.toFixed(4)}`,
    );
  }
  row("PUE", o.pools[0]!.power.pue);
  row("facility power", o.facilityWatts, `${(o.facilityWatts.value! / 1e3).toPrecision(3)} kW`);
  row("energy per output token", o.joulesPerOutputToken);
  row("cost per hour", o.usdPerHour, o.usdPerHour.value === null ? "n/a" : `$${o.usdPerHour.value.toPrecision(4)}`);
  row(
    "cost per 1M output tokens",
    o.usdPerMillionOutputTokens,
    o.usdPerMillionOutputTokens.value === null ? "n/a" : `$${o.usdPerMillionOutputTokens.value.toPrecision(4)}`,
  );
  const lines = [t.toString()];
  for (const p of o.pools) if (p.usdPerChipHour.note) lines.push(`price (${p.systemId}): ${p.usdPerChipHour.note}`);
  const estimates = new Set<string>();
  for (const f of [o.facilityWatts, o.joulesPerOutputToken, o.usdPerMillionOutputTokens])
    for (const n of f.estimates ?? []) estimates.add(n);
  if (estimates.size) lines.push(`estimates behind these figures (not published; see data/*.json): ${[...estimates].join("; ")}`);
  for (const n of o.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

export function renderPlan(candidates: PlanCandidate[], objective: ServingPlanObjective = "throughput", top = 10): string {
  // Pipeline depth and attention ranks get columns only where some candidate has them.
  const deep = candidates.some((c) => (c.pool.pp ?? 1) > 1 || (c.pool.attentionDp ?? 1) > 1);
  // The engine gets a column where the systems run different ones (GPUs beside Trainium).
  const engines = new Set(candidates.map((c) => c.engine)).size > 1;
  const t = new Table({
    head: [
      "system",
      ...(engines ? ["engine"] : []),
      "tp",
      ...(deep ? ["pp", "attn dp"] : []),
      "replicas",
      "max batch",
      "chips",
      "output tok/s",
      "per chip",
      "$/1M out",
      "p90 TTFT",
      "p90 TPOT",
      "SLO",
    ],
    style,
  });
  for (const c of candidates.slice(0, top))
    t.push([
      c.pool.system,
      ...(engines ? [c.engine] : []),
      String(c.pool.tp),
      ...(deep ? [String(c.pool.pp ?? 1), String(c.pool.attentionDp ?? 1)] : []),
      String(c.pool.replicas),
      String(c.pool.batching.maxBatch),
      String(c.chips),
      formatCount(c.outputTokensPerSecond),
      formatCount(c.outputTokensPerSecondPerChip),
      c.usdPerMillionOutputTokens === null ? "-" : `$${c.usdPerMillionOutputTokens.toFixed(2)}`,
      c.ttftP90Seconds === null ? "-" : formatSeconds(c.ttftP90Seconds),
      c.tpotP90Seconds === null ? "-" : formatSeconds(c.tpotP90Seconds),
      c.meetsSlo ? "met" : (c.reason ?? "missed"),
    ]);
  const best = candidates.find((c) => c.meetsSlo);
  const by = objective === "cost" ? "fewest $ per 1M output tokens" : "most output tokens/s per chip";
  const noPrice = objective === "cost" ? candidates.find((c) => c.meetsSlo && c.usdPerMillionOutputTokens === null) : undefined;
  return (
    `${t.toString()}\n${best ? `best (${by}): ${best.pool.system} (${best.engine}), ${best.pool.replicas} × tp${best.pool.tp}${(best.pool.pp ?? 1) > 1 ? ` pp${best.pool.pp}` : ""}${(best.pool.attentionDp ?? 1) > 1 ? ` dp-attention${best.pool.attentionDp}` : ""}, max batch ${best.pool.batching.maxBatch}` : "no candidate meets the SLO"} (${candidates.length} simulated)` +
    (noPrice ? `\nranked last for want of a price: ${noPrice.pool.system} (${noPrice.costReason ?? "no price"})` : "")
  );
}

/**
 * The throughput-latency curve over client counts: what serving benchmarks plot, output tokens/s per
 * chip against tokens/s per user (one over the mean TPOT), with TTFT beside it.
 */
export function renderConcurrencyCurve(points: ConcurrencyPoint[]): string {
  const first = points[0]!.report;
  const slo = first.slo;
  const t = new Table({
    head: [
      "clients",
      "requests",
      "output tok/s",
      "per chip",
      "tok/s per user",
      "TTFT p50",
      "TTFT p99",
      "TPOT p50",
      "TPOT p99",
      "end to end (mean)",
      ...(slo ? ["meeting the SLO"] : []),
    ],
    style,
  });
  for (const { concurrency, requests, report: r } of points) {
    const tpot = r.latency.tpotSeconds;
    const ttft = r.latency.ttftSeconds;
    const show = (x: number | undefined) => (x === undefined ? "-" : formatSeconds(x));
    t.push([
      String(concurrency),
      String(requests),
      formatCount(r.throughput.sustainedOutputTokensPerSecond),
      formatCount(r.throughput.sustainedOutputTokensPerSecond / Math.max(1, r.chips)),
      tpot && tpot.mean > 0 ? formatCount(1 / tpot.mean) : "-",
      show(ttft?.p50),
      show(ttft?.p99),
      show(tpot?.p50),
      show(tpot?.p99),
      show(r.latency.e2eSeconds?.mean),
      ...(slo ? [r.goodput ? formatPercent(r.goodput.fractionMeetingSlo) : "-"] : []),
    ]);
  }
  const measure = first.latency.measuredRequests < first.requests.completed ? "steady state" : "whole run";
  return [
    `${first.scenario ?? "serving"}: ${first.model.name}, ${plural(first.chips, "chip")}, a closed loop at each client count (${measure}; output tok/s sustained)`,
    t.toString(),
  ].join("\n");
}

/** Why a pool does not cache prefixes, briefly: its engine's default (whose source --json gives) or the reason given. */
function offReason(p: ServingReport["pools"][number]): string {
  return p.prefixCaching.provenance.startsWith(`${p.engine}'s default`) ? `${p.engine}'s default` : p.prefixCaching.provenance;
}

/** The simulated traffic in words: how requests arrived, how many, how long on average. */
export function describeTraffic(t: ServingReport["traffic"]): string {
  const a = t.arrival;
  const c = t.conversations;
  // Conversations arrive at the rate given; their later turns follow the answers.
  const unit = c ? "conversations" : "requests";
  const how =
    a.kind === "offline"
      ? "offline (all queued at time 0)"
      : a.kind === "trace"
        ? "replayed from a trace"
        : a.kind === "closed-loop"
          ? `a closed loop of ${plural(a.concurrency, "client")}`
          : a.kind === "poisson"
            ? `Poisson arrivals at ${a.ratePerSecond} ${unit}/s`
            : a.kind === "constant"
              ? `evenly spaced arrivals at ${a.ratePerSecond} ${unit}/s`
              : `bursty arrivals at ${a.ratePerSecond} ${unit}/s (gap variance ${a.burstiness}x Poisson's)`;
  const shared = t.sharedPrefix;
  const prefix = shared
    ? `; each prompt starts with ${shared.prefixes === 1 ? "a shared prefix" : `one of ${shared.prefixes} shared prefixes`} of ${formatCount(shared.tokens)} tokens`
    : "";
  const count = c
    ? `${plural(t.requests, "request")} in ${plural(c.conversations, "conversation")} of ${c.meanTurns.toFixed(1)} turns on average, each next question ${formatSeconds(c.thinkSeconds)} after the last answer and sending the conversation so far;`
    : `${plural(t.requests, "request")},`;
  return `${count} ${how}; prompts ${formatCount(t.meanInputTokens)} and answers ${formatCount(t.meanOutputTokens)} tokens on average${prefix}`;
}
