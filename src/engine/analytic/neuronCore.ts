// Attention on a NeuronCore, engine by engine (AWS NKI architecture guides: "Trainium/Inferentia2
// Architecture Guide for NKI" for NeuronCore-v2, "Trainium2 Architecture Guide for NKI" for v3).
//
// A NeuronCore has four engines that run their own instruction streams in parallel: the tensor engine
// (matmuls, written to PSUM), the vector engine, the scalar engine and GpSimd. Flash attention's
// matmuls run on the tensor engine, but its softmax does not: the exponent runs on the scalar engine
// (reading the scores straight from PSUM, with the row sum fused in: `activation_reduce`), the row
// maximum and dS = P * (dP - D) on the vector engine (a two-input instruction costs two cycles per
// element: "roughly 2N cycles"), and every tensor-engine result that is not consumed in place must be
// copied out of PSUM by the vector or the scalar engine. On NeuronCore-v2 the probabilities P (and dS
// in the backward) must also be transposed before they can be multiplied, which is a matmul against
// the identity on the tensor engine plus one more PSUM copy; from NeuronCore-v3 the DMA engines
// transpose instead, "particularly useful in operators that are ScalarE/VectorE bound, such as self
// attention" (Trainium2 guide, DMA Transpose).
//
// Each engine's busy time per score element follows from its width and clock; the kernel takes as long
// as its busiest engine. The result is a stretch over the tensor engine's time for the useful FLOPs
// alone, 1 where the tensor engine bounds, which multiplies the calibrated attention time.
import type { ChipSpec, NeuronCoreSpec } from "../catalog/schema.js";

/** One pass of attention over its scores, per score element. */
interface AttentionPass {
  /** FLOPs of the matmuls per score element. */
  usefulFlops: number;
  /** Score matrices transposed on the tensor engine (NeuronCore-v2). */
  transposes: number;
  /** Element-passes only the scalar engine can do (exponent). */
  scalarOnly: number;
  /** Element-passes only the vector engine can do (row max; dS, two inputs, two passes). */
  vectorOnly: number;
  /** Element-passes either can do: copying a transposed tile out of PSUM. */
  either: number;
}

/** The passes of flash attention's forward or backward (Dao 2023, FlashAttention-2, Algorithms 1 and 2). */
function attentionPass(pass: "forward" | "backward", qkHeadDim: number, vHeadDim: number, dmaTranspose: boolean): AttentionPass {
  // Forward: S = Q K^T, P = exp(S - m) (scalar, with the row sum), m = rowmax(S) (vector), O += P V
  // (P transposed first on v2). Backward: S and P recomputed, dP = dO V^T, dS = P * (dP - D) (vector,
  // two inputs), dV += P^T dO, dK += dS^T Q, dQ = dS K (P and dS transposed first on v2).
  const transposes = dmaTranspose ? 0 : pass === "forward" ? 1 : 2;
  return pass === "forward"
    ? { usefulFlops: 2 * (qkHeadDim + vHeadDim), transposes, scalarOnly: 1, vectorOnly: 1, either: transposes }
    : { usefulFlops: 2 * (3 * qkHeadDim + 2 * vHeadDim), transposes, scalarOnly: 1, vectorOnly: 2, either: transposes };
}

/** Elements per second of a stream engine reading FP32 from PSUM (the width for non-16-bit data). */
function streamRate(engine: NeuronCoreSpec["engines"]["vector"]): number {
  return engine.elementsPerCycle.value * engine.clockGHz.value * 1e9;
}

/**
 * How many times longer flash attention takes on a NeuronCore than its matmul FLOPs at the tensor
 * engine's peak: 1 where the tensor engine bounds, more where the softmax's engines or the transposes
 * do. Chips without NeuronCore data (GPUs) get 1: their softmax is hidden under the matmuls, which
 * the calibrated attention efficiency already covers.
 */
export function neuronAttentionStretch(chip: ChipSpec, pass: "forward" | "backward", qkHeadDim: number, vHeadDim = qkHeadDim): number {
  const core = chip.neuronCore;
  if (!core) return 1;
  const p = attentionPass(pass, qkHeadDim, vHeadDim, core.dmaTranspose?.value ?? false);
  const tensorFlopsPerSecond = core.engines.tensor.bf16TflopsPerCore.value * 1e12;
  // A transpose of a 128-row tile is a matmul against the identity: one pass of the array per element,
  // the cost of contracting over the array's rows.
  const transposeFlops = 2 * core.engines.tensor.systolicRows.value;
  const useful = p.usefulFlops / tensorFlopsPerSecond;
  const tensor = (p.usefulFlops + p.transposes * transposeFlops) / tensorFlopsPerSecond;
  const vector = streamRate(core.engines.vector);
  const scalar = streamRate(core.engines.scalar);
  // Work either engine can take is shared between them: the busier of the two dedicated loads, or all
  // of it over both engines together, whichever is longer.
  const streams = Math.max(p.vectorOnly / vector, p.scalarOnly / scalar, (p.vectorOnly + p.scalarOnly + p.either) / (vector + scalar));
  return Math.max(tensor, streams) / useful;
}
