// Seconds of one transformer layer (and of the embedding and the logits) for one micro-batch on one
// rank, forward and backward, split into compute and the communication it cannot hide.
import type { ModelSpec, Precision } from "../catalog/schema.js";
import { allGatherSeconds, allReduceSeconds, expertDispatchSeconds, reduceScatterSeconds } from "../network/collectives.js";
import { cpGroup, dataParallelGroup, expertDataParallelGroup, expertGroup, tpGroup, type Layout } from "../plan/layout.js";
import type { Hardware } from "../system/hardware.js";
import { headSharding, ranksPerChip } from "../workload/headSharding.js";
import { attentionDims, busiestExpertRankLoad, isMoeLayer, layerParams, meanAttendedKeys, mlpMatrices } from "../workload/transformer.js";
import { attentionSeconds, bytesPerElement, gemmSeconds, memorySeconds } from "./roofline.js";
import { attentionKernelRate } from "./attentionKernels.js";

/** Seconds by what they are spent on. */
export interface TimeParts {
  compute: number;
  tp: number;
  cp: number;
  ep: number;
  pp: number;
  dp: number;
}

export const zeroParts = (): TimeParts => ({ compute: 0, tp: 0, cp: 0, ep: 0, pp: 0, dp: 0 });

export function addParts(a: TimeParts, b: TimeParts, scale = 1): TimeParts {
  return {
    compute: a.compute + b.compute * scale,
    tp: a.tp + b.tp * scale,
    cp: a.cp + b.cp * scale,
    ep: a.ep + b.ep * scale,
    pp: a.pp + b.pp * scale,
    dp: a.dp + b.dp * scale,
  };
}

export function scaleParts(a: TimeParts, scale: number): TimeParts {
  return addParts(zeroParts(), a, scale);
}

export function totalSeconds(t: TimeParts): number {
  return t.compute + t.tp + t.cp + t.ep + t.pp + t.dp;
}

export interface StepContext {
  model: ModelSpec;
  hw: Hardware;
  layout: Layout;
  seqLen: number;
  precision: Precision;
  /**
   * MoE routing: tokens the busiest expert-parallel rank receives over the mean (1: balanced). Every
   * rank waits for the busiest at the next collective, so its expert GEMMs and its share of the
   * dispatch and combine set the layer's time.
   */
  expertLoadImbalance?: number;
}

export interface LayerCost {
  forward: TimeParts;
  backward: TimeParts;
  /** FLOPs this rank executes for the layer, forward + backward, recompute included. */
  hardwareFlops: number;
}

const ACTIVATION_BYTES = 2; // bf16 activations between kernels

/**
 * FLOPs and seconds of the GEMMs of one layer's forward pass on one rank. `inputProjections` are the seconds of the two column-parallel
 * linears that read the layer's hidden states (attention's input projection and the MLP's first),
 * each of whose backward can hide a tensor-parallel collective behind its own GEMMs.
 */
function layerGemms(
  ctx: StepContext,
  layer: number,
  tokens: number,
): { seconds: number; flops: number; inputProjections: [number, number]; mlp: { seconds: number; flops: number } } {
  const { model, hw, layout, precision } = ctx;
  const h = model.hidden;
  const t = layout.tp;
  let seconds = 0;
  let flops = 0;
  const gemm = (m: number, k: number, n: number, p: Precision = precision) => {
    const s = gemmSeconds(hw, p, m, k, n);
    seconds += s;
    flops += 2 * m * k * n;
    return s;
  };
  let attentionIn = 0;
  let mlpIn = 0;
  // Attention projections.
  if (model.mla) {
    const m = model.mla;
    const qk = m.qkNopeHeadDim + m.qkRopeHeadDim;
    if (m.qLoraRank) {
      attentionIn += gemm(tokens, h, m.qLoraRank);
      gemm(tokens, m.qLoraRank, (model.heads * qk) / t);
    } else attentionIn += gemm(tokens, h, (model.heads * qk) / t);
    attentionIn += gemm(tokens, h, m.kvLoraRank + m.qkRopeHeadDim);
    gemm(tokens, m.kvLoraRank, (model.heads * (m.qkNopeHeadDim + m.vHeadDim)) / t);
    gemm(tokens, (model.heads * m.vHeadDim) / t, h);
  } else {
    // Whole heads per tensor-parallel rank (a Neuron chip runs one rank per logical core): query heads
    // padded where they do not divide, key-value heads copied where there are fewer than ranks
    // (NeuronX Distributed's GQAQKVColumnParallelLinear replicates K and V kv_size_multiplier times).
    const a = attentionDims(model);
    const heads = headSharding(model, t, ranksPerChip(hw.chip));
    attentionIn = gemm(tokens, h, heads.queryHeadsPerChip * a.qkHeadDim + heads.kvHeadsPerChip * (a.qkHeadDim + a.vHeadDim));
    gemm(tokens, heads.queryHeadsPerChip * a.vHeadDim, h);
  }
  // MLP: dense, or shared experts plus routed experts.
  const attentionSeconds = seconds;
  const attentionFlops = flops;
  const k = mlpMatrices(model);
  if (!isMoeLayer(model, layer)) {
    mlpIn = gemm(tokens, h, ((k - 1) * model.ffnHidden) / t);
    gemm(tokens, model.ffnHidden / t, h);
  } else {
    const moe = model.moe!;
    gemm(tokens, h, moe.experts, "bf16"); // router
    if (moe.sharedExperts > 0) {
      const f = moe.sharedExperts * (moe.sharedExpertFfnHidden ?? moe.expertFfnHidden);
      mlpIn = gemm(tokens, h, ((k - 1) * f) / t);
      gemm(tokens, f / t, h);
    }
    // Each rank holds experts/ep experts, each split etp ways, and receives tokens*topK/tp routed
    // token copies in all (balanced routing): the FLOPs are tokens*topK/tp full expert passes.
    const localExperts = moe.experts / layout.ep;
    const routed = (tokens * moe.topK) / t;
    // The busiest rank's routed tokens set the time; the FLOPs counted are the mean rank's.
    const perExpert = Math.max(1, (routed * busiestExpertRankLoad(ctx.layout.ep, ctx.expertLoadImbalance) * layout.etp) / localExperts);
    const f = moe.expertFfnHidden / layout.etp;
    seconds +=
      (gemmSeconds(hw, precision, perExpert, h, (k - 1) * f, localExperts) + gemmSeconds(hw, precision, perExpert, f, h, localExperts)) /
      hw.efficiency.groupedGemm;
    flops += 2 * routed * h * k * moe.expertFfnHidden;
  }
  return {
    seconds,
    flops,
    inputProjections: [attentionIn, mlpIn],
    mlp: { seconds: seconds - attentionSeconds, flops: flops - attentionFlops },
  };
}

export interface AttentionCost {
  /** FLOPs of the forward QK^T and AV on this rank. */
  attentionFlops: number;
  attentionForward: number;
  attentionBackward: number;
}

/** Core attention of `tokens` tokens on one rank, by the framework's attention kernels. */
export function coreAttentionCost(ctx: StepContext, tokens: number): AttentionCost {
  return ctx.hw.software.attentionKernel === "unfused" ? unfusedAttention(ctx, tokens) : flashAttention(ctx, tokens);
}

/** Flash attention: one fused kernel at the calibrated attention efficiency, over the keys attended. */
function flashAttention(ctx: StepContext, tokens: number): AttentionCost {
  const { model, hw, layout, seqLen } = ctx;
  const a = attentionDims(model);
  const keys = meanAttendedKeys(model, seqLen);
  const heads = headSharding(model, layout.tp, ranksPerChip(hw.chip)).queryHeadsPerChip;
  const attentionFlops = 2 * tokens * keys * heads * (a.qkHeadDim + a.vHeadDim);
  const attentionKeysPerBlock = meanAttendedKeys(model, seqLen / layout.cp);
  const attentionForward = attentionSeconds(hw, attentionFlops, attentionKeysPerBlock, a.qkHeadDim);
  // Flash attention's backward recomputes the scores: 2.5x the forward FLOPs (Dao 2023, FlashAttention-2).
  const attentionBackward = attentionSeconds(hw, 2.5 * attentionFlops, attentionKeysPerBlock, a.qkHeadDim, "backward");
  // An older kernel generation (FlashAttention-2 on Hopper) runs at a sourced fraction of the die's best.
  const kernel = attentionKernelRate(hw).fraction;
  return { attentionFlops, attentionForward: attentionForward / kernel, attentionBackward: attentionBackward / kernel };
}

/**
 * Megatron-LM's attention of 2021-22 (Korthikanti et al. 2022, sec. 4.1): QK^T and AV are batched
 * GEMMs over every key (the causal mask is applied, not skipped) at the GEMM efficiency; between them
 * the fused scale-mask-softmax reads and writes the s x s scores (2 + 2 bytes per score) and attention
 * dropout reads them and writes them and a 1-byte mask (2 + 2 + 1). The backward runs four such GEMMs
 * (dP = dO V^T, dS K, dS^T Q, P^T dO) and the dropout and softmax backwards (read dP and the mask,
 * write; read P and dP, write: 5 + 6 bytes per score).
 */
function unfusedAttention(ctx: StepContext, tokens: number): AttentionCost {
  const { model, hw, layout, seqLen, precision } = ctx;
  const a = attentionDims(model);
  const sequences = tokens / (seqLen / layout.cp);
  const heads = headSharding(model, layout.tp, ranksPerChip(hw.chip)).queryHeadsPerChip;
  const batch = sequences * heads; // one (queries x keys) score matrix per sequence and head
  const queries = seqLen / layout.cp;
  const keys = seqLen;
  // 16-bit attention GEMMs: fp8 recipes keep core attention in 16 bits.
  const p: Precision = bytesPerElement(precision) >= 2 ? precision : "bf16";
  const scoresGemm = gemmSeconds(hw, p, queries, a.qkHeadDim, keys, batch);
  const valuesGemm = gemmSeconds(hw, p, queries, keys, a.vHeadDim, batch);
  const scores = batch * queries * keys;
  const attentionForward = scoresGemm + valuesGemm + memorySeconds(hw, scores * (4 + 5));
  const attentionBackward = 2 * (scoresGemm + valuesGemm) + memorySeconds(hw, scores * (5 + 6));
  return { attentionFlops: 2 * batch * queries * keys * (a.qkHeadDim + a.vHeadDim), attentionForward, attentionBackward };
}

/**
 * HBM bytes per layer forward that PyTorch run eagerly moves beyond the fused kernels counted in
 * `layerCost` (each op its own kernel, every intermediate written and read back), as torchtitan's
 * Llama code does without torch.compile (torchtitan/models/norms.py `RMSNorm`,
 * torchtitan/models/llama/model.py; its train configs default to `compile = false`):
 * - RMSNorm `(x.float() * rsqrt(x.pow(2).mean(-1) + eps)).type_as(x) * weight`: the float copy (2 read,
 *   4 written), pow (4, 4), mean (4), the product (4, 4), type_as (4, 2) and the weight (2, 2): 36
 *   bytes per element against a fused kernel's 4, for each of the two norms;
 * - rotary embedding through complex numbers, `view_as_complex(x.float()) * freqs_cis`, then
 *   `type_as`: 20 bytes per element of q and k against 4;
 * - `repeat_kv` (expand, then reshape) copies K and V to every query head where there are fewer
 *   key-value heads: each reads its kv width and writes the query width, 2 bytes each;
 * - the attention output's `transpose(1, 2).contiguous()`: one copy of the query width (2 + 2);
 * - SwiGLU `silu(w1 x) * w3 x`: silu (2, 2) then the product (4, 2), 10 bytes per element of the
 *   hidden width against a fused kernel's 6.
 * MLA's rotary part is a slice of its heads: only the norms and the activation are counted there.
 */
export function eagerElementwiseBytes(
  model: ModelSpec,
  normTokens: number,
  tokens: number,
  qLocal: number,
  kvLocal: number,
  swigluLocal: number,
): number {
  const norms = normTokens * 2 * (36 - 4) * model.hidden;
  const activation = tokens * (10 - 6) * swigluLocal;
  if (model.mla) return norms + activation;
  const rotary = tokens * (20 - 4) * (qLocal + kvLocal);
  const repeatKv = model.kvHeads < model.heads ? tokens * 2 * (2 * kvLocal + 2 * qLocal) : 0;
  const outputCopy = tokens * 4 * qLocal;
  return norms + activation + rotary + repeatKv + outputCopy;
}

export function layerCost(ctx: StepContext, layer: number): LayerCost {
  const { model, hw, layout, seqLen } = ctx;
  const h = model.hidden;
  const t = layout.tp;
  const tokens = (layout.microBatch * seqLen) / layout.cp;
  const a = attentionDims(model);
  const moeLayer = isMoeLayer(model, layer);

  const gemms = layerGemms(ctx, layer, tokens);
  const mlp = gemms.mlp;
  // Core attention: QK^T and AV over the keys each query attends; with context parallelism each rank
  // holds seqLen/cp queries (load-balanced causal chunks) and attends over the whole sequence.
  const { attentionFlops, attentionForward, attentionBackward } = coreAttentionCost(ctx, tokens);

  // Memory-bound kernels per token: two norms (read+write h), two residual adds (2 reads + 1 write of
  // h), rotary embedding of q and k, the activation function (SwiGLU reads 2f writes f; GeLU f and f).
  const normTokens = layout.sequenceParallel ? tokens / t : tokens;
  const ffnLocal = moeLayer
    ? (model.moe!.topK * model.moe!.expertFfnHidden + model.moe!.sharedExperts * (model.moe!.sharedExpertFfnHidden ?? 0)) / t
    : model.ffnHidden / t;
  const activationReads = mlpMatrices(model) === 3 ? 3 : 2;
  // MoE layers also permute routed token copies into expert order and back (read and write each way).
  const permutedTokens = moeLayer ? (tokens / t) * model.moe!.topK : 0;
  const elementwiseBytes =
    ACTIVATION_BYTES *
    (normTokens * 10 * h + (tokens * (2 * (a.qDim + a.kvDim))) / t + tokens * activationReads * ffnLocal + 4 * permutedTokens * h);
  const eagerBytes =
    hw.software.elementwiseKernels === "eager"
      ? eagerElementwiseBytes(model, normTokens, tokens, a.qDim / t, a.kvDim / t, activationReads === 3 ? ffnLocal : 0)
      : 0;
  const elementwiseForward = memorySeconds(hw, elementwiseBytes + eagerBytes);

  const overhead = (hw.efficiency.layerOverheadUs * 1e-6) / 3;
  const computeForward = gemms.seconds + attentionForward + elementwiseForward + overhead;
  // Backward: data and weight gradients double the GEMMs; elementwise kernels run twice.
  let computeBackward = 2 * gemms.seconds + attentionBackward + 2 * elementwiseForward + 2 * overhead;
  let hardwareFlops = 3 * gemms.flops + 3.5 * attentionFlops;
  // Full recompute re-runs the forward of the layers it covers (a fraction, under Megatron's block method).
  const recomputed = layout.recompute === "full" ? layout.recomputeFraction : 0;
  if (layout.recompute === "full") {
    computeBackward += recomputed * computeForward;
    hardwareFlops += recomputed * (gemms.flops + attentionFlops);
  } else if (layout.recompute === "selective" && hw.software.selectiveRecompute === "op-level") {
    // PyTorch's op-level policy re-runs every other matmul and the memory-bound kernels.
    computeBackward += gemms.seconds / 2 + elementwiseForward;
    hardwareFlops += gemms.flops / 2;
  } else if (layout.recompute === "selective" && hw.software.selectiveRecompute === "attention-projections") {
    // Only the attention projections are saved (AXLearn's default remat): the backward re-runs the core
    // attention, the MLP's GEMMs, and its norm, residual add and activation function.
    const mlpElementwiseBytes = ACTIVATION_BYTES * (normTokens * 5 * h + tokens * activationReads * ffnLocal);
    computeBackward += attentionForward + mlp.seconds + memorySeconds(hw, mlpElementwiseBytes);
    hardwareFlops += attentionFlops + mlp.flops;
  } else if (layout.recompute === "selective") {
    // Selective recompute re-runs the core attention forward (Korthikanti et al. 2022, sec. 5).
    computeBackward += attentionForward;
    hardwareFlops += attentionFlops;
  }

  // Tensor parallelism: with sequence parallelism an all-gather before and a reduce-scatter after each
  // of attention and MLP; without it an all-reduce after each. The same again in the backward pass.
  const activationBytes = tokens * h * ACTIVATION_BYTES;
  const tpGroupPlacement = tpGroup(layout);
  const tpOnce = layout.sequenceParallel
    ? 2 * (allGatherSeconds(hw, tpGroupPlacement, activationBytes) + reduceScatterSeconds(hw, tpGroupPlacement, activationBytes))
    : 2 * allReduceSeconds(hw, tpGroupPlacement, activationBytes);
  // Overlap (userbuffers, async TP) pipelines each collective with the GEMM beside it, so it hides at
  // most that GEMM's time: `tpOverlap` is the fraction of the GEMMs' time that can cover communication.
  // What outlasts them stays exposed. The backward has twice the GEMMs (data and weight gradients).
  const tpHidden = hw.efficiency.tpOverlap * gemms.seconds;
  const tpForward = Math.max(0, tpOnce - tpHidden);

  // Context parallelism (ring attention): cp-1 exchanges of each rank's K and V blocks, overlapped with
  // the attention of the block in hand; the backward also returns dK and dV.
  let cpForward = 0;
  let cpBackward = 0;
  if (layout.cp > 1) {
    const kvWidth = model.mla ? model.heads * (a.qkHeadDim + a.vHeadDim) : model.kvHeads * (a.qkHeadDim + a.vHeadDim);
    const blockBytes = (tokens * kvWidth * ACTIVATION_BYTES) / Math.min(t, model.mla ? t : model.kvHeads);
    const ring = (layout.cp - 1) * allGatherStep(ctx, blockBytes);
    cpForward = Math.max(0, ring - attentionForward * ((layout.cp - 1) / layout.cp));
    cpBackward = Math.max(0, 2 * ring - attentionBackward * ((layout.cp - 1) / layout.cp));
  }

  // Expert parallelism: dispatch and combine of each token to its experts; the backward returns the
  // gradients the same two ways.
  let epOnce = 0;
  let epDispatch = 0;
  if (moeLayer && layout.ep > 1) {
    // fp8 recipes dispatch in fp8 (DeepEP, Transformer Engine); the combine returns 16-bit outputs.
    const dispatchBytes = h * Math.min(ACTIVATION_BYTES, Math.max(1, bytesPerElement(ctx.precision)));
    const group = expertGroup(layout);
    // The busiest rank receives (dispatch) and sends back (combine) its imbalance times the mean.
    const exposed = busiestExpertRankLoad(ctx.layout.ep, ctx.expertLoadImbalance) * (1 - hw.efficiency.epOverlap);
    epDispatch = expertDispatchSeconds(hw, group, tokens / t, model.moe!.topK, dispatchBytes) * exposed;
    epOnce = epDispatch + expertDispatchSeconds(hw, group, tokens / t, model.moe!.topK, h * ACTIVATION_BYTES) * exposed;
  }

  // Re-running the MLP alone (attention-projections recompute) repeats only what feeds it: with sequence
  // parallelism the all-gather of its input, and the dispatch of its tokens to their experts. Its output's
  // reduce-scatter or combine is not needed again.
  const mlpRecompute = layout.recompute === "selective" && hw.software.selectiveRecompute === "attention-projections";
  const tpMlpRecompute = mlpRecompute && layout.sequenceParallel ? allGatherSeconds(hw, tpGroupPlacement, activationBytes) : 0;
  const epMlpRecompute = mlpRecompute ? epDispatch : 0;

  // The backward pass runs the same collectives as the forward (transposed); full recompute runs the
  // forward's once more first, for tensor and expert parallelism alike (Korthikanti et al. 2022, sec. 5:
  // the recomputed forward repeats its communication).
  const tpBackward =
    tpMlpRecompute +
    (hw.software.tpBackwardOverlap && !hw.software.tpCommOverlap
      ? tpOnce * recomputed + asyncBackwardTp(ctx, activationBytes, gemms.inputProjections)
      : Math.max(0, tpOnce * (1 + recomputed) - tpHidden * (2 + recomputed)));
  const epBackward = epOnce * (1 + recomputed) + epMlpRecompute;

  // ZeRO-3 / FSDP: every micro-batch gathers the layer's weights before its forward and again before
  // its backward, and reduce-scatters its gradients, prefetched on their own stream behind the
  // neighbouring layer: behind all of its time, its exposed communication as well as its compute, so
  // that faster compute never exposes more than it saves.
  let dpForward = 0;
  let dpBackward = 0;
  if (layout.zero === 3) {
    const p = layerParams(model, layer);
    const denseBytes = ((p.attention + p.denseMlp + p.norms) / t) * ACTIVATION_BYTES;
    const expertBytes = (p.experts / (layout.ep * layout.etp)) * ACTIVATION_BYTES;
    const gather =
      allGatherSeconds(hw, dataParallelGroup(layout), denseBytes) + allGatherSeconds(hw, expertDataParallelGroup(layout), expertBytes);
    const reduce =
      reduceScatterSeconds(hw, dataParallelGroup(layout), 2 * denseBytes) +
      reduceScatterSeconds(hw, expertDataParallelGroup(layout), 2 * expertBytes);
    dpForward = Math.max(0, gather - (computeForward + tpForward + cpForward + epOnce));
    dpBackward = Math.max(0, gather + reduce - (computeBackward + tpBackward + cpBackward + epBackward));
  }

  return {
    forward: { compute: computeForward, tp: tpForward, cp: cpForward, ep: epOnce, pp: 0, dp: dpForward },
    backward: {
      compute: computeBackward,
      tp: tpBackward,
      cp: cpBackward,
      ep: epBackward,
      pp: 0,
      dp: dpBackward,
    },
    hardwareFlops,
  };
}

/**
 * Exposed tensor-parallel communication of a layer's backward pass where each column-parallel linear
 * issues its collectives asynchronously (Megatron-LM from 2022: ColumnParallelLinearWithAsyncAllreduce
 * and ColumnParallelLinearWithSequenceParallelism in megatron/mpu/layers.py). Without sequence
 * parallelism the input-gradient all-reduce runs beside the weight-gradient GEMM, and the row-parallel
 * linears have none. With it, the row-parallel linears all-gather their output gradient on the compute
 * stream; each column-parallel linear re-gathers its input beside its input-gradient GEMM and
 * reduce-scatters the input gradient beside its weight-gradient GEMM. A collective longer than the GEMM
 * beside it shows for the difference. `projections`: each column-parallel GEMM's seconds, which its
 * input-gradient and weight-gradient GEMMs each take again.
 */
function asyncBackwardTp(ctx: StepContext, activationBytes: number, projections: [number, number]): number {
  const { hw, layout } = ctx;
  const group = tpGroup(layout);
  if (!layout.sequenceParallel) {
    const allReduce = allReduceSeconds(hw, group, activationBytes);
    return projections.reduce((exposed, g) => exposed + Math.max(0, allReduce - g), 0);
  }
  const gather = allGatherSeconds(hw, group, activationBytes);
  const scatter = reduceScatterSeconds(hw, group, activationBytes);
  return 2 * gather + projections.reduce((exposed, g) => exposed + Math.max(0, gather - g) + Math.max(0, scatter - g), 0);
}

/** One step of a ring over the context-parallel group: a send of `bytes` to the neighbour. */
function allGatherStep(ctx: StepContext, bytes: number): number {
  const { hw, layout } = ctx;
  // A ring step moves one block per rank; an all-gather over 2 ranks is exactly one such step.
  return allGatherSeconds(hw, { size: 2, stride: cpGroup(layout).stride }, 2 * bytes);
}

/** Embedding lookup (first stage) and output logits with the cross-entropy loss (last stage). */
export function embeddingCost(ctx: StepContext): { forward: TimeParts; backward: TimeParts } {
  const { model, hw, layout, seqLen } = ctx;
  const tokens = (layout.microBatch * seqLen) / layout.cp;
  const bytes = tokens * model.hidden * ACTIVATION_BYTES;
  const lookup = memorySeconds(hw, 2 * bytes);
  // A vocabulary-parallel embedding sums the partial lookups over tensor parallelism.
  const reduce = layout.tp > 1 ? allReduceSeconds(hw, tpGroup(layout), bytes) * (1 - hw.efficiency.tpOverlap) : 0;
  return {
    forward: { compute: lookup, tp: reduce, cp: 0, ep: 0, pp: 0, dp: 0 },
    backward: { compute: 2 * lookup, tp: 0, cp: 0, ep: 0, pp: 0, dp: 0 },
  };
}

export function logitsCost(ctx: StepContext): { forward: TimeParts; backward: TimeParts; hardwareFlops: number } {
  const { model, hw, layout, seqLen } = ctx;
  const tokens = (layout.microBatch * seqLen) / layout.cp;
  const vocabLocal = model.vocab / layout.tp;
  // The output layer stays in 16-bit in fp8 recipes (Transformer Engine covers the transformer layers only).
  const gemm = gemmSeconds(hw, "bf16", tokens, model.hidden, vocabLocal);
  // Cross-entropy in fp32 over the local vocabulary slice: a few passes forward, two backward.
  const lossBytes = tokens * vocabLocal * 4;
  const flops = 2 * tokens * model.hidden * vocabLocal;
  return {
    forward: { compute: gemm + memorySeconds(hw, 3 * lossBytes), tp: 0, cp: 0, ep: 0, pp: 0, dp: 0 },
    backward: { compute: 2 * gemm + memorySeconds(hw, 2 * lossBytes), tp: 0, cp: 0, ep: 0, pp: 0, dp: 0 },
    hardwareFlops: 3 * flops,
  };
}
