// Time of one operation on one chip: the roofline (Williams, Waterman & Patterson 2009), with the
// compute side scaled by an efficiency that depends on the operation's shape.
import type { Precision } from "../catalog/schema.js";
import { peakFlopsPerSecond, widthClass, type Hardware } from "../system/hardware.js";
import { neuronAttentionStretch } from "./neuronCore.js";

/**
 * Bytes per element in memory, block scales included: MX formats carry one 8-bit scale per 32
 * elements, NVFP4 one FP8 scale per 16 (OCP Microscaling Formats v1.0; NVIDIA's NVFP4 description).
 */
export function bytesPerElement(precision: Precision): number {
  switch (precision) {
    case "fp32":
      return 4;
    case "fp8":
      return 1;
    case "mxfp8":
      return 1 + 1 / 32;
    case "nvfp4":
      return 0.5 + 1 / 16;
    case "mxfp4":
      return 0.5 + 1 / 32;
    default:
      return 2;
  }
}

/** Achievable fraction of peak for a GEMM whose smallest dimension is `d`: eff * d / (d + d_half). */
export function gemmEfficiency(hw: Hardware, precision: Precision, smallestDim: number): number {
  const e = hw.efficiency;
  return (e.gemm[widthClass(precision)] * smallestDim) / (smallestDim + e.gemmHalfDim);
}

/** Seconds for an (m x k) by (k x n) matrix product, `count` times. */
export function gemmSeconds(hw: Hardware, precision: Precision, m: number, k: number, n: number, count = 1): number {
  if (m <= 0 || k <= 0 || n <= 0 || count <= 0) return 0;
  const flops = 2 * m * k * n;
  const compute = flops / (peakFlopsPerSecond(hw.chip, precision) * gemmEfficiency(hw, precision, Math.min(m, k, n)));
  const bytes = (m * k + k * n) * bytesPerElement(precision) + m * n * 2;
  const memory = bytes / (hw.hbmBytesPerSecond * hw.efficiency.memory);
  return count * Math.max(compute, memory);
}

/** Piecewise-linear interpolation over [x, y] points (any order), flat beyond the ends. */
export function interpolate(points: [number, number][], x: number): number {
  const sorted = sortedByX(points);
  if (x <= sorted[0]![0]) return sorted[0]![1];
  for (let i = 1; i < sorted.length; i++) {
    const [x1, y1] = sorted[i]!;
    if (x <= x1) {
      const [x0, y0] = sorted[i - 1]!;
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return sorted[sorted.length - 1]![1];
}

// Attention runs this per layer on the planner's hot path: points already in order (as the catalog
// keeps them) are used as they are, others are sorted once per array.
const sortedCopies = new WeakMap<[number, number][], [number, number][]>();
function sortedByX(points: [number, number][]): [number, number][] {
  let inOrder = true;
  for (let i = 1; i < points.length && inOrder; i++) inOrder = points[i - 1]![0] <= points[i]![0];
  if (inOrder) return points;
  let sorted = sortedCopies.get(points);
  if (!sorted) sortedCopies.set(points, (sorted = [...points].sort((a, b) => a[0] - b[0])));
  return sorted;
}

/**
 * Seconds for flash attention of `flops`, at the 16-bit rate, where each query attends `keys` keys on
 * average with heads of `headDim` (the query-key width). `pass` says which of the kernel's passes the
 * FLOPs are: on a NeuronCore the softmax's engines can bound either (analytic/neuronCore.ts).
 */
export function attentionSeconds(
  hw: Hardware,
  flops: number,
  keys: number,
  headDim = 128,
  pass: "forward" | "backward" = "forward",
): number {
  if (flops <= 0) return 0;
  const e = hw.efficiency;
  const efficiency = ((e.attention * keys) / (keys + e.attentionHalfKeys)) * interpolate(e.attentionHeadDim, headDim);
  return (flops / (peakFlopsPerSecond(hw.chip, "bf16") * efficiency)) * neuronAttentionStretch(hw.chip, pass, headDim);
}

/** Seconds for a memory-bound kernel moving `bytes` through HBM. */
export function memorySeconds(hw: Hardware, bytes: number): number {
  return bytes <= 0 ? 0 : bytes / (hw.hbmBytesPerSecond * hw.efficiency.memory);
}
