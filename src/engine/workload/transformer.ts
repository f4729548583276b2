// The shapes of a decoder-only transformer: parameter counts and the dimensions every formula uses.
// Attention variants: MHA/GQA (kvHeads), MLA (DeepSeek-V2/V3), sliding windows. MLPs: GeLU (two
// matrices) or SwiGLU (three). MoE: top-k routed experts plus shared experts and leading dense layers.
import { UltrasimError } from "../errors.js";
import type { ModelSpec } from "../catalog/schema.js";

export interface AttentionDims {
  /** Width of the query (and of the attention output before the output projection). */
  qDim: number;
  kvDim: number;
  /** Per-head dimension used by QK^T and by AV. */
  qkHeadDim: number;
  vHeadDim: number;
  /** Weights of the attention block (projections only). */
  params: number;
}

export function headDim(model: ModelSpec): number {
  return model.headDim ?? model.hidden / model.heads;
}

export function attentionDims(model: ModelSpec): AttentionDims {
  const h = model.hidden;
  if (model.mla) {
    const m = model.mla;
    const qkHeadDim = m.qkNopeHeadDim + m.qkRopeHeadDim;
    const qParams = m.qLoraRank ? h * m.qLoraRank + m.qLoraRank * model.heads * qkHeadDim : h * model.heads * qkHeadDim;
    const kvParams = h * (m.kvLoraRank + m.qkRopeHeadDim) + m.kvLoraRank * model.heads * (m.qkNopeHeadDim + m.vHeadDim);
    const outParams = model.heads * m.vHeadDim * h;
    return {
      qDim: model.heads * qkHeadDim,
      kvDim: m.kvLoraRank + m.qkRopeHeadDim,
      qkHeadDim,
      vHeadDim: m.vHeadDim,
      params: qParams + kvParams + outParams,
    };
  }
  const d = headDim(model);
  const qDim = model.heads * d;
  const kvDim = model.kvHeads * d;
  return { qDim, kvDim, qkHeadDim: d, vHeadDim: d, params: h * (qDim + 2 * kvDim) + qDim * h };
}

/** Matrices in one MLP: GeLU has up and down, SwiGLU has gate, up and down. */
export function mlpMatrices(model: ModelSpec): number {
  return model.ffnKind === "swiglu" ? 3 : 2;
}

export function isMoeLayer(model: ModelSpec, layer: number): boolean {
  return model.moe !== null && layer >= model.moe.denseLayers;
}

/**
 * Routed tokens the busiest expert-parallel rank receives over the mean: the run's routing imbalance
 * (1 or absent: balanced) where the experts are spread over `ep` ranks. With one expert-parallel rank
 * every chip holds a slice of every expert, so no rank is busier than another. Every rank waits for
 * the busiest at the next collective, so its load sets the MoE layer's time.
 */
export function busiestExpertRankLoad(ep: number, imbalance: number | undefined): number {
  return ep > 1 ? (imbalance ?? 1) : 1;
}

export interface LayerParams {
  attention: number;
  /** Dense MLP, or the shared experts and router of an MoE layer: replicated over expert parallelism. */
  denseMlp: number;
  /** Routed experts: sharded over expert parallelism. */
  experts: number;
  norms: number;
}

export function layerParams(model: ModelSpec, layer: number): LayerParams {
  const h = model.hidden;
  const k = mlpMatrices(model);
  const attention = attentionDims(model).params;
  const norms = 2 * h;
  if (!isMoeLayer(model, layer)) return { attention, denseMlp: k * h * model.ffnHidden, experts: 0, norms };
  const moe = model.moe!;
  const shared = moe.sharedExperts * k * h * (moe.sharedExpertFfnHidden ?? moe.expertFfnHidden);
  return { attention, denseMlp: shared + h * moe.experts, experts: moe.experts * k * h * moe.expertFfnHidden, norms };
}

export interface ParamCounts {
  total: number;
  /** Parameters touched per token (MoE: top-k experts only). */
  active: number;
  embedding: number;
  output: number;
}

export function paramCounts(model: ModelSpec): ParamCounts {
  const embedding = model.vocab * model.hidden;
  const output = model.tiedEmbeddings ? 0 : model.vocab * model.hidden;
  let total = embedding + output + model.hidden;
  let active = total;
  for (let l = 0; l < model.layers; l++) {
    const p = layerParams(model, l);
    total += p.attention + p.denseMlp + p.experts + p.norms;
    const expertsActive = model.moe && p.experts > 0 ? (p.experts * model.moe.topK) / model.moe.experts : 0;
    active += p.attention + p.denseMlp + expertsActive + p.norms;
  }
  return { total, active, embedding, output };
}

/**
 * Average number of keys each query attends to, for causal attention over `seqLen` tokens: (s+1)/2
 * for full attention; a sliding window of w caps it. `windowFraction` of layers use the window.
 */
export function meanAttendedKeys(model: ModelSpec, seqLen: number): number {
  const full = (seqLen + 1) / 2;
  if (model.slidingWindow === null) return full;
  const w = model.slidingWindow;
  const windowed = seqLen <= w ? full : w - (w * (w - 1)) / (2 * seqLen);
  const fraction = model.slidingWindowLayerFraction ?? 0.5;
  return fraction * windowed + (1 - fraction) * full;
}

/**
 * Forward FLOPs of one sequence through the whole model, counting causal attention at the keys
 * actually attended. Training (forward + backward) is 3x this. This is the "model FLOPs" of MFU.
 */
export function forwardFlopsPerSequence(model: ModelSpec, seqLen: number): number {
  const a = attentionDims(model);
  const p = paramCounts(model);
  const matmulParams = p.active - p.embedding - model.hidden - normParams(model);
  const attendedKeys = meanAttendedKeys(model, seqLen);
  const coreAttention = 2 * model.heads * (a.qkHeadDim + a.vHeadDim) * attendedKeys * model.layers;
  // Tied embeddings: the output projection reuses the input embedding as its matrix.
  const tiedOutput = model.tiedEmbeddings ? model.vocab * model.hidden : 0;
  return seqLen * (2 * (matmulParams + tiedOutput) + coreAttention);
}

function normParams(model: ModelSpec): number {
  return model.layers * 2 * model.hidden;
}

/**
 * What a model's fields must satisfy together, beyond each field's own range: key-value heads shared
 * by whole groups of query heads, no more experts per token than experts, no more dense layers than
 * layers. Throws naming the field under `field` (the scenario's `model`, or a catalog entry).
 */
export function checkModelShape(model: ModelSpec, field = "model"): void {
  const fail = (path: string, message: string) => {
    throw new UltrasimError("INVALID_INPUT", message, { field: `${field}.${path}` });
  };
  if (model.kvHeads > model.heads || model.heads % model.kvHeads !== 0)
    fail("kvHeads", `${model.kvHeads} key-value heads do not divide the ${model.heads} query heads into whole groups`);
  if (model.moe && model.moe.topK > model.moe.experts)
    fail("moe.topK", `top-${model.moe.topK} routing needs at least ${model.moe.topK} experts, not ${model.moe.experts}`);
  if (model.moe && model.moe.denseLayers > model.layers)
    fail("moe.denseLayers", `${model.moe.denseLayers} dense layers are more than the model's ${model.layers} layers`);
}
