// `ultrasim serve` for people: the deployment, latency percentiles, throughput, goodput, occupancy.
import Table from "cli-table3";
import type { PlanCandidate } from "../engine/serve/plan.js";
import type { LatencyStats, ServingReport } from "../engine/serve/servingReport.js";
import { formatBytes, formatCount, formatPercent, formatSeconds } from "./format.js";

const style = { head: [], border: [] };

export function renderServing(r: ServingReport): string {
  const out: string[] = [];
  out.push(`${r.scenario ?? "serving"}: ${r.model.name}, ${r.chips} chips, seed ${r.seed}`);
  const pools = new Table({ head: ["pool", "system", "layout", "batching", "weights/chip", "KV cache/replica"], style });
  for (const p of r.pools)
    pools.push([
      p.role,
      `${p.systemId} (${p.chipId})`,
      `${p.replicas} × tp${p.tp} pp${p.pp}${p.ep > 1 ? ` ep${p.ep}` : ""}, ${p.precision} (KV ${p.kvCachePrecision})`,
      `${p.policy}, max ${p.maxBatch}${p.policy === "continuous" ? `, ${p.maxTokensPerIteration} tok/iter${p.chunkedPrefill ? ", chunked" : ""}` : ""}`,
      formatBytes(p.memory.weightBytesPerChip),
      `${formatCount(p.memory.tokens)} tokens (${formatBytes(Math.max(0, p.memory.kvBytesPerChip))}/chip)`,
    ]);
  out.push(pools.toString());
  if (!r.feasible) {
    out.push(`does not fit: ${r.infeasibleReason}`);
    return out.join("\n");
  }
  const lat = new Table({ head: ["latency", "mean", "p50", "p90", "p99"], style });
  const row = (name: string, s: LatencyStats | null) =>
    lat.push([name, ...(s ? [s.mean, s.p50, s.p90, s.p99].map(formatSeconds) : ["-", "-", "-", "-"])]);
  row("time to first token", r.latency.ttftSeconds);
  row("time per output token", r.latency.tpotSeconds);
  row("end to end", r.latency.e2eSeconds);
  out.push(lat.toString());
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
  t.push(
    { "mean running batch": r.occupancy.meanRunningRequests.toFixed(1) },
    { "mean KV cache in use": formatPercent(r.occupancy.meanKvCacheFraction) },
    {
      "$ per 1M tokens / J per token":
        r.cost.usdPerMillionTokens === null
          ? `- (${r.cost.reason})`
          : `${r.cost.usdPerMillionTokens.toFixed(3)} / ${r.cost.joulesPerToken?.toFixed(3)}`,
    },
  );
  out.push(t.toString());
  for (const x of r.rejectedRequests.slice(0, 5)) out.push(`request ${x.index} rejected: ${x.reason}`);
  return out.join("\n");
}

export function renderPlan(candidates: PlanCandidate[], top = 10): string {
  const t = new Table({
    head: ["system", "tp", "replicas", "max batch", "chips", "output tok/s", "per chip", "p90 TTFT", "p90 TPOT", "SLO"],
    style,
  });
  for (const c of candidates.slice(0, top))
    t.push([
      c.pool.system,
      String(c.pool.tp),
      String(c.pool.replicas),
      String(c.pool.batching.maxBatch),
      String(c.chips),
      formatCount(c.outputTokensPerSecond),
      formatCount(c.outputTokensPerSecondPerChip),
      c.ttftP90Seconds === null ? "-" : formatSeconds(c.ttftP90Seconds),
      c.tpotP90Seconds === null ? "-" : formatSeconds(c.tpotP90Seconds),
      c.meetsSlo ? "met" : (c.reason ?? "missed"),
    ]);
  const best = candidates.find((c) => c.meetsSlo);
  return `${t.toString()}\n${best ? `best: ${best.pool.system}, ${best.pool.replicas} × tp${best.pool.tp}, max batch ${best.pool.batching.maxBatch}` : "no candidate meets the SLO"} (${candidates.length} simulated)`;
}
