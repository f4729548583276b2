// The KV cache and the memory it gets: bytes per token from the model's attention (GQA keeps
// kvHeads keys and values per layer; MLA keeps its compressed latent plus the rotary key; sliding
// windows cap what windowed layers keep), and the capacity left on each chip after the weights and
// the activation workspace (vLLM's profile run: gpu_memory_utilization x HBM - weights - peak activations).
import type { ModelSpec, Precision } from "../catalog/schema.js";
import { bytesPerElement } from "../analytic/roofline.js";
import type { Hardware } from "../system/hardware.js";
import { headDim, layerParams, paramCounts } from "../workload/transformer.js";
import { headSharding } from "../workload/headSharding.js";

/** Bytes of one token's keys and values in one layer on one chip of a tp-chip replica. */
export function kvBytesPerTokenPerLayer(model: ModelSpec, kvPrecision: Precision, tp = 1, logicalCoresPerChip = 1): number {
  const bytes = bytesPerElement(kvPrecision);
  // MLA's latent is shared by all heads, so every rank keeps all of it.
  if (model.mla) return logicalCoresPerChip * (model.mla.kvLoraRank + model.mla.qkRopeHeadDim) * bytes;
  // Key-value heads split over the ranks; with fewer heads than ranks each rank keeps a copy of one.
  return 2 * headSharding(model, tp, logicalCoresPerChip).kvHeadsPerChip * headDim(model) * bytes;
}

/** Bytes of one token's keys and values over the whole model (one copy, no tensor parallelism). */
export function kvBytesPerToken(model: ModelSpec, kvPrecision: Precision): number {
  return kvBytesPerTokenPerLayer(model, kvPrecision) * model.layers;
}

export interface KvShape {
  /** Layers per pipeline stage that attend the full context ... */
  fullLayers: number;
  /** ... and that keep only the last `window` tokens. */
  windowLayers: number;
  window: number;
  bytesPerTokenPerLayer: number;
}

export function kvShape(model: ModelSpec, kvPrecision: Precision, tp: number, pp: number, logicalCoresPerChip = 1): KvShape {
  const layers = Math.ceil(model.layers / pp);
  const fraction = model.slidingWindow === null ? 0 : (model.slidingWindowLayerFraction ?? 0.5);
  const windowLayers = Math.round(layers * fraction);
  return {
    fullLayers: layers - windowLayers,
    windowLayers,
    window: model.slidingWindow ?? Infinity,
    bytesPerTokenPerLayer: kvBytesPerTokenPerLayer(model, kvPrecision, tp, logicalCoresPerChip),
  };
}

/** Bytes one request with `tokens` of context keeps on one rank (the busiest pipeline stage). */
export function kvBytesForContext(shape: KvShape, tokens: number): number {
  return shape.bytesPerTokenPerLayer * (shape.fullLayers * tokens + shape.windowLayers * Math.min(tokens, shape.window));
}

/** Bytes per weight at a precision, block scales included (bytesPerElement). */
export function weightBytesPerParam(precision: Precision): number {
  return bytesPerElement(precision);
}

/**
 * Weight bytes on one chip: the transformer in `precision`, embedding and output layer in 16-bit,
 * sharded tp x pp ways, with the attention heads that padding and copies add (headSharding.ts).
 * With attention data parallelism every rank keeps its own copy of attention, dense layers, shared
 * experts and embeddings (tp x pp ways), while the routed experts spread over all the replica's
 * chips: ep x etp = tp x attentionDp ways per stage.
 */
export function weightBytesPerChip(
  model: ModelSpec,
  precision: Precision,
  tp: number,
  pp: number,
  logicalCoresPerChip = 1,
  attentionDp = 1,
): number {
  const p = paramCounts(model);
  const vocabParams = p.embedding + p.output;
  let routedExpertParams = 0;
  if (model.moe) for (let l = 0; l < model.layers; l++) routedExpertParams += layerParams(model, l).experts;
  const replicatedParams =
    p.total - vocabParams - routedExpertParams + headSharding(model, tp, logicalCoresPerChip).extraParamsPerLayer * model.layers;
  const bytes = weightBytesPerParam(precision);
  return (replicatedParams * bytes + vocabParams * 2) / (tp * pp) + (routedExpertParams * bytes) / (tp * attentionDp * pp);
}

/** Peak activation workspace on one chip for an iteration of `tokens` tokens (bf16 buffers) and the logits of `batch` requests. */
export function activationBytesPerChip(model: ModelSpec, tokens: number, batch: number, tp: number): number {
  const widest = Math.max(model.ffnHidden, model.moe ? model.moe.expertFfnHidden * model.moe.topK : 0);
  // Residual, normed input, QKV and attention output, and the MLP's gate and up projections, at 2 bytes.
  // With attention data parallelism a chip's routed-expert work is tokens x attentionDp x topK / ep
  // copies of expertFfnHidden / etp, which is tokens x topK x expertFfnHidden / tp as ep x etp = tp x attentionDp.
  const perToken = 2 * (4 * model.hidden + (2 * widest) / tp);
  return tokens * perToken + batch * (model.vocab / tp) * 4;
}

export interface KvCapacity {
  weightBytesPerChip: number;
  activationBytesPerChip: number;
  /** Memory left for the KV cache on one chip (negative where the weights do not fit). */
  kvBytesPerChip: number;
  /** Tokens of full context one replica (one attention data-parallel rank, all its pipeline stages) can cache. */
  tokens: number;
  /** The same before rounding down to whole blocks (a block too large for the space is told apart from no space). */
  unblockedTokens: number;
  blocks: number;
  blockTokens: number;
}

export function kvCapacity(
  model: ModelSpec,
  hw: Hardware,
  options: {
    precision: Precision;
    kvPrecision: Precision;
    tp: number;
    pp: number;
    /** Attention data-parallel ranks sharing the routed experts (weightBytesPerChip); default 1. */
    attentionDp?: number;
    /** Tensor-parallel ranks one chip runs (Neuron's logical NeuronCores; 1 for a GPU). */
    logicalCoresPerChip: number;
    maxTokensPerIteration: number;
    maxBatch: number;
    memoryUtilization: number;
    blockTokens: number;
    /** A speculative drafter on the chip (speculative.ts): its weights, and its KV bytes per token of context. */
    draft?: { weightBytesPerChip: number; kvBytesPerTokenPerChip: number };
  },
): KvCapacity {
  const weights = weightBytesPerChip(
    model,
    options.precision,
    options.tp,
    options.pp,
    options.logicalCoresPerChip,
    options.attentionDp ?? 1,
  );
  const activations = activationBytesPerChip(model, options.maxTokensPerIteration, options.maxBatch, options.tp);
  const usable = hw.hbmBytes * options.memoryUtilization - hw.runtimeReservedBytes;
  const kvBytes = usable - weights - activations - (options.draft?.weightBytesPerChip ?? 0);
  const shape = kvShape(model, options.kvPrecision, options.tp, options.pp, options.logicalCoresPerChip);
  // Capacity counts full-context layers; windowed layers free their blocks past the window (vLLM's
  // sliding-window manager), so the full layers set the limit.
  // A drafter keeps its own keys and values for every token the target caches.
  const perToken =
    shape.bytesPerTokenPerLayer * Math.max(1, shape.fullLayers + (shape.fullLayers === 0 ? shape.windowLayers : 0)) +
    (options.draft?.kvBytesPerTokenPerChip ?? 0);
  const tokens = kvBytes > 0 ? Math.floor(kvBytes / perToken) : 0;
  const blocks = Math.floor(tokens / options.blockTokens);
  return {
    weightBytesPerChip: weights,
    activationBytesPerChip: activations,
    kvBytesPerChip: Math.max(0, kvBytes),
    tokens: blocks * options.blockTokens,
    unblockedTokens: tokens,
    blocks,
    blockTokens: options.blockTokens,
  };
}
