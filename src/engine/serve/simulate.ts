// The serving simulation's event loop: requests move one by one through routing, queueing, prefill
// (whole or in chunks), decode iterations and, for disaggregated serving, a KV-cache transfer between
// pools. Each replica runs one iteration at a time; which requests an iteration serves is its
// engine's scheduler's choice (schedulers/), and its time comes from the iteration model, on the
// shapes the hardware really executes (a static-shape runtime pads rows and sequence lengths).
// Requests arrive at their own times (open loop), or from a fixed number of clients, each sending
// its next request when its last one completes (closed loop, as benchmark clients run). Events are
// ordered by (time, sequence), so a run is a pure function of its input.
import { EventQueue } from "../des/eventQueue.js";
import type { IterationWork } from "./iterationTime.js";
import type { RequestSpec } from "./scenario.js";
import { AcceptanceDraws } from "./speculative.js";
import { blocksFor, Deque, releaseBlocks, Req, type PoolRuntime, type Replica, type SchedulingContext } from "./schedulers/scheduler.js";

export type { KvAdmission, PoolRole, PoolRuntime } from "./schedulers/scheduler.js";

export interface SimulationInput {
  pools: PoolRuntime[];
  requests: RequestSpec[];
  /** Longest context (prompt + output) the model allows; longer requests are rejected. */
  maxContextTokens: number;
  /** Disaggregated serving: seconds to move a request's KV cache of `tokens` tokens to the decode pool. */
  kvTransferSeconds?: (tokens: number) => number;
  /** Keep every iteration for a timeline (capped). */
  recordIterations?: boolean;
  /** Points in the occupancy series. */
  seriesPoints?: number;
  /**
   * Closed loop: this many clients, each sending the next of `requests` (in order) the moment its
   * last one completes; the requests' own arrival times are ignored. Absent: open loop.
   */
  closedLoopClients?: number;
  /** Seed of the speculative-decoding acceptance draws (speculative.ts); default 1. */
  seed?: number;
}

export interface IterationRecord {
  pool: number;
  replica: number;
  startSeconds: number;
  seconds: number;
  prefillTokens: number;
  decodeTokens: number;
  requests: number;
  kvBlocksUsed: number;
}

export interface OccupancyPoint {
  timeSeconds: number;
  /** Requests in an iteration, summed over replicas, time-averaged over the interval. */
  runningRequests: number;
  /** Fraction of KV-cache blocks in use, over all replicas of the pool, time-averaged. */
  kvCacheFraction: number;
  /** Requests in the system (arrived, not finished), time-averaged. */
  requestsInSystem: number;
}

export interface SimulationResult {
  arrivalSeconds: Float64Array;
  firstTokenSeconds: Float64Array;
  finishSeconds: Float64Array;
  inputTokens: Int32Array;
  outputTokens: Int32Array;
  preemptions: Int32Array;
  /** When each request first joined a running batch (NaN where it never did). */
  admittedSeconds: Float64Array;
  /** Why a request was not served, by its index; absent where it was. */
  rejected: Map<number, string>;
  iterations: number;
  /** Busy seconds summed over replicas, per pool. */
  busySeconds: number[];
  /** Tokens run through the model (prompt tokens, recomputed ones included, and decoded tokens), per pool. */
  tokensProcessed: number[];
  series: OccupancyPoint[][];
  records: IterationRecord[];
  recordsDropped: number;
}

const MAX_RECORDS = 200_000;

type Event =
  | { kind: 0; request: number }
  | { kind: 1; replica: Replica }
  | { kind: 2; replica: Replica }
  | { kind: 3; request: number; replica: Replica };

export function simulateServing(input: SimulationInput): SimulationResult {
  const n = input.requests.length;
  const arrivalSeconds = new Float64Array(n);
  const firstTokenSeconds = new Float64Array(n).fill(NaN);
  const finishSeconds = new Float64Array(n).fill(NaN);
  const inputTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  const preemptions = new Int32Array(n);
  const admittedSeconds = new Float64Array(n).fill(NaN);
  const rejected = new Map<number, string>();
  const records: IterationRecord[] = [];
  let recordsDropped = 0;
  let iterations = 0;
  const busySeconds = input.pools.map(() => 0);
  const tokensProcessed = input.pools.map(() => 0);

  const pools = input.pools.map((pool, p) =>
    Array.from({ length: pool.replicas }, (_, i): Replica => ({
      pool: p,
      index: i,
      waiting: new Deque<Req>(),
      running: [],
      freeBlocks: pool.capacityBlocks,
      busy: false,
      kicked: false,
      decodes: [],
      prefills: [],
      linkFreeSeconds: 0,
      log: [],
    })),
  );
  const reqs: Req[] = new Array(n);
  const acceptance = new AcceptanceDraws(input.seed ?? 1);
  const queue = new EventQueue<Event>();
  let previous = -Infinity;
  const clients = input.closedLoopClients;
  input.requests.forEach((r, i) => {
    if (clients === undefined && r.arrivalSeconds < previous) throw new Error("requests must be sorted by arrival time");
    previous = r.arrivalSeconds;
    arrivalSeconds[i] = clients === undefined ? r.arrivalSeconds : NaN;
    inputTokens[i] = r.inputTokens;
    outputTokens[i] = r.outputTokens;
    reqs[i] = new Req(i, r.inputTokens, r.outputTokens);
    if (clients === undefined) queue.schedule(r.arrivalSeconds, { kind: 0, request: i });
  });
  // Closed loop: each client's first request at time 0, its next when that one completes.
  let nextToSend = 0;
  const sendNext = (now: number) => {
    if (clients === undefined || nextToSend >= n) return;
    arrivalSeconds[nextToSend] = now;
    queue.schedule(now, { kind: 0, request: nextToSend++ });
  };
  for (let c = 0; c < (clients ?? 0); c++) sendNext(0);

  const rejection = (r: Req): string | null => {
    const context = r.input + r.output;
    if (r.input < 1 || r.output < 1) return "needs at least one input and one output token";
    if (context > input.maxContextTokens) return `context of ${context} tokens exceeds the model's ${input.maxContextTokens}`;
    const tooBig = input.pools.find((p) => blocksFor(p, context) > p.capacityBlocks);
    if (tooBig) return `needs ${context} tokens of KV cache; a ${tooBig.role} replica holds ${tooBig.capacityBlocks * tooBig.blockTokens}`;
    const longest = input.pools.find((p) => p.staticShapes && context > p.staticShapes.buckets[p.staticShapes.buckets.length - 1]!);
    if (longest)
      return `context of ${context} tokens exceeds the ${longest.role} pool's longest compiled sequence (${longest.staticShapes!.buckets.at(-1)})`;
    return null;
  };
  const load = (r: Replica) => r.running.length + r.waiting.length;
  const route = (p: number): Replica => {
    let best = pools[p]![0]!;
    for (const r of pools[p]!) if (load(r) < load(best)) best = r;
    return best;
  };
  const kick = (replica: Replica, now: number) => {
    if (replica.busy || replica.kicked) return;
    replica.kicked = true;
    queue.schedule(now, { kind: 1, replica });
  };

  const decodePoolIndex = input.pools.length > 1 ? 1 : 0;

  function startIteration(replica: Replica, now: number): void {
    const pool = input.pools[replica.pool]!;
    replica.decodes.length = 0;
    replica.prefills.length = 0;
    const ctx: SchedulingContext = {
      pool,
      replica,
      admit: (r) => {
        if (Number.isNaN(admittedSeconds[r.index]!)) admittedSeconds[r.index] = now;
      },
      preempted: (r) => {
        preemptions[r.index]!++;
      },
    };
    pool.scheduler.schedule(ctx);
    const decodes = replica.decodes;
    const prefills = replica.prefills;
    if (decodes.length + prefills.length === 0) {
      replica.busy = false;
      return;
    }
    const work = executedWork(pool, decodes, prefills);
    const seconds = pool.iteration(work).seconds;
    replica.busy = true;
    iterations++;
    busySeconds[replica.pool]! += seconds;
    let prefillTokens = 0;
    for (const r of prefills) prefillTokens += r.chunk;
    tokensProcessed[replica.pool]! += prefillTokens + decodes.length * (1 + (pool.speculative?.draftTokens ?? 0));
    const used = pool.capacityBlocks - replica.freeBlocks;
    replica.log.push(now, seconds, decodes.length + prefills.length, used);
    if (input.recordIterations) {
      if (records.length < MAX_RECORDS)
        records.push({
          pool: replica.pool,
          replica: replica.index,
          startSeconds: now,
          seconds,
          prefillTokens,
          decodeTokens: decodes.length,
          requests: decodes.length + prefills.length,
          kvBlocksUsed: used,
        });
      else recordsDropped++;
    }
    queue.schedule(now + seconds, { kind: 2, replica });
  }

  function finishIteration(replica: Replica, now: number): void {
    const pool = input.pools[replica.pool]!;
    let finished = false;
    const done = (r: Req) => {
      finishSeconds[r.index] = now;
      releaseBlocks(replica, r);
      r.left = true;
      finished = true;
      sendNext(now);
    };
    for (const r of replica.decodes) {
      // With speculation a step keeps the accepted drafts and one token of the target's, never past the output length.
      const tokens = pool.speculative ? acceptance.draw(r.index, pool.speculative, r.output - r.generated) : 1;
      r.kvTokens += tokens;
      r.generated += tokens;
      if (r.generated >= r.output) done(r);
    }
    for (const r of replica.prefills) {
      r.prefilled += r.chunk;
      r.kvTokens += r.chunk;
      r.chunk = 0;
      if (r.prefilled < r.target) continue;
      r.generated += 1; // the prompt's last position samples the next token
      if (Number.isNaN(firstTokenSeconds[r.index]!)) firstTokenSeconds[r.index] = now;
      if (r.generated >= r.output) done(r);
      else if (pool.role === "prefill") {
        // Hand the KV cache to a decode replica over the link, one transfer at a time per link.
        const tokens = r.kvTokens;
        releaseBlocks(replica, r);
        r.kvTokens = tokens;
        r.left = true;
        finished = true;
        const target = route(decodePoolIndex);
        const start = Math.max(now, target.linkFreeSeconds);
        const arrive = start + (input.kvTransferSeconds ? input.kvTransferSeconds(tokens) : 0);
        target.linkFreeSeconds = arrive;
        queue.schedule(arrive, { kind: 3, request: r.index, replica: target });
      }
    }
    if (finished) replica.running = replica.running.filter((r) => !r.left);
    replica.busy = false;
    startIteration(replica, now);
  }

  for (let e = queue.pop(); e; e = queue.pop()) {
    const now = e.time;
    const ev = e.event;
    if (ev.kind === 0) {
      const r = reqs[ev.request]!;
      const reason = rejection(r);
      if (reason !== null) {
        rejected.set(r.index, reason);
        sendNext(now); // the client moves on to its next request
        continue;
      }
      const replica = route(0);
      replica.waiting.push(r);
      kick(replica, now);
    } else if (ev.kind === 1) {
      ev.replica.kicked = false;
      if (!ev.replica.busy) startIteration(ev.replica, now);
    } else if (ev.kind === 2) {
      finishIteration(ev.replica, now);
    } else {
      ev.replica.waiting.push(reqs[ev.request]!);
      kick(ev.replica, now);
    }
  }

  const series = occupancySeries(input, pools, arrivalSeconds, finishSeconds, rejected);
  return {
    arrivalSeconds,
    firstTokenSeconds,
    finishSeconds,
    inputTokens,
    outputTokens,
    preemptions,
    admittedSeconds,
    rejected,
    iterations,
    busySeconds,
    tokensProcessed,
    series,
    records,
    recordsDropped,
  };
}

/** The smallest compiled sequence length holding `tokens` (the longest where none does). */
export function bucketOf(buckets: number[], tokens: number): number {
  for (const b of buckets) if (b >= tokens) return b;
  return buckets[buckets.length - 1]!;
}

/**
 * The work an iteration executes. Kernels that take any shape run exactly the scheduled tokens. A
 * static-shape runtime runs its compiled graphs: each prompt padded to its sequence bucket (causal
 * attention over the padded length), in context-encoding batches of the compiled size; and a decode
 * step over all compiled batch rows, each attending the bucket of the longest running context.
 */
function executedWork(pool: PoolRuntime, decodes: Req[], prefills: Req[]): IterationWork {
  const shapes = pool.staticShapes;
  let prefillTokens = 0;
  let prefillAttendedKeys = 0;
  let logitsTokens = decodes.length;
  if (!shapes) {
    for (const r of prefills) {
      const c = r.chunk;
      prefillTokens += c;
      prefillAttendedKeys += c * r.prefilled + (c * (c + 1)) / 2;
      if (r.prefilled + c >= r.target) logitsTokens++;
    }
    let decodeContextTokens = 0;
    for (const r of decodes) decodeContextTokens += r.kvTokens + 1;
    return { prefillTokens, prefillAttendedKeys, decodeTokens: decodes.length, decodeContextTokens, logitsTokens };
  }
  if (prefills.length > 0) {
    let longest = 0;
    for (const r of prefills) longest = Math.max(longest, r.prefilled + r.chunk);
    const bucket = bucketOf(shapes.buckets, longest);
    const rows = Math.ceil(prefills.length / shapes.prefillBatch) * shapes.prefillBatch;
    prefillTokens = rows * bucket;
    prefillAttendedKeys = (rows * bucket * (bucket + 1)) / 2;
    logitsTokens += rows;
  }
  let decodeTokens = 0;
  let decodeContextTokens = 0;
  if (decodes.length > 0) {
    let longest = 0;
    for (const r of decodes) longest = Math.max(longest, r.kvTokens + 1);
    decodeTokens = Math.max(shapes.compiledBatch, decodes.length);
    decodeContextTokens = decodeTokens * bucketOf(shapes.buckets, longest);
    logitsTokens += decodeTokens - decodes.length;
  }
  return { prefillTokens, prefillAttendedKeys, decodeTokens, decodeContextTokens, logitsTokens };
}

/** Time-averaged occupancy per pool over equal intervals from the first arrival to the last finish. */
function occupancySeries(
  input: SimulationInput,
  pools: Replica[][],
  arrival: Float64Array,
  finish: Float64Array,
  rejected: Map<number, string>,
): OccupancyPoint[][] {
  let start = Infinity;
  let end = -Infinity;
  for (let i = 0; i < arrival.length; i++) {
    if (rejected.has(i)) continue;
    start = Math.min(start, arrival[i]!);
    if (!Number.isNaN(finish[i]!)) end = Math.max(end, finish[i]!);
  }
  if (!(end > start)) return pools.map(() => []);
  const points = Math.max(1, input.seriesPoints ?? 100);
  const width = (end - start) / points;
  // Requests in the system: each adds 1 over [arrival, finish).
  const inSystem = new Float64Array(points);
  const addInterval = (into: Float64Array, from: number, to: number, value: number) => {
    if (!(to > from)) return;
    let b = Math.max(0, Math.floor((from - start) / width));
    for (; b < points; b++) {
      const lo = start + b * width;
      const hi = lo + width;
      if (lo >= to) break;
      const overlap = Math.min(hi, to) - Math.max(lo, from);
      if (overlap > 0) into[b]! += (value * overlap) / width;
    }
  };
  for (let i = 0; i < arrival.length; i++) {
    if (rejected.has(i) || Number.isNaN(finish[i]!)) continue;
    addInterval(inSystem, arrival[i]!, finish[i]!, 1);
  }
  return pools.map((replicas, p) => {
    const running = new Float64Array(points);
    const blocks = new Float64Array(points);
    for (const replica of replicas) {
      const log = replica.log;
      for (let i = 0; i < log.length; i += 4) {
        addInterval(running, log[i]!, log[i]! + log[i + 1]!, log[i + 2]!);
        addInterval(blocks, log[i]!, log[i]! + log[i + 1]!, log[i + 3]!);
      }
    }
    const capacity = input.pools[p]!.capacityBlocks * replicas.length;
    return Array.from({ length: points }, (_, b) => ({
      timeSeconds: start + (b + 0.5) * width,
      runningRequests: running[b]!,
      kvCacheFraction: capacity > 0 ? blocks[b]! / capacity : 0,
      requestsInSystem: inSystem[b]!,
    }));
  });
}
