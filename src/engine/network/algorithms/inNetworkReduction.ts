// In-network all-reduce: NVLink SHARP (NVLS) on NVSwitch, where the switch reduces. Each rank pushes its
// buffer into the switch once (multimem reduce) and receives the reduced buffer once (multicast); the
// two run on the link's two directions at once, chunk by chunk, so an all-reduce of B bytes costs
// B / bandwidth and two switch traversals, against a ring's 2(g-1)/g B / bandwidth and 2 ceil(log2 g)
// latencies. NCCL uses it for all-reduce only ("NVLink SHARP is an AllReduce offload system over
// NVLink only", NVIDIA/nccl#1031), on third-generation NVSwitch and later (Hopper onward; across the
// NVL72 rack with multi-node NVLink). Which levels have it is data (`inNetworkReduction` of a
// system's scale-up level), and so is the rate it reaches: measured, NVLS moves well under the line
// rate (8 H100s: 275 GB/s of algorithm bandwidth on 450 GB/s links, NVIDIA/nccl#2140), so that over a
// few GPUs a ring is as fast, and NCCL's tuner picks the faster (collectives.ts takes the faster too).
import type { NetworkLevel } from "../../system/hardware.js";

/** Seconds of an in-network all-reduce of `bytes` per rank over one level that reduces in its switches. */
export function inNetworkAllReduceLevelSeconds(level: NetworkLevel, bytes: number): number {
  return bytes / level.inNetworkBytesPerSecond + 2 * level.latencySeconds;
}
