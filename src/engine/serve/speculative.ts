// Speculative decoding and multi-token prediction (MTP): a cheap drafter proposes k tokens, the
// target model scores all k + 1 positions in one pass and keeps the longest accepted prefix plus one
// token of its own (the correction where a draft is rejected, a bonus token where all k are kept).
// Leviathan, Kalman and Matias, "Fast Inference from Transformers via Speculative Decoding" (ICML
// 2023): with each draft token accepted independently with probability alpha, a step yields
// (1 - alpha^(k+1)) / (1 - alpha) tokens on average (their eq. 1). The drafters modelled:
//   draft-model  k sequential decode steps of a smaller model sharing the tokenizer (its own weights
//                read every step, its own KV cache), at the pool's tp on one pipeline stage;
//   mtp, eagle   k steps of one extra decoder layer of the target's shapes and the target's LM head
//                (DeepSeek-V3's MTP module, section 2.2; EAGLE, Li et al. 2024); the projection that
//                joins the hidden state and the token embedding (2h x h) is left out, a few percent of
//                a layer; the head is shared with the target, so only the layer adds weights;
//   ngram        prompt lookup on the host: no model, a small fixed host time per iteration.
import type { Catalog } from "../catalog/catalog.js";
import type { ModelSpec, Precision } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";
import { seededRandom, type Random } from "../random.js";
import type { Hardware } from "../system/hardware.js";
import { paramCounts } from "../workload/transformer.js";
import { createIterationModel, iterationWallSeconds, type IterationModel, type IterationWork } from "./iterationTime.js";
import { kvShape, weightBytesPerChip } from "./kvCache.js";
import type { SpeculativeMethod, SpeculativeSpec } from "./scenario.js";
import type { ServingEfficiency } from "./servingEfficiency.js";

/**
 * Host time an n-gram (prompt lookup) proposal takes per iteration. Assumed, not measured: a match of
 * the last few tokens against the prompt is microseconds of CPU per request, small beside the
 * engine's own host time per iteration.
 */
export const NGRAM_PROPOSE_US = 20;

/** What the event loop needs: how many tokens each decoding request verifies, and how many it keeps. */
export interface SpeculativeRuntime {
  draftTokens: number;
  acceptanceRate: number;
}

export interface SpeculativeSummary {
  method: SpeculativeMethod;
  draftTokens: number;
  acceptanceRate: number;
  /** (1 - alpha^(k+1)) / (1 - alpha): tokens one verify step yields per request, on average. */
  expectedTokensPerStep: number;
  /** The draft model's id or name (draft-model only). */
  draftModel: string | null;
  /** What the drafter costs per iteration, in words. */
  draftCost: string;
  /** Drafter weights on a chip, taken from the KV cache's share. */
  draftWeightBytesPerChip: number;
  /** Drafter KV-cache bytes per token of context on a chip (the draft model's, or the MTP layer's). */
  draftKvBytesPerTokenPerChip: number;
}

/** Leviathan et al. 2023, eq. 1: E[tokens per step] = (1 - alpha^(k+1)) / (1 - alpha), k + 1 at alpha = 1. */
export function expectedTokensPerStep(acceptanceRate: number, draftTokens: number): number {
  if (acceptanceRate >= 1) return draftTokens + 1;
  return (1 - Math.pow(acceptanceRate, draftTokens + 1)) / (1 - acceptanceRate);
}

/**
 * Tokens one verify step yields, from one uniform draw u in [0, 1): the drafts accepted before the
 * first rejection, a geometric count truncated at k (P(at least j) = alpha^j, by inverse transform:
 * floor(ln(1 - u) / ln alpha)), plus the target's own token. Its mean is expectedTokensPerStep.
 */
export function tokensPerStep(u: number, acceptanceRate: number, draftTokens: number): number {
  if (acceptanceRate <= 0) return 1;
  const accepted = Math.floor(Math.log(1 - u) / Math.log(acceptanceRate));
  return Math.min(draftTokens, accepted) + 1;
}

/** murmur3's 32-bit finalizer: spreads neighbouring integers over the whole range. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The acceptance draws of a simulation. Each request has its own generator, seeded from the
 * scenario's seed and its index, rather than one stream shared in event order: a run stays a pure
 * function of its input either way, but this way a request's sequence of accepted lengths does not
 * depend on which requests it happened to be batched with, so two deployments of the same traffic
 * and seed see the same acceptance (common random numbers) and differ only by what they change. A
 * draw rather than the expectation, because the spread of accepted lengths is what makes a
 * request's last step end short of k + 1 and TPOT vary between requests.
 */
export class AcceptanceDraws {
  private readonly generators = new Map<number, Random>();
  constructor(private readonly seed: number) {}

  /** Tokens request `index` keeps from this step, never more than `remaining` (its output length left). */
  draw(index: number, s: SpeculativeRuntime, remaining: number): number {
    let g = this.generators.get(index);
    if (!g) {
      g = seededRandom(mix32((this.seed >>> 0) ^ mix32(index + 0x9e3779b9)));
      this.generators.set(index, g);
    }
    return Math.min(remaining, tokensPerStep(g.next(), s.acceptanceRate, s.draftTokens));
  }
}

export interface SpeculativeContext {
  model: ModelSpec;
  catalog: Catalog;
  hw: Hardware;
  serving: ServingEfficiency;
  precision: Precision;
  kvPrecision: Precision;
  tp: number;
  ep: number;
  attentionDp: number;
  etp: number;
  logicalCoresPerChip: number;
  /** The runtime launches kernels (GPUs): each layer's fixed time goes by its kernels (iterationTime.ts). */
  overheadPerKernel: boolean;
  /** The pool's field, e.g. "deployment", for error messages. */
  field: string;
}

export interface ResolvedSpeculative {
  runtime: SpeculativeRuntime;
  summary: SpeculativeSummary;
  /** One decode step of the drafter (null for ngram), the host overhead left to the target. */
  draftStep: IterationModel | null;
  hostSeconds: number;
}

/** The target's one extra layer that an MTP module or an EAGLE head runs: a 1-layer copy of its shapes (an MoE layer where the model is MoE). */
function draftLayerModel(model: ModelSpec): ModelSpec {
  return { ...model, layers: 1, ...(model.moe ? { moe: { ...model.moe, denseLayers: 0 } } : {}) };
}

/** Checks a pool's speculative settings and builds its drafter: cost per step and memory. */
export function resolveSpeculative(spec: SpeculativeSpec, ctx: SpeculativeContext): ResolvedSpeculative {
  const field = `${ctx.field}.speculative`;
  const k = spec.draftTokens;
  const alpha = spec.acceptanceRate;
  if (!Number.isInteger(k) || k < 1)
    throw new UltrasimError("INVALID_INPUT", `draftTokens must be an integer of at least 1, not ${k}`, { field: `${field}.draftTokens` });
  if (!(alpha >= 0 && alpha < 1))
    throw new UltrasimError(
      "INVALID_INPUT",
      `acceptanceRate is the probability each draft token is accepted, in [0, 1); ${alpha} is not (at 1 every step would yield k + 1 tokens)`,
      { field: `${field}.acceptanceRate` },
    );
  if (spec.method === "draft-model" && spec.draftModel === undefined)
    throw new UltrasimError("INVALID_INPUT", "method draft-model needs draftModel: a model id or a model spec", {
      field: `${field}.draftModel`,
    });
  if (spec.method !== "draft-model" && spec.draftModel !== undefined)
    throw new UltrasimError(
      "INVALID_INPUT",
      `draftModel is for method draft-model only; ${spec.method} drafts ${spec.method === "ngram" ? "from the prompt" : "with the target's own extra layer"}`,
      { field: `${field}.draftModel` },
    );
  const base = { method: spec.method, draftTokens: k, acceptanceRate: alpha, expectedTokensPerStep: expectedTokensPerStep(alpha, k) };
  const runtime = { draftTokens: k, acceptanceRate: alpha };
  if (spec.method === "ngram")
    return {
      runtime,
      draftStep: null,
      hostSeconds: NGRAM_PROPOSE_US * 1e-6,
      summary: {
        ...base,
        draftModel: null,
        draftCost: `prompt lookup on the host, an assumed ${NGRAM_PROPOSE_US} µs per iteration`,
        draftWeightBytesPerChip: 0,
        draftKvBytesPerTokenPerChip: 0,
      },
    };

  let draft: ModelSpec;
  let weightBytes: number;
  let draftCost: string;
  let draftName: string | null = null;
  // The drafter runs on the pool's chips at its tp and precision, one pipeline stage; its weights and
  // KV cache there come out of the KV cache's memory (kvCapacity's draft options).
  if (spec.method === "draft-model") {
    draft = typeof spec.draftModel === "string" ? ctx.catalog.model(spec.draftModel, `${field}.draftModel`) : spec.draftModel!;
    if (draft.vocab !== ctx.model.vocab)
      throw new UltrasimError(
        "INVALID_INPUT",
        `draft model ${draft.id ?? draft.name} has a vocabulary of ${draft.vocab}, the target ${ctx.model.vocab}: a draft model must share the target's tokenizer`,
        { field: `${field}.draftModel` },
      );
    draftName = draft.id ?? draft.name;
    weightBytes = weightBytesPerChip(draft, ctx.precision, ctx.tp, 1, ctx.logicalCoresPerChip);
    draftCost = `${k} decode steps of ${draftName} per iteration`;
  } else {
    draft = draftLayerModel(ctx.model);
    // The LM head and embedding are the target's: only the layer's own weights are added.
    const p = paramCounts(draft);
    weightBytes =
      weightBytesPerChip(draft, ctx.precision, ctx.tp, 1, ctx.logicalCoresPerChip, ctx.attentionDp) -
      ((p.embedding + p.output) * 2) / ctx.tp;
    draftCost = `${k} steps of one extra layer of the target's shapes and its LM head per iteration`;
  }
  const shape = kvShape(draft, ctx.kvPrecision, ctx.tp, 1, ctx.logicalCoresPerChip);
  const dense = draft.moe === undefined || draft.moe === null;
  const draftStep = createIterationModel({
    model: draft,
    hw: ctx.hw,
    serving: ctx.serving,
    precision: ctx.precision,
    kvPrecision: ctx.kvPrecision,
    tp: ctx.tp,
    pp: 1,
    // A separate draft model runs dense-style at tp; the MTP layer is spread as the target's layers are.
    ep: spec.method === "draft-model" || dense ? 1 : ctx.ep,
    attentionDp: spec.method === "draft-model" ? 1 : ctx.attentionDp,
    etp: spec.method === "draft-model" || dense ? undefined : ctx.etp,
    logicalCoresPerChip: ctx.logicalCoresPerChip,
    overheadPerKernel: ctx.overheadPerKernel,
    // The engine's host time is paid once per iteration, by the target's pass.
    iterationOverheadUs: 0,
  });
  return {
    runtime,
    draftStep,
    hostSeconds: 0,
    summary: {
      ...base,
      draftModel: draftName,
      draftCost,
      draftWeightBytesPerChip: Math.max(0, weightBytes),
      draftKvBytesPerTokenPerChip:
        shape.bytesPerTokenPerLayer * Math.max(1, shape.fullLayers + (shape.fullLayers === 0 ? shape.windowLayers : 0)),
    },
  };
}

/**
 * One iteration with speculation: the drafter's k sequential steps, then the target's verify pass
 * (the target's model sees work.draftTokens and runs k + 1 rows per decoding request). The drafter's
 * first step also runs over the iteration's prompt tokens, as the draft model (or MTP layer) needs
 * their keys and values (or hidden states) to draft from them later.
 */
export function speculativeIterationModel(target: IterationModel, spec: ResolvedSpeculative, hostOverlap: boolean): IterationModel {
  const k = spec.runtime.draftTokens;
  const step = spec.draftStep;
  return (work: IterationWork) => {
    const t = target({ ...work, draftTokens: k });
    if (t.seconds <= 0) return t;
    let gemm = t.gemm;
    let attention = t.attention;
    let communication = t.communication;
    let overhead = t.overhead;
    const host = t.host + spec.hostSeconds;
    if (step) {
      const steps = work.decodeTokens > 0 ? k : 1;
      for (let j = 0; j < steps; j++) {
        const d = step({
          prefillTokens: j === 0 ? work.prefillTokens : 0,
          prefillAttendedKeys: j === 0 ? work.prefillAttendedKeys : 0,
          decodeTokens: work.decodeTokens,
          decodeContextTokens: work.decodeContextTokens + j * work.decodeTokens,
          logitsTokens: work.decodeTokens + (j === 0 ? work.logitsTokens - work.decodeTokens : 0),
        });
        gemm += d.gemm;
        attention += d.attention;
        communication += d.communication;
        overhead += d.overhead;
      }
    }
    const parts = { gemm, attention, communication, overhead, host };
    return { seconds: iterationWallSeconds(parts, hostOverlap), ...parts };
  };
}
