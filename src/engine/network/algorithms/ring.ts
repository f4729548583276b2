// Ring reduce-scatter and all-gather on one level of the network (Patarasuk & Yuan 2009; NCCL's ring):
// each of g ranks sends (g-1)/g of the buffer to its neighbour in g-1 steps. Small messages are
// latency-bound, where NCCL's tree and LL protocols take ceil(log2 g) steps; the step count here is that.
// A ring all-reduce is a reduce-scatter then an all-gather: 2(g-1)/g of the buffer per rank.
import type { NetworkLevel } from "../../system/hardware.js";
import { latencySteps } from "./levels.js";

/** Bytes each rank sends in a ring all-reduce of `bytes`: 2(n-1)/n of the data (reduce-scatter + all-gather). */
export function ringAllReduceBytesPerRank(bytes: number, n: number): number {
  return (2 * (n - 1) * bytes) / n;
}

/** Bytes each rank sends in a ring all-gather or reduce-scatter whose full buffer is `bytes`: (n-1)/n of it. */
export function ringAllGatherBytesPerRank(bytes: number, n: number): number {
  return ((n - 1) * bytes) / n;
}

/** Seconds of a ring reduce-scatter (or all-gather) of a `bytes` buffer over `g` ranks of one level. */
export function ringReduceScatterLevelSeconds(level: NetworkLevel, g: number, bytes: number): number {
  return ringAllGatherBytesPerRank(bytes, g) / level.bytesPerSecond + latencySteps(g) * level.latencySeconds;
}
