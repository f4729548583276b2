// What a serving engine's scheduler sees and decides, one replica at a time: the requests waiting
// and running, the free KV-cache blocks, and, each iteration, which requests decode a token and which
// prompts (or chunks of prompts) are prefilled. The event loop (simulate.ts) owns time; a scheduler
// (one file per engine in this folder, registered in index.ts) owns the choice.
import type { IterationModel } from "../iterationTime.js";
import type { KvShape } from "../kvCache.js";
import type { PrefixCache } from "../prefixCache.js";
import type { Routing } from "../routing.js";
import type { SpeculativeRuntime } from "../speculative.js";

export type PoolRole = "colocated" | "prefill" | "decode";
export type KvAdmission = "on-demand" | "reserve";

/** Static-shape runtimes (Neuron): the graph runs a fixed batch, and sequences padded to buckets. */
export interface StaticShapes {
  /** Batch rows every decode step executes, however many requests are running. */
  compiledBatch: number;
  /** Sequence lengths the graphs are compiled for, ascending: a prompt or a context runs at the next one up. */
  buckets: number[];
  /** Prompts per context-encoding (prefill) graph: NxD Inference compiles it for batch 1 under continuous batching. */
  prefillBatch: number;
}

export interface PoolRuntime {
  role: PoolRole;
  replicas: number;
  /** The scheduler that picks each iteration's work (schedulers/index.ts). */
  scheduler: SchedulerPolicy;
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
  /** Static shapes (Neuron); null where kernels run the batch and lengths they are given. */
  staticShapes: StaticShapes | null;
  /** Shared prompt prefixes keep their KV blocks for later requests (prefixCache.ts). */
  prefixCaching: boolean;
  /** How an arriving request picks a replica (routing.ts); default least-loaded. */
  routing?: Routing;
  /** Speculative decoding: each decode step verifies draftTokens + 1 tokens per request; null: one token. */
  speculative: SpeculativeRuntime | null;
  /**
   * The engine schedules each step while the one before it runs (an overlap or async scheduler), so a
   * request reaching a busy replica is first seen when the step after the running one is picked: it
   * can join the step after that. Default false.
   */
  schedulesAhead?: boolean;
  /**
   * Tokens per streamed chunk (SGLang's --stream-interval, TensorRT-LLM's stream_interval): a client
   * sees its first token with the first chunk, once that many are generated (or the whole answer, if
   * shorter). Default 1: every token as it is sampled.
   */
  streamInterval?: number;
}

export class Req {
  target = 0;
  prefilled = 0;
  generated = 0;
  kvTokens = 0;
  blocks = 0;
  chunk = 0;
  /** Blocks of a cached prefix this request's context uses, held with others (prefixCache.ts); not its own to free. */
  sharedBlocks = 0;
  /** Finished, or handed to the decode pool: leaves the replica's running list. */
  left = false;
  constructor(
    readonly index: number,
    readonly input: number,
    readonly output: number,
    /** The shared prefix its prompt starts with (-1: none) and that prefix's length in tokens. */
    readonly prefixGroup = -1,
    readonly prefixTokens = 0,
  ) {
    this.target = input;
  }
}

/** A double-ended queue: FIFO with a push to the front for preempted requests. */
export class Deque<T> {
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

export interface Replica {
  pool: number;
  index: number;
  waiting: Deque<Req>;
  /** Requests that reached the replica after its next step was already picked (schedulesAhead). */
  arrivedDuringStep: Req[];
  running: Req[];
  freeBlocks: number;
  busy: boolean;
  kicked: boolean;
  /** This iteration's work, filled by the scheduler: requests decoding one token ... */
  decodes: Req[];
  /** ... and prompts prefilled, each by its `chunk` of tokens. */
  prefills: Req[];
  /** Disaggregated decode replicas: when the incoming KV link is next free. */
  linkFreeSeconds: number;
  /** Prefixes cached on this replica; null where the pool does not cache them. */
  prefixCache: PrefixCache | null;
  /** Occupancy accumulation: iteration starts, durations, requests, blocks used. */
  log: number[];
}

/** What a scheduler may do besides moving requests between the replica's lists. */
export interface SchedulingContext {
  pool: PoolRuntime;
  replica: Replica;
  /** Records when a request first joins a running batch. */
  admit(r: Req): void;
  /** Counts a preemption (the request's KV cache is dropped, to be recomputed). */
  preempted(r: Req): void;
  /** Records the prompt tokens a request found in the prefix cache when admitted. */
  cachedPrefix(r: Req, tokens: number): void;
}

export interface SchedulerPolicy {
  /** Fills replica.decodes and replica.prefills (with each prompt's chunk) for the next iteration. */
  schedule(ctx: SchedulingContext): void;
}

/** KV-cache blocks for `tokens` tokens of context (windowed-only models cache at most the window). */
export function blocksFor(pool: PoolRuntime, tokens: number): number {
  const cached = pool.kvShape.fullLayers > 0 ? tokens : Math.min(tokens, pool.kvShape.window);
  return Math.ceil(cached / pool.blockTokens);
}

/**
 * Blocks a request holds once admitted: on demand, those of its context so far plus `tokens`;
 * reserved, those of its whole context from the start (a prefill pool reserves only the prompt: the
 * answer is decoded elsewhere).
 */
export function blocksHeld(pool: PoolRuntime, r: Req, tokens: number): number {
  return Math.max(
    blocksFor(pool, tokens),
    pool.kvAdmission === "reserve" ? blocksFor(pool, pool.role === "prefill" ? r.input : r.input + r.output) : 0,
  );
}

/** Blocks a request may still take: the free ones and those of cached prefixes no one holds. */
export function availableBlocks(replica: Replica): number {
  return replica.freeBlocks + (replica.prefixCache?.evictableBlocks ?? 0);
}

/** Takes `n` blocks, evicting unheld cached prefixes (least recently used first) where the free ones fall short. */
export function takeBlocks(replica: Replica, n: number): void {
  if (n > replica.freeBlocks && replica.prefixCache) replica.freeBlocks += replica.prefixCache.evict(n - replica.freeBlocks);
  replica.freeBlocks -= n;
}

/** Blocks a request's context occupies: its own and those of a cached prefix it shares. */
function heldBlocks(r: Req): number {
  return r.blocks + r.sharedBlocks;
}

export function releaseBlocks(replica: Replica, r: Req): void {
  replica.freeBlocks += r.blocks;
  r.blocks = 0;
  r.kvTokens = 0;
  if (r.sharedBlocks > 0) {
    replica.prefixCache!.release(r.prefixGroup);
    r.sharedBlocks = 0;
  }
}

/**
 * Tokens of a prompt's shared prefix that can be cached: its whole blocks, leaving the prompt's last
 * token to compute (its position samples the first output token).
 */
export function cacheablePrefixTokens(pool: PoolRuntime, r: Req): number {
  if (r.prefixGroup < 0) return 0;
  return Math.floor(Math.min(r.prefixTokens, r.input - 1) / pool.blockTokens) * pool.blockTokens;
}

/**
 * A request about to be admitted takes its prefix from the replica's cache, if there: its context
 * starts with the cached tokens, held with the other requests sharing them. Returns the tokens taken.
 */
function takeCachedPrefix(pool: PoolRuntime, replica: Replica, r: Req): number {
  const cache = replica.prefixCache;
  if (!cache || r.prefilled > 0 || r.sharedBlocks > 0 || r.prefixGroup < 0) return 0;
  const hit = cache.lookup(r.prefixGroup);
  if (!hit) return 0;
  const tokens = Math.min(hit.tokens, cacheablePrefixTokens(pool, r));
  if (tokens <= 0) return 0;
  cache.acquire(r.prefixGroup);
  // The blocks its own context takes from the prefix (a shorter prompt uses the prefix's first ones only).
  r.sharedBlocks = tokens / pool.blockTokens;
  r.prefilled = tokens;
  r.kvTokens = tokens;
  return tokens;
}

/** Undoes takeCachedPrefix for a request that was not admitted after all. */
function returnCachedPrefix(replica: Replica, r: Req): void {
  if (r.sharedBlocks === 0) return;
  replica.prefixCache!.release(r.prefixGroup);
  r.sharedBlocks = 0;
  r.prefilled = 0;
  r.kvTokens = 0;
}

/** Requests arriving from a prefill pool with their KV cache need blocks, no compute: they join first. */
export function joinTransferred(ctx: SchedulingContext): void {
  const { pool, replica } = ctx;
  while (replica.waiting.length > 0 && replica.running.length < pool.maxBatch) {
    const r = replica.waiting.peek()!;
    if (r.prefilled < r.target) break;
    const need = blocksHeld(pool, r, r.kvTokens) - heldBlocks(r);
    if (need > availableBlocks(replica)) break;
    replica.waiting.shift();
    takeBlocks(replica, need);
    r.blocks += need;
    r.left = false;
    replica.running.push(r);
  }
}

/**
 * One decode step for every running request past its prompt, within `budget` tokens, preempting the
 * most recently admitted request when the cache is full (vLLM's recompute preemption). A step is one
 * token, or with speculative decoding the k + 1 the target verifies: each counts against the budget
 * and gets a KV slot (vLLM's lookahead slots), up to the request's whole context. Returns the budget
 * left and whether anything was preempted.
 */
export function scheduleDecodes(ctx: SchedulingContext, budget: number): { budget: number; preempted: boolean } {
  const { pool, replica } = ctx;
  let preempted = false;
  const stepTokens = 1 + (pool.speculative?.draftTokens ?? 0);
  for (let i = 0; i < replica.running.length && budget > 0; i++) {
    const r = replica.running[i]!;
    if (r.prefilled < r.target) continue;
    const need = Math.max(0, blocksFor(pool, Math.min(r.kvTokens + stepTokens, r.input + r.output)) - heldBlocks(r));
    let self = false;
    while (need > availableBlocks(replica)) {
      const victim = replica.running.pop()!;
      preempted = true;
      releaseBlocks(replica, victim);
      victim.prefilled = 0;
      victim.target = victim.input + victim.generated;
      ctx.preempted(victim);
      replica.waiting.unshift(victim);
      if (victim === r) {
        self = true;
        break;
      }
    }
    if (self) break;
    takeBlocks(replica, need);
    r.blocks += need;
    replica.decodes.push(r);
    budget -= stepTokens;
  }
  return { budget, preempted };
}

/**
 * Prompts within the token budget and the cache: those part-way through first, then new ones while
 * `admitNew` allows. `maxPrompts` caps the prompts in one iteration (a static-shape prefill graph's
 * batch). Returns the budget left.
 */
export function schedulePrefills(ctx: SchedulingContext, budget: number, admitNew: boolean, maxPrompts = Infinity): number {
  const { pool, replica } = ctx;
  const prefills = replica.prefills;
  const prefillChunk = (r: Req): number => {
    const remaining = r.target - r.prefilled;
    let chunk = pool.chunkedPrefill
      ? Math.min(remaining, budget)
      : remaining <= budget || replica.decodes.length + prefills.length === 0
        ? remaining
        : 0;
    if (chunk <= 0) return 0;
    const free = availableBlocks(replica);
    if (pool.kvAdmission === "reserve") return blocksHeld(pool, r, r.kvTokens + chunk) - heldBlocks(r) > free ? 0 : chunk;
    const available = (heldBlocks(r) + free) * pool.blockTokens - r.kvTokens;
    if (blocksFor(pool, r.kvTokens + chunk) - heldBlocks(r) > free) chunk = pool.chunkedPrefill ? Math.max(0, available) : 0;
    return chunk;
  };
  const take = (r: Req, chunk: number) => {
    const need = Math.max(0, blocksHeld(pool, r, r.kvTokens + chunk) - heldBlocks(r));
    takeBlocks(replica, need);
    r.blocks += need;
    r.chunk = chunk;
    prefills.push(r);
    budget -= chunk;
  };
  for (const r of replica.running) {
    if (budget <= 0 || prefills.length >= maxPrompts) break;
    if (r.prefilled >= r.target) continue;
    const chunk = prefillChunk(r);
    if (chunk > 0) take(r, chunk);
  }
  while (admitNew && replica.waiting.length > 0 && replica.running.length < pool.maxBatch && prefills.length < maxPrompts) {
    const r = replica.waiting.peek()!;
    if (r.prefilled >= r.target) break; // arrived with its KV cache while the cache was full: waits for the next iteration
    if (budget <= 0) break;
    const cached = takeCachedPrefix(pool, replica, r);
    const chunk = prefillChunk(r);
    if (chunk <= 0) {
      returnCachedPrefix(replica, r);
      break;
    }
    replica.waiting.shift();
    replica.running.push(r);
    take(r, chunk);
    ctx.admit(r);
    ctx.cachedPrefix(r, cached);
  }
  return budget;
}
