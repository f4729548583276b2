// How a replica's attention heads fall on its chips, in training and in serving. Tensor parallelism splits the heads
// over tp x logicalCoresPerChip ranks: a GPU is one rank, a Trainium chip runs several logical
// NeuronCores, each its own rank (Trn1 and Inf2 two, Trn2 four at the default LNC=2). A rank holds
// whole heads, so:
// - query heads that do not divide over the ranks are padded to the next multiple (transformers-neuronx
//   and NxD Inference pad; the padded heads cost FLOPs and weight bytes like real ones);
// - with fewer key-value heads than ranks, each rank keeps a copy of one (NxD Inference's
//   REPLICATE_TO_TP_DEGREE; vLLM and TensorRT-LLM replicate the same way), so the K/V projection
//   weights and the KV cache are held once per rank, not once per head.
// MLA's compressed latent is shared by all heads and every rank keeps all of it (kvCache.ts).
import type { ChipSpec, ModelSpec } from "../catalog/schema.js";
import { attentionDims } from "./transformer.js";

export interface HeadSharding {
  /** Tensor-parallel ranks of one pipeline stage: tp chips x logical cores per chip. */
  ranks: number;
  /** Query heads one chip computes, padding included. */
  queryHeadsPerChip: number;
  /** Key-value heads one chip keeps, copies included. */
  kvHeadsPerChip: number;
  /**
   * Attention weights per layer that padding and copies add over the whole tensor-parallel group
   * (parameters; zero where the heads divide evenly and there are at least as many KV heads as ranks).
   */
  extraParamsPerLayer: number;
}

/** Tensor-parallel ranks one chip runs: its logical NeuronCores on Trainium and Inferentia, 1 on a GPU. */
export function ranksPerChip(chip: Pick<ChipSpec, "logicalCoresPerChip">): number {
  return chip.logicalCoresPerChip?.value ?? 1;
}

export function headSharding(model: ModelSpec, tp: number, logicalCoresPerChip = 1): HeadSharding {
  const ranks = tp * logicalCoresPerChip;
  const queryHeadsPerChip = logicalCoresPerChip * Math.ceil(model.heads / ranks);
  const kvHeadsPerChip = logicalCoresPerChip * Math.ceil(model.kvHeads / ranks);
  if (model.mla) return { ranks, queryHeadsPerChip, kvHeadsPerChip, extraParamsPerLayer: 0 };
  const a = attentionDims(model);
  // Each extra head, query or key-value, brings hidden x (qk + v) weights: Q and O slices, or K and V.
  const extraHeads = queryHeadsPerChip * tp - model.heads + (kvHeadsPerChip * tp - model.kvHeads);
  const extraParamsPerLayer = model.hidden * (a.qkHeadDim + a.vHeadDim) * extraHeads;
  return { ranks, queryHeadsPerChip, kvHeadsPerChip, extraParamsPerLayer };
}
