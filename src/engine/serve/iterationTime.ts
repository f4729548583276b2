// Seconds of one serving iteration on one replica: the same rooflines and collectives as a training
// step, forward only. Every layer runs its GEMMs over all the iteration's tokens (compute-bound for
// a long prefill; at small batch, bound by reading the weights), its attention (FLOPs over the keys
// each prompt token attends for prefill; reading every decoding request's KV cache for decode), and
// two tensor-parallel all-reduces. Pipeline stages run one after another, joined by sends: this is
// the latency of one micro-batch through the pipeline; deployment.ts runs pp of them in flight.
// With attention data parallelism the work is one rank's, and its MoE layers also carry the other
// ranks' tokens (the ranks run in lockstep with similar batches).
import type { ModelSpec, Precision } from "../catalog/schema.js";
import { attentionSeconds, gemmSeconds, memorySeconds } from "../analytic/roofline.js";
import { allReduceSeconds, expertDispatchSeconds, sendSeconds } from "../network/collectives.js";
import type { Hardware } from "../system/hardware.js";
import { attentionDims, busiestExpertRankLoad, mlpMatrices } from "../workload/transformer.js";
import { headSharding } from "../workload/headSharding.js";
import { kvShape, type KvShape } from "./kvCache.js";
import type { ServingEfficiency } from "./servingEfficiency.js";
import type { MoeExpertsPolicy } from "./engines.js";
import { layerOverheadUnits } from "./layerKernels.js";

/** What one iteration processes on one replica (one attention data-parallel rank of it). */
export interface IterationWork {
  /** Prompt tokens processed (all prefill chunks together). */
  prefillTokens: number;
  /** Sum over prompt tokens of the keys each attends (causal: earlier context plus its own chunk). */
  prefillAttendedKeys: number;
  /** Requests decoding one token each. */
  decodeTokens: number;
  /** Sum over decoding requests of their context length (the KV cache each step reads). */
  decodeContextTokens: number;
  /** Tokens whose logits are computed: one per decoding request and per prompt that completes. */
  logitsTokens: number;
  /**
   * Speculative decoding (speculative.ts): tokens drafted per decoding request, which the target
   * verifies in the same pass: k + 1 rows each through the GEMMs and the logits, k + 1 queries over
   * each request's KV cache, read once. Absent or 0: plain decoding.
   */
  draftTokens?: number;
  /** Static shapes: context-encoding graph calls this iteration (each pays the engine's host cost per call). */
  prefillCalls?: number;
}

export interface IterationSeconds {
  seconds: number;
  gemm: number;
  attention: number;
  communication: number;
  /** Fixed device time (kernel launches per layer). */
  overhead: number;
  /** Host time the step needs (the engine's per iteration and per graph call). */
  host: number;
}

/**
 * An iteration's wall time from its parts: device work and host work run one after the other, or,
 * where the engine schedules the next step while the accelerator runs this one (SGLang's overlap
 * scheduler, vLLM's async scheduling), side by side, so the step takes the longer of the two.
 */
export function iterationWallSeconds(parts: Omit<IterationSeconds, "seconds">, hostOverlap: boolean): number {
  const device = parts.gemm + parts.attention + parts.communication + parts.overhead;
  return hostOverlap ? Math.max(device, parts.host) : device + parts.host;
}

export interface IterationModelOptions {
  model: ModelSpec;
  hw: Hardware;
  serving: ServingEfficiency;
  precision: Precision;
  kvPrecision: Precision;
  tp: number;
  pp: number;
  ep: number;
  /** Attention data-parallel ranks whose tokens meet in the MoE layers; default 1. */
  attentionDp?: number;
  /** Expert tensor-parallel degree; default tp * attentionDp / ep (so that ep * etp = tp * attentionDp). */
  etp?: number;
  /** Tensor-parallel ranks one chip runs (Neuron's logical NeuronCores; 1 for a GPU). */
  logicalCoresPerChip: number;
  /** The serving engine's host time per iteration (engines.ts). */
  iterationOverheadUs: number;
  /** The engine runs its host work beside the accelerator's (engines.ts hostOverlap); default false. */
  hostOverlap?: boolean;
  /** Static-shape engines: host time per context-encoding graph call (engines.ts); default 0. */
  prefillCallOverheadUs?: number;
  /** How the engine's runtime runs routed experts (engines.ts); absent: only the chosen experts run. */
  moeExperts?: MoeExpertsPolicy | null;
  /**
   * Launched kernels (GPU runtimes): the fitted per-layer overhead is a dense layer's, and a layer
   * launching more kernels (latent attention, routed experts) pays it in proportion (layerKernels.ts).
   * False (Neuron's compiled graphs): every layer pays the same. Default false.
   */
  overheadPerKernel?: boolean;
  /**
   * MoE: tokens routed to the busiest expert-parallel rank over the mean (1: balanced). Its expert
   * rows and its share of the dispatch and combine set the MoE layers' time.
   */
  expertLoadImbalance?: number;
}

export type IterationModel = (work: IterationWork) => IterationSeconds;

export function createIterationModel(o: IterationModelOptions): IterationModel {
  const { model, hw, precision, tp, pp, ep } = o;
  const h = model.hidden;
  const a = attentionDims(model);
  const k = mlpMatrices(model);
  const shape: KvShape = kvShape(model, o.kvPrecision, tp, pp, o.logicalCoresPerChip);
  const layersPerStage = Math.ceil(model.layers / pp);
  const moeLayers = model.moe ? Math.max(0, Math.min(layersPerStage, model.layers - model.moe.denseLayers)) : 0;
  const denseLayers = layersPerStage - moeLayers;
  // Ranks hold whole heads: padded query heads and copied key-value heads cost like real ones.
  const heads = headSharding(model, tp, o.logicalCoresPerChip);
  const tpGroup = { size: tp, stride: 1 };
  // The MoE layers span the replica's tp x attentionDp chips: ep expert-parallel ranks, each expert
  // split etp ways (by default etp = tp x attentionDp / ep: tp / ep without attention data parallelism).
  const attentionDp = o.attentionDp ?? 1;
  const etp = o.etp ?? Math.max(1, (tp * attentionDp) / ep);
  const epGroup = { size: ep, stride: etp };
  const busiest = busiestExpertRankLoad(ep, o.expertLoadImbalance);

  const attentionProjections = (tokens: number): number => {
    if (model.mla) {
      const m = model.mla;
      const qk = m.qkNopeHeadDim + m.qkRopeHeadDim;
      let s = m.qLoraRank
        ? gemmSeconds(hw, precision, tokens, h, m.qLoraRank) + gemmSeconds(hw, precision, tokens, m.qLoraRank, (model.heads * qk) / tp)
        : gemmSeconds(hw, precision, tokens, h, (model.heads * qk) / tp);
      s += gemmSeconds(hw, precision, tokens, h, m.kvLoraRank + m.qkRopeHeadDim);
      s += gemmSeconds(hw, precision, tokens, m.kvLoraRank, (model.heads * (m.qkNopeHeadDim + m.vHeadDim)) / tp);
      return s + gemmSeconds(hw, precision, tokens, (model.heads * m.vHeadDim) / tp, h);
    }
    const qDim = heads.queryHeadsPerChip * a.qkHeadDim;
    const kvDim = heads.kvHeadsPerChip * (a.qkHeadDim + a.vHeadDim);
    return (
      gemmSeconds(hw, precision, tokens, h, qDim + kvDim) + gemmSeconds(hw, precision, tokens, heads.queryHeadsPerChip * a.vHeadDim, h)
    );
  };
  const denseMlp = (tokens: number): number =>
    gemmSeconds(hw, precision, tokens, h, ((k - 1) * model.ffnHidden) / tp) + gemmSeconds(hw, precision, tokens, model.ffnHidden / tp, h);
  /** Router and shared experts: on this rank's tokens. */
  const moeDenseParts = (tokens: number): number => {
    const moe = model.moe!;
    let s = gemmSeconds(hw, "bf16", tokens, h, moe.experts); // router
    if (moe.sharedExperts > 0) {
      const f = moe.sharedExperts * (moe.sharedExpertFfnHidden ?? moe.expertFfnHidden);
      s += gemmSeconds(hw, precision, tokens, h, ((k - 1) * f) / tp) + gemmSeconds(hw, precision, tokens, f / tp, h);
    }
    return s;
  };
  /** `groups` expert GEMM pairs (up/gate, down) of `rows` token rows each, on this rank's expert slices. */
  const expertGemms = (rows: number, groups: number): number => {
    const f = model.moe!.expertFfnHidden / etp;
    return gemmSeconds(hw, precision, rows, h, (k - 1) * f, groups) + gemmSeconds(hw, precision, rows, f, h, groups);
  };
  /**
   * Routed experts over `tokens` of this rank (every attention rank's meet here): this rank holds
   * experts/ep of them, each split etp ways. With balanced top-k routing an expert is touched by at
   * least one of T tokens with probability 1 - (1 - topK/E)^T; every touched expert's weights are
   * read once, and the routed token copies share them.
   */
  const chosenExperts = (tokens: number): number => {
    const moe = model.moe!;
    const routed = tokens * attentionDp;
    const local = moe.experts / ep;
    const touched = local * (1 - Math.pow(1 - moe.topK / moe.experts, routed));
    if (touched <= 0) return 0;
    const copies = ((routed * moe.topK) / ep) * busiest;
    return expertGemms(Math.max(1, copies / touched), touched);
  };
  /**
   * Routed experts as a static-shape runtime runs them (engines.ts, moeExperts): every local expert
   * over every token ("all experts"), the chosen ones only ("selective loading"), or blocks of
   * `blockSize` rows sized for the worst case (blockwise prefill).
   */
  const policyExperts = (tokens: number, prefill: boolean, policy: MoeExpertsPolicy): number => {
    const moe = model.moe!;
    const routed = tokens * attentionDp;
    if (routed <= 0) return 0;
    const local = moe.experts / ep;
    const loaded = (routed * moe.topK) / moe.experts;
    if (loaded < policy.selectiveLoadingThreshold) return chosenExperts(tokens);
    if (!prefill || routed * moe.topK < policy.blockSize) return expertGemms(routed, local);
    const blocks = Math.ceil((((routed * moe.topK) / ep) * busiest) / policy.blockSize) + local - 1;
    return expertGemms(policy.blockSize, blocks);
  };
  const moeMlp = (tokens: number): number => moeDenseParts(tokens) + (o.moeExperts ? 0 : chosenExperts(tokens));
  const policyByKey = new Map<number, number>();
  /** Seconds of one stage's routed experts under the engine's policy: prefill and decode run as separate graphs. */
  const policyExpertsPerStage = (prefillTokens: number, decodeTokens: number): number => {
    if (!o.moeExperts || moeLayers === 0) return 0;
    let total = 0;
    for (const [n, prefill] of [
      [prefillTokens, true],
      [decodeTokens, false],
    ] as const) {
      if (n <= 0) continue;
      const key = 2 * n + (prefill ? 1 : 0);
      let s = policyByKey.get(key);
      if (s === undefined) {
        s = policyExperts(n, prefill, o.moeExperts);
        if (policyByKey.size < 100_000) policyByKey.set(key, s);
      }
      total += s;
    }
    return moeLayers * total;
  };
  const logitsByTokens = new Map<number, number>();
  const logitsSeconds = (tokens: number) => {
    let s = logitsByTokens.get(tokens);
    if (s === undefined) {
      s = gemmSeconds(hw, "bf16", Math.max(1, tokens), h, model.vocab / tp);
      if (logitsByTokens.size < 100_000) logitsByTokens.set(tokens, s);
    }
    return s;
  };
  // Tensor parallelism (in tokenParts): an all-reduce of the activations after attention and after the MLP.
  const overheadLayers = o.overheadPerKernel ? layerOverheadUnits(model, denseLayers, moeLayers) : layersPerStage;
  const layerOverheadSeconds = o.serving.layerOverheadUs * overheadLayers * pp * 1e-6;
  const hostOverlap = o.hostOverlap ?? false;

  // The GEMMs and collectives depend only on the iteration's token count: computed once per count.
  const byTokens = new Map<number, { gemmPerStage: number; communication: number }>();
  const tokenParts = (tokens: number) => {
    let parts = byTokens.get(tokens);
    if (parts) return parts;
    const gemmPerStage =
      layersPerStage * attentionProjections(tokens) +
      (denseLayers > 0 ? denseLayers * denseMlp(tokens) : 0) +
      (moeLayers > 0 ? moeLayers * moeMlp(tokens) : 0);
    const activationBytes = tokens * h * 2;
    let communication = tp > 1 ? 2 * layersPerStage * allReduceSeconds(hw, tpGroup, activationBytes) : 0;
    // Each expert-parallel rank dispatches (and combines) its share of its attention rank's tokens.
    if (moeLayers > 0 && ep > 1)
      communication += 2 * moeLayers * expertDispatchSeconds(hw, epGroup, tokens / etp, model.moe!.topK, h * 2) * busiest;
    // Experts split over the whole replica without expert parallelism: every chip needs every
    // attention rank's tokens, gathered before and reduce-scattered after (one all-reduce's traffic).
    else if (moeLayers > 0 && attentionDp > 1)
      communication += moeLayers * allReduceSeconds(hw, { size: tp * attentionDp, stride: 1 }, activationBytes * attentionDp);
    communication *= pp;
    if (pp > 1) communication += (pp - 1) * sendSeconds(hw, tp, activationBytes / tp);
    parts = { gemmPerStage, communication };
    if (byTokens.size < 100_000) byTokens.set(tokens, parts);
    return parts;
  };

  return (work: IterationWork): IterationSeconds => {
    const verify = 1 + (work.draftTokens ?? 0);
    const tokens = work.prefillTokens + work.decodeTokens * verify;
    if (tokens <= 0) return { seconds: 0, gemm: 0, attention: 0, communication: 0, overhead: 0, host: 0 };
    const { gemmPerStage, communication } = tokenParts(tokens);
    // Prefill attention: FLOPs over the keys each prompt token attends (QK^T and AV).
    const prefillFlops = 2 * heads.queryHeadsPerChip * (a.qkHeadDim + a.vHeadDim) * work.prefillAttendedKeys;
    const meanKeys = work.prefillTokens > 0 ? work.prefillAttendedKeys / work.prefillTokens : 1;
    const prefillAttention = attentionSeconds(hw, prefillFlops, meanKeys, a.qkHeadDim);
    // Decode attention: every decoding request's keys and values read from HBM (windowed layers
    // read at most their window; the mean context stands in for each request's).
    const meanContext = work.decodeTokens > 0 ? work.decodeContextTokens / work.decodeTokens : 0;
    const windowContext = work.decodeTokens * Math.min(meanContext, shape.window);
    const decodeBytesFull = shape.bytesPerTokenPerLayer * work.decodeContextTokens;
    const decodeBytesWindow = shape.bytesPerTokenPerLayer * windowContext;
    let decodeAttention = memorySeconds(hw, decodeBytesFull) * shape.fullLayers + memorySeconds(hw, decodeBytesWindow) * shape.windowLayers;
    // Verifying k + 1 queries per KV read multiplies the attention FLOPs, not the bytes: the kernel
    // takes the longer of its read and its arithmetic.
    if (verify > 1) {
      const keys = shape.fullLayers * work.decodeContextTokens + shape.windowLayers * windowContext;
      const flops = 2 * heads.queryHeadsPerChip * (a.qkHeadDim + a.vHeadDim) * keys * verify;
      decodeAttention = Math.max(decodeAttention, attentionSeconds(hw, flops, Math.max(1, meanContext), a.qkHeadDim));
    }
    const attentionPerStage = prefillAttention * (shape.fullLayers + shape.windowLayers) + decodeAttention;
    // Logits (16-bit) on the last stage, for the tokens that sample.
    const logits = logitsSeconds(work.logitsTokens + work.decodeTokens * (verify - 1));
    const gemm = (gemmPerStage + policyExpertsPerStage(work.prefillTokens, work.decodeTokens * verify)) * pp + logits;
    const attention = attentionPerStage * pp;
    const host = (o.iterationOverheadUs + (work.prefillCalls ?? 0) * (o.prefillCallOverheadUs ?? 0)) * 1e-6;
    const parts = { gemm, attention, communication, overhead: layerOverheadSeconds, host };
    return { seconds: iterationWallSeconds(parts, hostOverlap), ...parts };
  };
}
