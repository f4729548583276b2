// A serving run as a Chrome trace event file (Perfetto): one process per pool, one track per
// engine (a replica's scheduler per attention data-parallel rank and pipeline micro-batch,
// deployment.ts), a slice per iteration with its prefill and decode tokens.
import type { TraceEvent } from "../report/chromeTrace.js";
import type { PoolSummary } from "./deployment.js";
import type { IterationRecord } from "./simulate.js";

export function servingTrace(records: IterationRecord[], pools: PoolSummary[], title: string) {
  const traceEvents: TraceEvent[] = [];
  pools.forEach((p, i) => {
    traceEvents.push({
      name: "process_name",
      ph: "M",
      pid: i,
      tid: 0,
      args: { name: `${title}: ${p.role} pool (${p.replicas} × tp${p.tp} on ${p.chipId})` },
    });
    const perReplica = p.virtualEngines / p.replicas;
    for (let r = 0; r < p.virtualEngines; r++)
      traceEvents.push({
        name: "thread_name",
        ph: "M",
        pid: i,
        tid: r,
        args: { name: perReplica > 1 ? `replica ${Math.floor(r / perReplica)} engine ${r % perReplica}` : `replica ${r}` },
      });
  });
  for (const r of records) {
    traceEvents.push({
      name: r.prefillTokens > 0 ? (r.decodeTokens > 0 ? "prefill+decode" : "prefill") : "decode",
      cat: "iteration",
      ph: "X",
      ts: r.startSeconds * 1e6,
      dur: r.seconds * 1e6,
      pid: r.pool,
      tid: r.replica,
      args: { prefillTokens: r.prefillTokens, decodeTokens: r.decodeTokens, requests: r.requests, kvBlocksUsed: r.kvBlocksUsed },
    });
  }
  return { traceEvents, displayTimeUnit: "ms" as const, otherData: { generator: "ultrasim serve" } };
}
