// Where a collective's ranks sit in the network: a group is `size` ranks spaced `stride` apart in the
// global rank order (ranks fill a scale-up domain before the next). At each level we count how many
// of the group's ranks share one domain of it; every algorithm works level by level from these.
import type { NetworkLevel } from "../../system/hardware.js";

export interface GroupPlacement {
  size: number;
  stride: number;
}

/** How many of the group's ranks share one domain of `level` (1 when their stride spans the domain). */
export function membersInDomain(level: NetworkLevel, group: GroupPlacement): number {
  return level.domainChips === Infinity ? group.size : Math.max(1, Math.min(group.size, Math.floor(level.domainChips / group.stride)));
}

/** Members of the group per domain at each level, and the factor each level adds (product = size). */
export function levelFactors(levels: NetworkLevel[], group: GroupPlacement): number[] {
  const factors: number[] = [];
  let below = 1;
  for (const level of levels) {
    const clamped = Math.max(below, membersInDomain(level, group));
    factors.push(clamped / below);
    below = clamped;
  }
  return factors;
}

/** ceil(log2(factor)): latency-bound phases use trees or direct exchange, log2 steps, not n-1 ring steps. */
export function latencySteps(factor: number): number {
  if (factor <= 1) return 0;
  // For n = ceil(factor) (the same ceiling of the log), ceil(log2(n)) is the bit length of n - 1: an
  // integer instruction, where the planner otherwise spends several percent of its time in Math.log2.
  const n = Math.ceil(factor);
  return n <= 2 ** 31 ? 32 - Math.clz32(n - 1) : Math.ceil(Math.log2(factor));
}

/** Links a message crosses on a level's topology: 1 through a switch; more on a ring or a torus, whose links it shares. */
export function topologyHops(level: NetworkLevel, g: number): number {
  return level.topology === "ring" ? Math.max(1, g / 4) : level.topology === "torus" ? Math.max(1, Math.sqrt(g) / 2) : 1;
}
