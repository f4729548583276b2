// Collective communication costs from the topology, as NCCL or the Neuron runtime would run them.
// Each algorithm is one file in algorithms/ (ring, in-network reduction, all-to-all); this file picks
// one per level, level by level from the innermost (Thakur, Rabenseifner & Gropp 2005; NCCL's
// hierarchical rings over NVLink then NICs). The scale-out network may be several Clos tiers
// (system/hardware.ts `collectiveLevels`): each is one more level here, slower above a tier's domain by
// its oversubscription and with its own latency. A new algorithm is a new file, picked here.
import { collectiveLevels, type Hardware } from "../system/hardware.js";
import { inNetworkAllReduceLevelSeconds } from "./algorithms/inNetworkReduction.js";
import { ringReduceScatterLevelSeconds } from "./algorithms/ring.js";
import { membersInDomain, type GroupPlacement } from "./algorithms/levels.js";

export { levelFactors, latencySteps, type GroupPlacement } from "./algorithms/levels.js";
export { ringAllGatherBytesPerRank, ringAllReduceBytesPerRank } from "./algorithms/ring.js";
export { allToAllSeconds, expertDispatchSeconds } from "./algorithms/allToAll.js";

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
    const clamped = Math.max(below, membersInDomain(level, group));
    const g = clamped / below;
    below = clamped;
    if (g <= 1) continue;
    seconds += ringReduceScatterLevelSeconds(level, g, remaining);
    remaining /= g;
  }
  return seconds;
}

export const allGatherSeconds = reduceScatterSeconds;

/**
 * All-reduce: a reduce-scatter then an all-gather, 2(n-1)/n of the data per rank in total; or, where
 * the group's innermost level reduces in its switches (NVLink SHARP), that level in-network over the
 * whole buffer (NCCL's NVLS; across nodes its NVLS-tree: the levels above all-reduce the 1/g share
 * each rank holds), whichever is faster, as NCCL's tuner picks.
 */
export function allReduceSeconds(hw: Hardware, group: GroupPlacement, bytes: number): number {
  if (group.size <= 1 || bytes <= 0) return 0;
  const rings = 2 * reduceScatterSeconds(hw, group, bytes);
  // The innermost level the group spans (more than one member in a domain of it).
  for (const level of collectiveLevels(hw)) {
    const g = membersInDomain(level, group);
    if (g <= 1) continue;
    if (level.inNetworkBytesPerSecond <= 0) break;
    // It reduces in-network over the whole buffer; the levels above all-reduce the 1/g each rank holds.
    const inNetwork = inNetworkAllReduceLevelSeconds(level, bytes);
    return Math.min(
      rings,
      g >= group.size ? inNetwork : inNetwork + 2 * reduceScatterSeconds(hw, { size: group.size / g, stride: group.stride * g }, bytes / g),
    );
  }
  return rings;
}

/** Point-to-point send of `bytes` between ranks `stride` apart (pipeline stages). */
export function sendSeconds(hw: Hardware, stride: number, bytes: number): number {
  if (bytes <= 0) return 0;
  const levels = collectiveLevels(hw);
  const level = levels.find((l) => stride < l.domainChips) ?? levels[levels.length - 1]!;
  return bytes / level.bytesPerSecond + level.latencySeconds;
}
