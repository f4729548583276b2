// The serving event loop as it was before the schedulers became policies (commit 0a85bff), kept
// frozen only so that bench/serve.ts can time the current loop against it on the same requests in the
// same run. Not used by the engine; do not extend it.
// The serving simulation: requests move one by one through routing, queueing, prefill (whole or in
// chunks), decode iterations and, for disaggregated serving, a KV-cache transfer between pools. Each
// replica runs one iteration at a time; an iteration's time comes from the iteration model. The KV
// cache is paged in blocks, admitted one of two ways: on demand (vLLM), where a decode step that
// finds no free block preempts the most recently admitted request, to be recomputed later, and no
// new prompt joins an iteration that preempted (vLLM's scheduler); or reserved (TensorRT-LLM's
// GUARANTEED_NO_EVICT capacity scheduler), where a request joins only when blocks for its whole
// context (prompt plus answer) are free, so nothing is ever preempted. Events are ordered by
// (time, sequence), so a run is a pure function of its input.
import { EventQueue } from "../src/engine/des/eventQueue.js";
import type { IterationModel } from "../src/engine/serve/iterationTime.js";
import type { KvShape } from "../src/engine/serve/kvCache.js";
import type { RequestSpec } from "../src/engine/serve/scenario.js";

export type PoolRole = "colocated" | "prefill" | "decode";
export type KvAdmission = "on-demand" | "reserve";

export interface PoolRuntime {
  role: PoolRole;
  replicas: number;
  policy: "continuous" | "static";
  maxBatch: number;
  maxTokensPerIteration: number;
  chunkedPrefill: boolean;
  /** "on-demand": blocks as the context grows, preempting on a full cache; "reserve": the whole context's blocks at admission. */
  kvAdmission: KvAdmission;
  blockTokens: number;
  /** KV-cache blocks per replica. */
  capacityBlocks: number;
  kvShape: KvShape;
  iteration: IterationModel;
}

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

class Req {
  target = 0;
  prefilled = 0;
  generated = 0;
  kvTokens = 0;
  blocks = 0;
  chunk = 0;
  /** Finished, or handed to the decode pool: leaves the replica's running list. */
  left = false;
  constructor(
    readonly index: number,
    readonly input: number,
    readonly output: number,
  ) {
    this.target = input;
  }
}

/** A double-ended queue: FIFO with a push to the front for preempted requests. */
class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  unshift(x: T): void {
    if (this.head > 0) this.items[--this.head] = x;
    else this.items.unshift(x);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

interface Replica {
  pool: number;
  index: number;
  waiting: Deque<Req>;
  running: Req[];
  freeBlocks: number;
  busy: boolean;
  kicked: boolean;
  decodes: Req[];
  prefills: Req[];
  /** Disaggregated decode replicas: when the incoming KV link is next free. */
  linkFreeSeconds: number;
  /** Occupancy accumulation: iteration starts, durations, requests, blocks used. */
  log: number[];
}

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
  const queue = new EventQueue<Event>();
  let previous = -Infinity;
  input.requests.forEach((r, i) => {
    if (r.arrivalSeconds < previous) throw new Error("requests must be sorted by arrival time");
    previous = r.arrivalSeconds;
    arrivalSeconds[i] = r.arrivalSeconds;
    inputTokens[i] = r.inputTokens;
    outputTokens[i] = r.outputTokens;
    reqs[i] = new Req(i, r.inputTokens, r.outputTokens);
    queue.schedule(r.arrivalSeconds, { kind: 0, request: i });
  });

  const blocksFor = (pool: PoolRuntime, tokens: number) => {
    const cached = pool.kvShape.fullLayers > 0 ? tokens : Math.min(tokens, pool.kvShape.window);
    return Math.ceil(cached / pool.blockTokens);
  };
  // Blocks a request holds once admitted: on demand, those of its context so far plus `tokens`;
  // reserved, those of its whole context from the start.
  // (A prefill pool reserves only the prompt: the answer is decoded elsewhere.)
  const blocksHeld = (pool: PoolRuntime, r: Req, tokens: number) =>
    Math.max(
      blocksFor(pool, tokens),
      pool.kvAdmission === "reserve" ? blocksFor(pool, pool.role === "prefill" ? r.input : r.input + r.output) : 0,
    );
  const admit = (r: Req, now: number) => {
    if (Number.isNaN(admittedSeconds[r.index]!)) admittedSeconds[r.index] = now;
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
  const release = (replica: Replica, r: Req) => {
    replica.freeBlocks += r.blocks;
    r.blocks = 0;
    r.kvTokens = 0;
  };

  const decodePoolIndex = input.pools.length > 1 ? 1 : 0;

  function startIteration(replica: Replica, now: number): void {
    const pool = input.pools[replica.pool]!;
    const decodes = replica.decodes;
    const prefills = replica.prefills;
    decodes.length = 0;
    prefills.length = 0;
    let budget = pool.maxTokensPerIteration;
    if (pool.policy === "static") {
      if (replica.running.length === 0) {
        // A new batch: as many waiting requests as fit, each with blocks for its whole context.
        while (replica.waiting.length > 0 && replica.running.length < pool.maxBatch) {
          const r = replica.waiting.peek()!;
          const need = blocksFor(pool, r.input + r.output);
          if (need > replica.freeBlocks) break;
          replica.waiting.shift();
          replica.freeBlocks -= need;
          r.blocks = need;
          r.chunk = r.target - r.prefilled;
          replica.running.push(r);
          prefills.push(r);
          admit(r, now);
        }
      } else {
        for (const r of replica.running) if (r.prefilled >= r.target) decodes.push(r);
      }
    } else {
      // Requests arriving from a prefill pool with their KV cache need blocks, no compute: they join first.
      while (replica.waiting.length > 0 && replica.running.length < pool.maxBatch) {
        const r = replica.waiting.peek()!;
        if (r.prefilled < r.target) break;
        const need = blocksHeld(pool, r, r.kvTokens) - r.blocks;
        if (need > replica.freeBlocks) break;
        replica.waiting.shift();
        replica.freeBlocks -= need;
        r.blocks += need;
        r.left = false;
        replica.running.push(r);
      }
      let preempted = false;
      // Decode first: one token for every request past its prompt, preempting the newest on a full cache.
      for (let i = 0; i < replica.running.length && budget > 0; i++) {
        const r = replica.running[i]!;
        if (r.prefilled < r.target) continue;
        const need = Math.max(0, blocksFor(pool, r.kvTokens + 1) - r.blocks);
        let self = false;
        while (need > replica.freeBlocks) {
          const victim = replica.running.pop()!;
          preempted = true;
          release(replica, victim);
          victim.prefilled = 0;
          victim.target = victim.input + victim.generated;
          preemptions[victim.index]!++;
          replica.waiting.unshift(victim);
          if (victim === r) {
            self = true;
            break;
          }
        }
        if (self) break;
        replica.freeBlocks -= need;
        r.blocks += need;
        decodes.push(r);
        budget--;
      }
      // Then prompts: those part-way through, then new ones, within the token budget and the cache.
      const prefillChunk = (r: Req): number => {
        const remaining = r.target - r.prefilled;
        let chunk = pool.chunkedPrefill
          ? Math.min(remaining, budget)
          : remaining <= budget || decodes.length + prefills.length === 0
            ? remaining
            : 0;
        if (chunk <= 0) return 0;
        if (pool.kvAdmission === "reserve") return blocksHeld(pool, r, r.kvTokens + chunk) - r.blocks > replica.freeBlocks ? 0 : chunk;
        const available = (r.blocks + replica.freeBlocks) * pool.blockTokens - r.kvTokens;
        if (blocksFor(pool, r.kvTokens + chunk) - r.blocks > replica.freeBlocks) chunk = pool.chunkedPrefill ? Math.max(0, available) : 0;
        return chunk;
      };
      const take = (r: Req, chunk: number) => {
        const need = Math.max(0, blocksHeld(pool, r, r.kvTokens + chunk) - r.blocks);
        replica.freeBlocks -= need;
        r.blocks += need;
        r.chunk = chunk;
        prefills.push(r);
        budget -= chunk;
      };
      for (const r of replica.running) {
        if (budget <= 0) break;
        if (r.prefilled >= r.target) continue;
        const chunk = prefillChunk(r);
        if (chunk > 0) take(r, chunk);
      }
      while (!preempted && replica.waiting.length > 0 && replica.running.length < pool.maxBatch) {
        const r = replica.waiting.peek()!;
        if (r.prefilled >= r.target) break; // arrived with its KV cache while the cache was full: waits for the next iteration
        if (budget <= 0) break;
        const chunk = prefillChunk(r);
        if (chunk <= 0) break;
        replica.waiting.shift();
        replica.running.push(r);
        take(r, chunk);
        admit(r, now);
      }
    }
    if (decodes.length + prefills.length === 0) {
      replica.busy = false;
      return;
    }
    let prefillTokens = 0;
    let prefillAttendedKeys = 0;
    let logitsTokens = decodes.length;
    for (const r of prefills) {
      const c = r.chunk;
      prefillTokens += c;
      prefillAttendedKeys += c * r.prefilled + (c * (c + 1)) / 2;
      if (r.prefilled + c >= r.target) logitsTokens++;
    }
    let decodeContextTokens = 0;
    for (const r of decodes) decodeContextTokens += r.kvTokens + 1;
    const seconds = pool.iteration({
      prefillTokens,
      prefillAttendedKeys,
      decodeTokens: decodes.length,
      decodeContextTokens,
      logitsTokens,
    }).seconds;
    replica.busy = true;
    iterations++;
    busySeconds[replica.pool]! += seconds;
    tokensProcessed[replica.pool]! += prefillTokens + decodes.length;
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
      release(replica, r);
      r.left = true;
      finished = true;
    };
    for (const r of replica.decodes) {
      r.kvTokens += 1;
      r.generated += 1;
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
        release(replica, r);
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
      const context = r.input + r.output;
      if (r.input < 1 || r.output < 1) {
        rejected.set(r.index, "needs at least one input and one output token");
        continue;
      }
      if (context > input.maxContextTokens) {
        rejected.set(r.index, `context of ${context} tokens exceeds the model's ${input.maxContextTokens}`);
        continue;
      }
      const tooBig = input.pools.find((p) => blocksFor(p, context) > p.capacityBlocks);
      if (tooBig) {
        rejected.set(
          r.index,
          `needs ${context} tokens of KV cache; a ${tooBig.role} replica holds ${tooBig.capacityBlocks * tooBig.blockTokens}`,
        );
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
