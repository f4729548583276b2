// How a request picks a replica of the pool it arrives at. "least-loaded" sends it to the replica with
// the fewest requests (waiting or running). "cache-aware" is SGLang's router (sgl-router, policy
// cache_aware, with its default thresholds): unless the load is out of balance, a request goes where
// the router sent its prefix before, so that replica's prefix cache holds it; a prompt that matches
// no replica well goes to the one holding the least. The router keeps its own record of what it sent
// where (its approximate radix trees), not the replicas' caches, and records every request it routes.

/** sgl-router's CacheAwareConfig defaults (its README and launch_router.py). */
export const CACHE_AWARE_ROUTER = {
  /** A replica whose record matches more than this share of the prompt gets the request. */
  cacheThreshold: 0.5,
  /** Load is out of balance when the busiest replica has more than this many requests over the idlest ... */
  balanceAbsThreshold: 32,
  /** ... and more than this multiple of its requests: then the idlest replica gets the request. */
  balanceRelThreshold: 1.0001,
} as const;

export type Routing = "least-loaded" | "cache-aware";

/** The first replica with the fewest requests among those `allowed` says (all by default). */
export function leastLoaded(loads: number[], allowed: (i: number) => boolean = () => true): number {
  let best = -1;
  for (let i = 0; i < loads.length; i++) if (allowed(i) && (best < 0 || loads[i]! < loads[best]!)) best = i;
  return best;
}

export class CacheAwareRouter {
  /** Per replica: the prefixes routed there, with the tokens of each ... */
  private readonly routed: Map<number, number>[];
  /** ... and their sum: the size of the router's tree for it. */
  private readonly tokens: number[];

  constructor(replicas: number) {
    this.routed = Array.from({ length: replicas }, () => new Map<number, number>());
    this.tokens = Array.from({ length: replicas }, () => 0);
  }

  /**
   * The replica for a request whose prompt of `inputTokens` starts with prefix `group` of
   * `prefixTokens` tokens (group -1: none), given each replica's requests.
   */
  pick(loads: number[], group: number, prefixTokens: number, inputTokens: number): number {
    const { cacheThreshold, balanceAbsThreshold, balanceRelThreshold } = CACHE_AWARE_ROUTER;
    let min = Infinity;
    let max = -Infinity;
    for (const l of loads) {
      min = Math.min(min, l);
      max = Math.max(max, l);
    }
    let chosen: number;
    if (max - min > balanceAbsThreshold && max > min * balanceRelThreshold) chosen = leastLoaded(loads);
    else {
      // The prompt shares its prefix with the requests of the same group routed before, and no more.
      const matched = group >= 0 ? Math.min(prefixTokens, inputTokens) / inputTokens : 0;
      const holder = leastLoaded(loads, (i) => this.routed[i]!.has(group));
      if (holder >= 0 && matched > cacheThreshold) chosen = holder;
      else {
        // The replica whose tree is the smallest, the least loaded among equals.
        let smallest = Infinity;
        for (const t of this.tokens) smallest = Math.min(smallest, t);
        chosen = leastLoaded(loads, (i) => this.tokens[i] === smallest);
      }
    }
    // Its record grows with the prefix (a conversation's history lengthens turn by turn).
    const routed = this.routed[chosen]!;
    const before = routed.get(group);
    if (group >= 0 && (before === undefined || prefixTokens > before)) {
      routed.set(group, prefixTokens);
      this.tokens[chosen]! += prefixTokens - (before ?? 0);
    }
    return chosen;
  }
}
