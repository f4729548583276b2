// Collective communication costs from the topology. A group is `size` ranks spaced `stride` apart in
// the global rank order (ranks fill a scale-up domain before the next). At each level of the network
// we count how many of the group's ranks share one domain; hierarchical algorithms then run ring
// phases level by level (Thakur, Rabenseifner & Gropp 2005; NCCL's tree/ring over NVLink then NICs).
// The scale-out network may be several Clos tiers (system/hardware.ts `collectiveLevels`): each is one
// more level here, slower above a tier's domain by its oversubscription and with its own latency.
import { collectiveLevels, type Hardware, type NetworkLevel } from "../system/hardware.js";

export interface GroupPlacement {
  size: number;
  stride: number;
}

/** Members of the group per domain at each level, and the factor each level adds (product = size). */
export function levelFactors(levels: NetworkLevel[], group: GroupPlacement): number[] {
  const factors: number[] = [];
  let below = 1;
  for (const level of levels) {
    const inDomain =
      level.domainChips === Infinity ? group.size : Math.max(1, Math.min(group.size, Math.floor(level.domainChips / group.stride)));
    const clamped = Math.max(below, inDomain);
    factors.push(clamped / below);
    below = clamped;
  }
  return factors;
}

/** Bytes each rank sends in a ring all-reduce of `bytes`: 2(n-1)/n of the data (reduce-scatter + all-gather). */
export function ringAllReduceBytesPerRank(bytes: number, n: number): number {
  return (2 * (n - 1) * bytes) / n;
}

/** Bytes each rank sends in a ring all-gather or reduce-scatter whose full buffer is `bytes`: (n-1)/n of it. */
export function ringAllGatherBytesPerRank(bytes: number, n: number): number {
  return ((n - 1) * bytes) / n;
}

/** ceil(log2(factor)): latency-bound phases use trees or direct exchange, log2 steps, not n-1 ring steps. */
export function latencySteps(factor: number): number {
  if (factor <= 1) return 0;
  // For n = ceil(factor) (the same ceiling of the log), ceil(log2(n)) is the bit length of n - 1: an
  // integer instruction, where the planner otherwise spends several percent of its time in Math.log2.
  const n = Math.ceil(factor);
  return n <= 2 ** 31 ? 32 - Math.clz32(n - 1) : Math.ceil(Math.log2(factor));
}

/**
 * Reduce-scatter (or all-gather: the same traffic reversed) of a buffer of `bytes` per rank, run
 * level by level: each level's ring moves (g-1)/g of what is left, and hands 1/g of it upward.
 */
export function reduceScatterSeconds(hw: Hardware, group: GroupPlacement, bytes: number): number {
  if (group.size <= 1 || bytes <= 0) return 0;
  // levelFactors, inline: the planner calls this for every layout it screens, so no arrays here.
  let seconds = 0;
  let remaining = bytes;
  let below = 1;
  for (const level of collectiveLevels(hw)) {
    const inDomain =
      level.domainChips === Infinity ? group.size : Math.max(1, Math.min(group.size, Math.floor(level.domainChips / group.stride)));
    const clamped = Math.max(below, inDomain);
    const g = clamped / below;
    below = clamped;
    if (g <= 1) continue;
    seconds += ringAllGatherBytesPerRank(remaining, g) / level.bytesPerSecond + latencySteps(g) * level.latencySeconds;
    remaining /= g;
  }
  return seconds;
}

export const allGatherSeconds = reduceScatterSeconds;

/** All-reduce = reduce-scatter then all-gather: 2(n-1)/n of the data per rank in total. */
export function allReduceSeconds(hw: Hardware, group: GroupPlacement, bytes: number): number {
  return 2 * reduceScatterSeconds(hw, group, bytes);
}

/**
 * All-to-all where each rank holds `bytes` spread evenly over the group. The share bound for ranks
 * outside a level's domain leaves over that level's links; levels run concurrently, so the slowest
 * level sets the time. On a torus or ring, traffic crosses several hops, sharing links.
 */
export function allToAllSeconds(hw: Hardware, group: GroupPlacement, bytes: number): number {
  if (group.size <= 1 || bytes <= 0) return 0;
  const levels = collectiveLevels(hw);
  const factors = levelFactors(levels, group);
  let members = 1;
  let slowest = 0;
  levels.forEach((level, i) => {
    const g = factors[i]!;
    if (g <= 1) return;
    const reached = members * g;
    const share = (bytes * (reached - members)) / group.size;
    const hops = level.topology === "ring" ? Math.max(1, g / 4) : level.topology === "torus" ? Math.max(1, Math.sqrt(g) / 2) : 1;
    slowest = Math.max(slowest, (share * hops) / level.bytesPerSecond + level.latencySeconds);
    members = reached;
  });
  return slowest;
}

/** Point-to-point send of `bytes` between ranks `stride` apart (pipeline stages). */
export function sendSeconds(hw: Hardware, stride: number, bytes: number): number {
  if (bytes <= 0) return 0;
  const levels = collectiveLevels(hw);
  const level = levels.find((l) => stride < l.domainChips) ?? levels[levels.length - 1]!;
  return bytes / level.bytesPerSecond + level.latencySeconds;
}

/**
 * Expert-parallel dispatch (or combine) of `tokens` tokens, each routed to `topK` of the experts
 * spread evenly over the group, `bytesPerToken` each. A token crosses a level's links once per
 * distinct remote domain it is routed to and is fanned out inside that domain (DeepEP's and
 * DeepSeek-V3's node-limited dispatch): a domain holding a fraction f of the experts receives it
 * with probability 1 - (1 - f)^topK. Levels run concurrently; the slowest sets the time.
 */
export function expertDispatchSeconds(hw: Hardware, group: GroupPlacement, tokens: number, topK: number, bytesPerToken: number): number {
  if (group.size <= 1 || tokens <= 0) return 0;
  const levels = collectiveLevels(hw);
  const factors = levelFactors(levels, group);
  let below = 1;
  let slowest = 0;
  levels.forEach((level, i) => {
    const g = factors[i]!;
    if (g <= 1) return;
    const fraction = below / group.size;
    const reached = (g - 1) * (1 - Math.pow(1 - fraction, topK));
    const hops = level.topology === "ring" ? Math.max(1, g / 4) : level.topology === "torus" ? Math.max(1, Math.sqrt(g) / 2) : 1;
    slowest = Math.max(slowest, (tokens * bytesPerToken * reached * hops) / level.bytesPerSecond + level.latencySeconds);
    below *= g;
  });
  return slowest;
}
