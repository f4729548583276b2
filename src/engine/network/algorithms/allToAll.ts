// All-to-all exchanges over the topology: each rank's share bound for ranks outside a level's domain
// leaves over that level's links; levels run concurrently, so the slowest level sets the time. On a
// torus or a ring, traffic crosses several hops and shares links (levels.ts, topologyHops).
import { collectiveLevels, type Hardware } from "../../system/hardware.js";
import { levelFactors, topologyHops, type GroupPlacement } from "./levels.js";

/**
 * The slowest level of an exchange whose levels run concurrently: `bytesAcross(g, below)` is what one
 * rank sends over a level that joins `g` of its group's domains, each holding `below` members.
 */
function slowestLevel(hw: Hardware, group: GroupPlacement, bytesAcross: (g: number, below: number) => number): number {
  const levels = collectiveLevels(hw);
  const factors = levelFactors(levels, group);
  let below = 1;
  let slowest = 0;
  levels.forEach((level, i) => {
    const g = factors[i]!;
    if (g <= 1) return;
    slowest = Math.max(slowest, (bytesAcross(g, below) * topologyHops(level, g)) / level.bytesPerSecond + level.latencySeconds);
    below *= g;
  });
  return slowest;
}

/** All-to-all where each rank holds `bytes` spread evenly over the group. */
export function allToAllSeconds(hw: Hardware, group: GroupPlacement, bytes: number): number {
  if (group.size <= 1 || bytes <= 0) return 0;
  // The share bound for the members this level adds leaves over its links.
  return slowestLevel(hw, group, (g, below) => (bytes * (below * g - below)) / group.size);
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
  return slowestLevel(hw, group, (g, below) => tokens * bytesPerToken * (g - 1) * (1 - Math.pow(1 - below / group.size, topK)));
}
