// Memory per chip: weights, gradients, optimizer states (mixed-precision Adam, with ZeRO sharding,
// Rajbhandari et al. 2020), activations (Korthikanti et al. 2022), communication buffers, and what the
// runtime keeps for itself.
import type { ModelSpec } from "../catalog/schema.js";
import type { SelectiveRecompute } from "../calibrate/framework.js";
import type { Layout } from "../plan/layout.js";
import { attentionDims, isMoeLayer, layerParams, type LayerParams } from "../workload/transformer.js";

export interface ActivationOptions {
  /** Flash attention keeps no s x s score matrix (Dao et al. 2022). */
  flashAttention: boolean;
  /** Dropout masks (one byte per element) after attention and MLP, as GPT-3-era Megatron models used. */
  dropout: boolean;
  /** Bytes per element of the saved inputs of the linear layers: 2, or 1 where fp8 recipes keep fp8 copies (Transformer Engine). */
  gemmInputBytes: number;
  /** What selective recompute keeps (framework.ts SELECTIVE_RECOMPUTE_KINDS); Megatron's where not given. */
  selectiveRecompute?: SelectiveRecompute;
  /** MoE: the busiest expert-parallel rank's routed tokens over the mean (1: balanced); it holds their activations. */
  expertLoadImbalance?: number;
}

export const MODERN_ACTIVATIONS: ActivationOptions = { flashAttention: true, dropout: false, gemmInputBytes: 2 };
/** GPT-3-era Megatron as Korthikanti et al. 2022 measured it. */
export const KORTHIKANTI_ACTIVATIONS: ActivationOptions = { flashAttention: false, dropout: true, gemmInputBytes: 2 };

/**
 * Activation bytes one layer keeps for its backward pass, for one micro-batch of `microBatch`
 * sequences of `seqLen` tokens on one rank. With MHA, GeLU, dropout and no flash attention this is
 * Korthikanti et al. 2022 Table 2: s*b*h*(34 + 5*a*s/h) with no parallelism, s*b*h*(10 + 24/t + 5as/(ht))
 * with tensor parallelism t, and s*b*h/t*(34 + 5as/h) with sequence parallelism too.
 */
export function layerActivationBytes(
  model: ModelSpec,
  layout: Pick<Layout, "tp" | "cp" | "sequenceParallel" | "recompute" | "microBatch" | "ep" | "etp">,
  seqLen: number,
  layer: number,
  options: ActivationOptions = MODERN_ACTIVATIONS,
): number {
  const t = layout.tp;
  const s = seqLen / layout.cp;
  const tokens = layout.microBatch * s;
  const h = model.hidden;
  const shard = (bytes: number) => (layout.sequenceParallel ? bytes / t : bytes);
  if (layout.recompute === "full") {
    // Only the input of a recomputed layer is kept; the others keep everything.
    const fraction = (layout as { recomputeFraction?: number }).recomputeFraction ?? 1;
    const kept = shard(2 * tokens * h);
    return fraction >= 1
      ? kept
      : fraction * kept + (1 - fraction) * layerActivationBytes(model, { ...layout, recompute: "none" }, seqLen, layer, options);
  }
  if (layout.recompute === "selective" && options.selectiveRecompute === "op-level")
    return opLevelActivationBytes(model, layout, seqLen, layer, options.expertLoadImbalance ?? 1);
  if (layout.recompute === "selective" && options.selectiveRecompute === "attention-projections")
    return attentionProjectionActivationBytes(model, layout, seqLen);
  const g = options.gemmInputBytes;
  const a = attentionDims(model);
  const kvLocal = model.mla ? (model.heads * (a.qkHeadDim + a.vHeadDim)) / t : Math.max(1, model.kvHeads / t) * (a.qkHeadDim + a.vHeadDim);
  const qLocal = (model.heads * a.qkHeadDim) / t;
  const outLocal = (model.heads * a.vHeadDim) / t;
  // Attention: LayerNorm output feeding QKV (2), Q and K for the scores, V, the output projection's input.
  let attention = shard(g * tokens * h) + 2 * tokens * (qLocal + kvLocal) + g * tokens * outLocal;
  if (options.dropout) attention += shard(tokens * h);
  const keepsScores = !options.flashAttention && layout.recompute !== "selective";
  if (keepsScores)
    attention += (5 * model.heads * s * tokens) / t; // softmax out (2), dropout mask (1), dropout out (2)
  else if (options.flashAttention) attention += (4 * model.heads * tokens) / t; // fp32 log-sum-exp per query and head
  // MLP: its input (2), the activation function's input and output.
  let mlp: number;
  const swiglu = model.ffnKind === "swiglu";
  const perHidden = (f: number) => (swiglu ? 2 * 2 * f + g * f : 2 * f + g * f);
  if (isMoeLayer(model, layer)) {
    const moe = model.moe!;
    // Each rank receives tokens*topK/tp routed copies (gathered over etp, each with 1/etp of the hidden width).
    const routed = (tokens / t) * moe.topK * (options.expertLoadImbalance ?? 1);
    const shared = moe.sharedExperts * (moe.sharedExpertFfnHidden ?? moe.expertFfnHidden);
    mlp = shard(g * tokens * h) + g * routed * h + routed * perHidden(moe.expertFfnHidden) + tokens * perHidden(shared / t);
  } else {
    mlp = shard(g * tokens * h) + tokens * perHidden(model.ffnHidden / t);
  }
  if (options.dropout) mlp += shard(tokens * h);
  const norms = shard(2 * 2 * tokens * h);
  return attention + mlp + norms;
}

/**
 * A policy that saves only the attention projections (AXLearn's default remat): the layer's input, the
 * q, k and v projections and the output projection's result (sharded with sequence parallelism, as the
 * input is), 16-bit each. Everything else, the core attention, the norms and the whole MLP, is re-run
 * from them in the backward pass, so the MLP keeps nothing (its input is the input plus the output
 * projection's result).
 */
function attentionProjectionActivationBytes(
  model: ModelSpec,
  layout: Pick<Layout, "tp" | "cp" | "sequenceParallel" | "microBatch">,
  seqLen: number,
): number {
  const t = layout.tp;
  const tokens = (layout.microBatch * seqLen) / layout.cp;
  const a = attentionDims(model);
  const kvLocal = model.mla ? (model.heads * (a.qkHeadDim + a.vHeadDim)) / t : Math.max(1, model.kvHeads / t) * (a.qkHeadDim + a.vHeadDim);
  const qLocal = (model.heads * a.qkHeadDim) / t;
  const residualWidth = layout.sequenceParallel ? model.hidden / t : model.hidden;
  return 2 * tokens * (residualWidth + qLocal + kvLocal + residualWidth);
}

/**
 * PyTorch's op-level selective checkpointing (torchtitan's default): the layer's input, the attention
 * output and every other matmul output are saved; norms, activations and the other matmuls are
 * recomputed. Saved bytes: input and attention output, plus half the matmul outputs.
 */
function opLevelActivationBytes(
  model: ModelSpec,
  layout: Pick<Layout, "tp" | "cp" | "sequenceParallel" | "microBatch">,
  seqLen: number,
  layer: number,
  expertLoadImbalance = 1,
): number {
  const t = layout.tp;
  const tokens = (layout.microBatch * seqLen) / layout.cp;
  const h = model.hidden;
  const a = attentionDims(model);
  const input = layout.sequenceParallel ? (2 * tokens * h) / t : 2 * tokens * h;
  const attentionOut = (2 * tokens * model.heads * a.vHeadDim) / t + (4 * model.heads * tokens) / t;
  const ffn = isMoeLayer(model, layer) ? (model.moe!.topK * model.moe!.expertFfnHidden * expertLoadImbalance) / t : model.ffnHidden / t;
  const upWidth = (model.ffnKind === "swiglu" ? 2 : 1) * ffn;
  const matmulOutputs = 2 * tokens * ((a.qDim + 2 * a.kvDim) / t + h + upWidth + h);
  return input + attentionOut + matmulOutputs / 2;
}

export interface StageParams {
  /** Replicated over data parallelism: attention, dense MLPs, shared experts, norms, embeddings. */
  dense: number;
  /** Routed experts: one shard per expert-parallel rank. */
  expert: number;
}

/** Layers of a stage or chunk by kind, and whether it holds the embedding or the output layer. */
export interface LayerCounts {
  dense: number;
  moe: number;
  embedding: boolean;
  output: boolean;
}

/** Parameters of one dense and one MoE layer (whole, before any sharding). */
export interface LayerParamsByKind {
  dense: LayerParams;
  moe: LayerParams;
}

export function layerParamsByKind(model: ModelSpec): LayerParamsByKind {
  return { dense: layerParams(model, 0), moe: layerParams(model, model.moe?.denseLayers ?? 0) };
}

/** Parameters one rank holds for the layers counted (divided by tp, and experts by ep*etp). */
export function stageParams(model: ModelSpec, layout: Layout, counts: LayerCounts, byKind = layerParamsByKind(model)): StageParams {
  const { dense: d, moe: m } = byKind;
  let dense = (counts.dense * (d.attention + d.denseMlp + d.norms) + counts.moe * (m.attention + m.denseMlp + m.norms)) / layout.tp;
  const expert = (counts.dense * d.experts + counts.moe * m.experts) / (layout.ep * layout.etp);
  const embedding = (model.vocab * model.hidden) / layout.tp;
  if (counts.embedding) dense += embedding;
  // The output layer lives on the last stage; tied embeddings need a copy there when pp > 1.
  if (counts.output && (!model.tiedEmbeddings || layout.pp > 1)) dense += embedding;
  return { dense, expert };
}

/**
 * The unsharded units ZeRO-3 holds at once beside its shards. Every unit (a transformer block, the
 * embedding, the output layer: fully_shard's modules) is gathered before it runs and freed after; the
 * next unit's all-gather is issued while the current one computes (PyTorch's FSDP notes: implicit
 * prefetching, "layer 1 all-gather can overlap with layer 0 forward compute"), so two are gathered at
 * once, in 16 bits. In the backward the running unit's gradient is whole, in 16 bits as autograd makes
 * it, until it is copied into the reduce-scatter's buffer and freed. That buffer (fp32 where the
 * framework reduces in fp32) is not counted: it replaces the 16-bit gradient for the collective's
 * duration. The largest unit (the output layer or the embedding, at a large vocabulary) is taken for
 * every stage, an upper bound where a pipeline leaves them to the first and last stages.
 */
export function zeroThreeWorkingSet(model: ModelSpec, layout: Layout, byKind: LayerParamsByKind): { weights: number; gradients: number } {
  const perRank = (p: LayerParams) => (p.attention + p.denseMlp + p.norms) / layout.tp + p.experts / (layout.ep * layout.etp);
  const block = Math.max(perRank(byKind.dense), model.moe ? perRank(byKind.moe) : 0);
  const largest = Math.max(block, (model.vocab * model.hidden) / layout.tp);
  return { weights: 2 * (largest + block), gradients: 2 * largest };
}

export interface StateBytes {
  weights: number;
  gradients: number;
  optimizerStates: number;
}

/**
 * Mixed-precision Adam: 2-byte weights, 4-byte (fp32) gradient accumulation buffers, and 12 bytes of
 * fp32 master weights, momentum and variance per parameter (Megatron's distributed optimizer: 6 + 12/d
 * bytes per parameter with ZeRO-1). ZeRO-2 also shards gradients, ZeRO-3 also weights. The gradient
 * buffer is the one the framework reduces (framework.ts gradientReduceBytes): 2 bytes in an fp16
 * Megatron-LM run, whose optimizer makes its fp32 copies only during the step.
 */
export function stateBytes(
  params: StageParams,
  layout: Layout,
  fsdpShardsFp32Params = false,
  gradientBytesPerParam = 4,
  fsdpUnshardedUnderPipeline = false,
): StateBytes {
  const d = layout.dp * layout.cp;
  const e = layout.edp;
  const shard = (stage: number, dense: number, expert: number) => (layout.zero >= stage ? dense / d + expert / e : dense + expert);
  const { dense, expert } = params;
  // PyTorch FSDP2 keeps only the fp32 shard (counted with the optimizer states) and gathers a bf16 copy
  // layer by layer: 16 bytes per parameter over d, not 18.
  const fsdp = layout.zero === 3 && fsdpShardsFp32Params;
  // Under pipeline parallelism a framework that does not reshard after forward (torchtitan) keeps its
  // stage's bf16 weights gathered from a micro-batch's forward to its backward, and the pipeline
  // schedule skips the reduce-scatter until the last micro-batch, so FSDP2 accumulates the stage's
  // unsharded gradients in the reduce dtype (fp32): 2 + 4 bytes per parameter of the stage, unsharded.
  const unsharded = fsdp && fsdpUnshardedUnderPipeline && layout.pp > 1 ? dense + expert : 0;
  return {
    weights: fsdp ? 2 * unsharded : 2 * shard(3, dense, expert),
    gradients: gradientBytesPerParam * shard(2, dense, expert) + 4 * unsharded,
    optimizerStates: 12 * shard(1, dense, expert),
  };
}
