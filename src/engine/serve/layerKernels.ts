// Kernels one decoder layer launches in a serving step on a GPU, by the layer's kind. A step's fixed
// device time (ServingEfficiency.layerOverheadUs: launch gaps and the tails of kernels too small to
// fill the chip) is fitted per chip on dense layers; a layer launching more kernels pays more of it.
// A DeepSeek layer (multi-head latent attention and a routed MoE with a shared expert) launches
// about 2.3 times a dense Llama layer's kernels, so at small batch its step is mostly this floor.
//
// Counted by the operations of a layer's decode pass as the engines run it (norms, GEMMs, rotary,
// attention, routing, the expert GEMMs and their combine; the code to check them against is SGLang's
// python/sglang/srt/models/llama.py and deepseek_v2.py, with MLA absorbed for decode, and
// TensorRT-LLM's tensorrt_llm/_torch/models/modeling_llama.py and modeling_deepseekv3.py), not from a
// profile: compute kernels only, the tensor-parallel all-reduces being costed as collectives
// (iterationTime.ts). Fusions differ by engine and release by a kernel or two a layer; these counts
// are estimates, not measurements.
import type { ModelSpec } from "../catalog/schema.js";

/** Attention with separate query and key-value heads: input norm, QKV GEMM, rotary, attention, output GEMM. */
export const GQA_ATTENTION_KERNELS = 5;
/**
 * Multi-head latent attention (absorbed, as every engine decodes it): input norm, the fused q_a and
 * kv_a GEMM, the q_a and kv_a norms, q_b GEMM, the key absorption (a batched GEMM), rotary, attention
 * over the latent, the value absorption, output GEMM.
 */
export const MLA_ATTENTION_KERNELS = 10;
/** Gated MLP: post-attention norm (with the residual add), gate-and-up GEMM, activation, down GEMM. */
export const DENSE_MLP_KERNELS = 4;
/**
 * Routed MoE: norm, router GEMM, top-k selection, the token sort (align) by expert, the grouped
 * gate-and-up GEMM, activation, the grouped down GEMM, the weighted combine.
 */
export const ROUTED_MOE_KERNELS = 8;
/** A shared expert beside the routed ones: its gate-and-up GEMM, activation and down GEMM. */
export const SHARED_EXPERT_KERNELS = 3;

/** The layer the per-chip overhead was fitted on: grouped-query attention and a dense gated MLP. */
export const DENSE_LAYER_KERNELS = GQA_ATTENTION_KERNELS + DENSE_MLP_KERNELS;

/** Kernels of one layer of `model`, dense (an MoE model's first denseLayers) or MoE. */
export function layerKernels(model: ModelSpec, moe: boolean): number {
  const attention = model.mla ? MLA_ATTENTION_KERNELS : GQA_ATTENTION_KERNELS;
  if (!moe || !model.moe) return attention + DENSE_MLP_KERNELS;
  return attention + ROUTED_MOE_KERNELS + (model.moe.sharedExperts > 0 ? SHARED_EXPERT_KERNELS : 0);
}

/**
 * Dense-layer equivalents of `denseLayers` dense and `moeLayers` MoE layers: the multiple of the
 * fitted per-layer overhead they pay.
 */
export function layerOverheadUnits(model: ModelSpec, denseLayers: number, moeLayers: number): number {
  return (denseLayers * layerKernels(model, false) + moeLayers * layerKernels(model, true)) / DENSE_LAYER_KERNELS;
}
