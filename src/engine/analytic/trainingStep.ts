// One training step on one layout: the pipeline schedule simulated micro-batch by micro-batch, the
// data-parallel gradient reduction overlapped with the last backward pass as Megatron and FSDP do it,
// the optimizer, and memory per chip. This is what `ultrasim train` reports.
import { RECOMPUTE, type ModelSpec, type ParallelismSpec, type RunSpec } from "../catalog/schema.js";
import {
  closedFormEnd,
  closedFormPeakInFlight,
  closedFormPipeline,
  simulatePipeline,
  type PipelineResult,
} from "../des/pipelineSchedule.js";
import { allGatherSeconds, allReduceSeconds, reduceScatterSeconds, sendSeconds, type GroupPlacement } from "../network/collectives.js";
import {
  dataParallelGroup,
  expertDataParallelGroup,
  layersPerVirtualStage,
  pipelineStride,
  resolveLayout,
  tpGroup,
  type Layout,
  type ResolvedLayout,
  leastRecomputeLayers,
  mostLayersPerVirtualStage,
} from "../plan/layout.js";
import { peakFlopsPerSecond, trainingPrecisionRunsAt, type Hardware } from "../system/hardware.js";
import { checkZeroStage, gradientReduceBytes, overlapsGradientReduction } from "../calibrate/framework.js";
import { busiestExpertRankLoad, checkModelShape, forwardFlopsPerSequence } from "../workload/transformer.js";
import {
  addParts,
  embeddingCost,
  layerCost,
  logitsCost,
  scaleParts,
  totalSeconds,
  zeroParts,
  type LayerCost,
  type StepContext,
  type TimeParts,
} from "./layerCost.js";
import {
  layerActivationBytes,
  layerParamsByKind,
  KORTHIKANTI_ACTIVATIONS,
  MODERN_ACTIVATIONS,
  stageParams,
  stateBytes,
  zeroThreeWorkingSet,
  type StateBytes,
  type LayerCounts,
  type LayerParamsByKind,
  type StageParams,
} from "./memory.js";
import { bytesPerElement, memorySeconds } from "./roofline.js";
import { attentionKernelAssumption } from "./attentionKernels.js";

export interface TrainingInput {
  model: ModelSpec;
  hw: Hardware;
  chips: number;
  run: RunSpec;
  parallelism: ParallelismSpec;
  /** Screening only: above this many bytes per chip, skip the step time (it comes back Infinity). */
  memoryLimitBytes?: number;
  /** Record the step's timeline (every forward and backward) for a trace; costs time on big pipelines. */
  timeline?: boolean;
  /**
   * "simulated" (default) runs the schedule micro-batch by micro-batch; "closed-form" uses the
   * formulas that are exact for uniform stages, for the planner's fast screening.
   */
  schedule?: "simulated" | "closed-form";
  /**
   * A cache shared by predictions of one model, system, sequence length and precision (the planner's):
   * per-layer costs keyed by the layout fields they depend on. Never share it across those.
   */
  memo?: Map<string | number, unknown>;
}

export interface StepBreakdown {
  compute: number;
  tensorParallel: number;
  contextParallel: number;
  expertParallel: number;
  pipelineParallel: number;
  pipelineBubble: number;
  dataParallel: number;
  optimizer: number;
}

export interface MemoryBreakdown {
  weights: number;
  gradients: number;
  optimizerStates: number;
  activations: number;
  communicationBuffers: number;
  /** What the framework's allocator holds beyond the activations and buffers it hands out (fragmentation). */
  allocatorOverhead: number;
  runtimeReserved: number;
  total: number;
  capacity: number;
  fits: boolean;
  /** Capacity minus total: negative when it does not fit, by that many bytes. */
  freeBytes: number;
  /** The pipeline stage whose chips need the most memory. */
  stage: number;
}

export interface TimelineSlice {
  stage: number;
  name: string;
  category: "forward" | "backward" | "data-parallel" | "optimizer";
  start: number;
  end: number;
  chunk?: number;
  microBatch?: number;
  /** Exposed communication inside a forward/backward slice, seconds by kind. */
  parts?: TimeParts;
}

export interface TrainingPrediction {
  layout: Layout;
  assumptions: string[];
  stepSeconds: number;
  tokensPerStep: number;
  tokensPerSecond: number;
  tokensPerSecondPerChip: number;
  modelFlopsPerStep: number;
  hardwareFlopsPerStep: number;
  /** Model FLOPs per second over the chips' dense peak at the run's precision. */
  mfu: number;
  /** The same with recomputation counted. */
  hfu: number;
  peakFlopsPerChip: number;
  breakdown: StepBreakdown;
  memory: MemoryBreakdown;
  /** The bottleneck stage: the one with the most work of its own; the breakdown is its. */
  criticalStage: number;
  efficiencyProvenance: string;
  timeline: TimelineSlice[];
}

/**
 * Predict one step. Where the scenario leaves recompute unset, assume the least recomputation that
 * fits in memory (none, then selective, then full), as a practitioner would choose it.
 */
export function predictTraining(asked: TrainingInput): TrainingPrediction {
  checkModelShape(asked.model);
  checkZeroStage(asked.hw.software, asked.parallelism.zero);
  const input = atRunnablePrecision(asked);
  if (input.parallelism.recompute !== null)
    return evaluateLayout(input, resolveLayout(input.model, input.run, input.parallelism, input.chips));
  let last: TrainingPrediction | undefined;
  for (const recompute of ["none", "selective"] as const) {
    last = evaluateLayout(input, resolveLayout(input.model, input.run, { ...input.parallelism, recompute }, input.chips));
    if (last.memory.fits) {
      last.assumptions.push(`recompute not given: ${recompute}, the least recomputation that fits in memory`);
      return last;
    }
  }
  // Full recompute of as few layers per stage as fit (Megatron's recompute_method=block).
  const full = { ...input.parallelism, recompute: "full" as const, recomputeLayers: null };
  const resolved = resolveLayout(input.model, input.run, full, input.chips);
  const layers = mostLayersPerVirtualStage(input.model, resolved.layout);
  const withLayers = (k: number) =>
    evaluateLayout(input, resolveLayout(input.model, input.run, { ...full, recomputeLayers: k }, input.chips));
  const least = leastRecomputeLayers(layers, (k) => withLayers(k).memory.fits);
  const best = withLayers(least ?? layers);
  best.assumptions.push(
    least !== null && least < layers
      ? `recompute not given: full on ${least} of ${layers} layers per virtual stage (Megatron's block method), the least recomputation that fits in memory`
      : "recompute not given: full, the least recomputation that fits in memory",
  );
  return best;
}

/** What a chunk of one kind costs per micro-batch on one rank, and what it holds. */
interface ChunkKindCost {
  counts: LayerCounts;
  flops: number;
  forwardSeconds: number;
  backwardSeconds: number;
  params: StageParams;
  layers: number;
  gradientReduceSeconds: number;
}

/** Costs that depend only on the per-layer layout fields, shared by layouts through the memo. */
interface PerLayerCosts {
  denseCost: LayerCost;
  moeCost: LayerCost;
  embedding: { forward: TimeParts; backward: TimeParts };
  logits: { forward: TimeParts; backward: TimeParts; hardwareFlops: number };
  /** Forward and backward seconds of each, summed over their parts: what the screening adds up. */
  denseForward: number;
  denseBackward: number;
  moeForward: number;
  moeBackward: number;
  embeddingForward: number;
  embeddingBackward: number;
  logitsForward: number;
  logitsBackward: number;
  denseActivations: number;
  moeActivations: number;
  modelFlopsPerSequence: number;
  params: LayerParamsByKind;
  recomputeBuffer: number;
}

/**
 * What a layout's step is built from, shared by the planner's screening estimate and the full
 * prediction: one object per layout, the rest plain numbers, since the planner screens thousands of
 * layouts per search (every object it allocates is memory traffic that slows a sweep on many cores).
 */
interface LayoutCosts {
  input: TrainingInput;
  layout: Layout;
  perLayer: PerLayerCosts;
  shape: ChunkLayout;
  /** The cost of each chunk kind of `shape`. */
  kindParts: ChunkKindCost[];
  /** Seconds a stage is held sending a micro-batch's activations to the next (0 without a pipeline, or when sends overlap compute). */
  send: number;
  /** Seconds of overlapped sends still on the critical path: the pipeline's fill and drain. */
  fillDrainSends: number;
  /** The groups over which dense and expert gradients are reduced: built once per layout, not per chunk. */
  gradientGroups: GradientGroups;
  tokensPerRank: number;
  communicationBuffers: number;
}

/** Step time and memory only, with the closed-form schedule: the planner's screening of many layouts. */
export interface StepEstimate {
  stepSeconds: number;
  /** Memory the most loaded chip needs, bytes. */
  memoryBytes: number;
}

/**
 * The input at the precision the run executes at: the nearest that both its chip and its framework
 * have (hardware.ts trainingPrecisionRunsAt). Callers say so with trainingPrecisionAssumption.
 */
function atRunnablePrecision(input: TrainingInput): TrainingInput {
  const precision = trainingPrecisionRunsAt(input.hw.chip, input.hw.software, input.run.precision);
  return precision === input.run.precision ? input : { ...input, run: { ...input.run, precision } };
}

export function estimateStep(asked: TrainingInput): StepEstimate {
  const input = atRunnablePrecision(asked);
  const resolved = resolveLayout(input.model, input.run, input.parallelism, input.chips);
  return estimateLayout(input, resolved.layout);
}

/**
 * As estimateStep, for a layout already resolved and checked (the planner builds only valid ones).
 * The closed-form schedule ends every stage together, so one stage of each group of like stages
 * stands for its group; memory is checked first, and a layout over `memoryLimitBytes` gets no step time.
 */
export function estimateLayout(input: TrainingInput, layout: Layout): StepEstimate {
  const costs = layoutCosts(input, layout);
  const { pp, vpp, microBatches: m } = layout;
  const { groups, representatives } = costs.shape;
  const params = representatives.map((s) => stageParamsOf(costs, s));
  let memoryBytes = -Infinity;
  representatives.forEach((s, g) => {
    const activations = stageActivationBytes(costs, s, closedFormPeakInFlight(s, pp, vpp, m));
    memoryBytes = Math.max(memoryBytes, stageMemoryBytes(costs, params[g]!, activations));
  });
  if (input.memoryLimitBytes !== undefined && memoryBytes > input.memoryLimitBytes) return { stepSeconds: Infinity, memoryBytes };

  let slowest = 0;
  let total = 0;
  for (let g = 0; g < groups.length; g++) {
    const work = stageWorkSeconds(costs, representatives[g]!);
    slowest = Math.max(slowest, work);
    total += work * groups[g]!.length;
  }
  const pipelineEnd = closedFormEnd(pp, vpp, m, slowest, total) + costs.fillDrainSends;
  let stepSeconds = -Infinity;
  representatives.forEach((s, g) => (stepSeconds = Math.max(stepSeconds, stageTail(costs, s, params[g]!, pipelineEnd, null).end)));
  return { stepSeconds, memoryBytes };
}

/**
 * Layer counts of each virtual stage (chunk c of stage s is virtual stage c*pp + s), as a few distinct
 * kinds of chunk and the kind of each: chunks of one kind cost the same, so each kind is costed once.
 */
interface ChunkLayout {
  kinds: LayerCounts[];
  kindOf: number[][];
  /** Stages grouped by the kinds of their chunks: stages of one group do the same work. */
  groups: number[][];
  /** The first stage of each group. */
  representatives: number[];
}

// Keyed by layer count, leading dense layers, pp and vpp, packed in one number: exact while each is
// under its field's width, so larger ones (up to data/bounds.json's 10,000 layers) are not cached.
const chunkLayoutCache = new Map<number, ChunkLayout>();

/** Exported for its tests. */
export function chunkLayout(model: ModelSpec, pp: number, vpp: number): ChunkLayout {
  const denseLayers = model.moe ? model.moe.denseLayers : model.layers;
  const cacheable = model.layers < 1024 && denseLayers < 1024 && pp < 65536 && vpp < 1024;
  const key = ((model.layers * 1024 + denseLayers) * 65536 + pp) * 1024 + vpp;
  const cached = cacheable ? chunkLayoutCache.get(key) : undefined;
  if (cached) return cached;
  const counts = layersPerVirtualStage(model.layers, pp, vpp);
  const starts: number[] = [];
  counts.reduce((acc, n, j) => ((starts[j] = acc), acc + n), 0);
  const last = pp * vpp - 1;
  const kinds: LayerCounts[] = [];
  const index = new Map<string, number>();
  const kindOf = Array.from({ length: pp }, (_, s) =>
    Array.from({ length: vpp }, (_, c) => {
      const j = c * pp + s;
      const first = starts[j]!;
      const n = counts[j]!;
      const dense = Math.max(0, Math.min(first + n, denseLayers) - first);
      const k: LayerCounts = { dense, moe: n - dense, embedding: j === 0, output: j === last };
      const id = `${k.dense}/${k.moe}/${k.embedding}/${k.output}`;
      let i = index.get(id);
      if (i === undefined) {
        i = kinds.push(k) - 1;
        index.set(id, i);
      }
      return i;
    }),
  );
  const groupIndex = new Map<string, number[]>();
  kindOf.forEach((row, stage) => {
    const id = row.join(",");
    const group = groupIndex.get(id);
    if (group) group.push(stage);
    else groupIndex.set(id, [stage]);
  });
  const groups = [...groupIndex.values()];
  const result = { kinds, kindOf, groups, representatives: groups.map((g) => g[0]!) };
  if (!cacheable) return result;
  if (chunkLayoutCache.size > 4096) chunkLayoutCache.clear();
  chunkLayoutCache.set(key, result);
  return result;
}

/** The model's FLOPs per sequence and parameters per layer: the same for every layout of one model and sequence length. */
function modelConstants(input: TrainingInput): { modelFlopsPerSequence: number; params: LayerParamsByKind } {
  const { memo, model, run } = input;
  let constants = memo?.get("model") as { modelFlopsPerSequence: number; params: LayerParamsByKind } | undefined;
  if (!constants) {
    constants = { modelFlopsPerSequence: forwardFlopsPerSequence(model, run.seqLen), params: layerParamsByKind(model) };
    memo?.set("model", constants);
  }
  return constants;
}

function computePerLayer(input: TrainingInput, layout: Layout): PerLayerCosts {
  const { model, hw, run } = input;
  const ctx: StepContext = {
    model,
    hw,
    layout,
    seqLen: run.seqLen,
    precision: run.precision,
    expertLoadImbalance: run.expertLoadImbalance ?? 1,
  };
  // fp8 recipes keep GEMM inputs for the backward in fp8.
  const activationOptions = {
    expertLoadImbalance: busiestExpertRankLoad(layout.ep, run.expertLoadImbalance),
    ...(hw.software.attentionKernel === "unfused" ? KORTHIKANTI_ACTIVATIONS : MODERN_ACTIVATIONS),
    gemmInputBytes: bytesPerElement(run.precision) >= 2 ? 2 : 1,
    selectiveRecompute: hw.software.selectiveRecompute,
  };
  const dense = layerCost(ctx, 0);
  const denseActivations = layerActivationBytes(model, layout, run.seqLen, 0, activationOptions);
  const moeLayer = model.moe?.denseLayers ?? 0;
  const moeActivations = model.moe ? layerActivationBytes(model, layout, run.seqLen, moeLayer, activationOptions) : denseActivations;
  // The layer being recomputed holds for a moment what it re-runs: under full recompute all of its
  // activations, under attention-projections recompute all but the projections it keeps.
  const recomputedWhole = () => layerActivationBytes(model, { ...layout, recompute: "none" }, run.seqLen, moeLayer, activationOptions);
  const recomputeBuffer =
    layout.recompute === "full"
      ? recomputedWhole()
      : layout.recompute === "selective" && activationOptions.selectiveRecompute === "attention-projections"
        ? recomputedWhole() - moeActivations
        : 0;
  const moeCost = model.moe ? layerCost(ctx, moeLayer) : dense;
  const embedding = embeddingCost(ctx);
  const logits = logitsCost(ctx);
  return {
    denseCost: dense,
    moeCost,
    embedding,
    logits,
    denseForward: totalSeconds(dense.forward),
    denseBackward: totalSeconds(dense.backward),
    moeForward: totalSeconds(moeCost.forward),
    moeBackward: totalSeconds(moeCost.backward),
    embeddingForward: totalSeconds(embedding.forward),
    embeddingBackward: totalSeconds(embedding.backward),
    logitsForward: totalSeconds(logits.forward),
    logitsBackward: totalSeconds(logits.backward),
    denseActivations,
    moeActivations,
    ...modelConstants(input),
    recomputeBuffer,
  };
}

/**
 * What the per-layer memo key (perLayerCosts) holds of a Layout, and what per-layer costs never read.
 * Every Layout field is in one list: a test fails when a field is added to Layout and to neither, so a
 * new field cannot silently share memo entries with layouts it should not.
 */
export const PER_LAYER_KEY_FIELDS = [
  "tp",
  "cp",
  "sequenceParallel",
  "microBatch",
  "ep",
  "etp",
  "recompute",
  "recomputeFraction",
  "placement",
  "zero",
  "dp",
  "pp",
] as const satisfies readonly (keyof Layout)[];
/** Layout fields per-layer costs do not depend on: the schedule's (vpp, micro-batches) and edp, which tp, cp, dp, ep and etp fix. */
export const PER_LAYER_UNKEYED_FIELDS = ["vpp", "microBatches", "edp"] as const satisfies readonly (keyof Layout)[];

/**
 * Every dense layer costs the same, and every MoE layer. A planner predicting many layouts of one model
 * on one system passes a memo: layer costs depend on fewer layout fields than the step does, so layouts
 * differing only in pp, vpp or ZeRO share them.
 */
function perLayerCosts(input: TrainingInput, layout: Layout): PerLayerCosts {
  const memo = input.memo;
  const packable =
    layout.tp < 1024 &&
    layout.cp < 128 &&
    layout.microBatch < 128 &&
    layout.ep < 4096 &&
    layout.etp < 4096 &&
    layout.pp < 1024 &&
    layout.dp < 2 ** 20 &&
    input.model.layers < 512;
  if (!memo || !packable) return computePerLayer(input, layout);
  // Small integers (V8 keeps them unboxed, so a lookup hashes no new number or string): the fields every
  // layer cost depends on, in two keys, then those it depends on only sometimes: dp under ZeRO-3, and pp
  // where the pipeline sits inside data parallelism and a data- or expert-parallel group spans it
  // (ZeRO-3's gathers, expert parallelism).
  const pipelineInside = layout.placement === "tp-cp-pp-dp";
  const layerKeyA = ((layout.tp * 128 + layout.cp) * 2 + (layout.sequenceParallel ? 1 : 0)) * 128 + layout.microBatch;
  // Recompute: none 0, selective 1, full 2 + the fraction of layers recomputed in thousandths.
  const recomputeKey = layout.recompute === "full" ? 2 + Math.round(layout.recomputeFraction * 1000) : RECOMPUTE.indexOf(layout.recompute);
  const layerKeyB = ((layout.ep * 4096 + layout.etp) * 1003 + recomputeKey) * 2 + (pipelineInside ? 1 : 0);
  const ppMatters = pipelineInside && (layout.zero === 3 || layout.ep > 1);
  const layerSubKey = (layout.zero === 3 ? layout.dp : 0) * 1024 + (ppMatters ? layout.pp : 0);
  let byA = memo.get(layerKeyA) as Map<number, Map<number, PerLayerCosts>> | undefined;
  if (!byA) memo.set(layerKeyA, (byA = new Map()));
  let byLayerKey = byA.get(layerKeyB);
  if (!byLayerKey) byA.set(layerKeyB, (byLayerKey = new Map()));
  let perLayer = byLayerKey.get(layerSubKey);
  if (!perLayer) byLayerKey.set(layerSubKey, (perLayer = computePerLayer(input, layout)));
  return perLayer;
}

function layoutCosts(input: TrainingInput, layout: Layout): LayoutCosts {
  const { model, hw, run } = input;
  const perLayer = perLayerCosts(input, layout);
  const shape = chunkLayout(model, layout.pp, layout.vpp);
  const tokensPerRank = (layout.microBatch * run.seqLen) / layout.cp;
  // A stage sends its output activations to the next. Each tensor-parallel rank sends its 1/tp share:
  // sequence-parallel activations are already sharded, and Megatron's scatter/gather splits replicated
  // ones, the receiver all-gathering them over the scale-up links (Narayanan et al. 2021, sec. 4.1).
  const activationBytes = tokensPerRank * model.hidden * 2;
  const split = layout.sequenceParallel || hw.software.pipelineScatterGather ? layout.tp : 1;
  const sendBytes = activationBytes / split;
  const regather = !layout.sequenceParallel && split > 1 ? allGatherSeconds(hw, tpGroup(layout), activationBytes) : 0;
  const send = layout.pp > 1 ? sendSeconds(hw, pipelineStride(layout), sendBytes) + regather : 0;
  // Frameworks that send asynchronously (Megatron-Core's overlap_p2p_comm, torch pipelining) hide each
  // send behind the next micro-batch's compute: a stage is not held by it, and only the pipeline's
  // fill and drain, pp-1 boundaries each way, wait on it. Blocking sends hold the sender every time.
  const overlapped = hw.software.pipelineSendOverlap;
  const blockingSend = overlapped ? 0 : send;
  const fillDrainSends = overlapped ? 2 * (layout.pp - 1) * send : 0;
  const moeBuffers = model.moe ? 2 * (tokensPerRank / layout.tp) * model.moe.topK * model.hidden * 2 : 0;
  // Each chunk kind's cost, afresh: it depends on the layout's dp, ZeRO stage and pipeline as well as the
  // per-layer costs, so few layouts could share it, and a cache of them would cost the planner more
  // (in memory kept alive) than it saves.
  const gradientGroups: GradientGroups = { dense: dataParallelGroup(layout), expert: expertDataParallelGroup(layout) };
  const kindParts = shape.kinds.map((k) => chunkKindCost(input, layout, perLayer, k, blockingSend, gradientGroups));
  return {
    input,
    layout,
    perLayer,
    shape,
    kindParts,
    send: blockingSend,
    fillDrainSends,
    gradientGroups,
    tokensPerRank,
    communicationBuffers: 2 * tokensPerRank * model.hidden * 2 + 2 * sendBytes + moeBuffers,
  };
}

/** The data-parallel groups of a layout: dense parameters over dp*cp, expert parameters over edp. */
interface GradientGroups {
  dense: GroupPlacement;
  expert: GroupPlacement;
}

/** Seconds to synchronize a stage's gradients (or gather its weights) over data parallelism, dense and expert parameters each over their own group. */
function gradientSync(
  hw: Hardware,
  groups: GradientGroups,
  params: StageParams,
  bytesPerParam: number,
  op: typeof reduceScatterSeconds,
): number {
  const dense = op(hw, groups.dense, params.dense * bytesPerParam);
  return params.expert > 0 ? dense + op(hw, groups.expert, params.expert * bytesPerParam) : dense;
}

function chunkKindCost(
  input: TrainingInput,
  layout: Layout,
  perLayer: PerLayerCosts,
  k: LayerCounts,
  send: number,
  gradientGroups: GradientGroups,
): ChunkKindCost {
  const { denseCost, moeCost, logits } = perLayer;
  // The sums of chunkTimeParts, as plain numbers.
  const forwardSeconds =
    k.dense * perLayer.denseForward +
    k.moe * perLayer.moeForward +
    (k.embedding ? perLayer.embeddingForward : 0) +
    (k.output ? perLayer.logitsForward : send);
  const backwardSeconds =
    k.dense * perLayer.denseBackward +
    k.moe * perLayer.moeBackward +
    (k.embedding ? perLayer.embeddingBackward : send) +
    (k.output ? perLayer.logitsBackward : 0);
  const flops = k.dense * denseCost.hardwareFlops + k.moe * moeCost.hardwareFlops + (k.output ? logits.hardwareFlops : 0);
  const params = stageParams(input.model, layout, k, perLayer.params);
  const reduce = layout.zero === 0 ? allReduceSeconds : reduceScatterSeconds;
  return {
    counts: k,
    flops,
    forwardSeconds,
    backwardSeconds,
    params,
    layers: k.dense + k.moe,
    gradientReduceSeconds:
      layout.zero < 3
        ? gradientSync(input.hw, gradientGroups, params, gradientReduceBytes(input.hw.software, input.run.precision), reduce)
        : 0,
  };
}

/** Seconds by part of a chunk kind, for the breakdown and the timeline only: screening needs totals. */
function chunkTimeParts(costs: LayoutCosts, k: LayerCounts): { forward: TimeParts; backward: TimeParts } {
  const { denseCost, moeCost, embedding, logits } = costs.perLayer;
  let forward = addParts(scaleParts(denseCost.forward, k.dense), moeCost.forward, k.moe);
  let backward = addParts(scaleParts(denseCost.backward, k.dense), moeCost.backward, k.moe);
  if (k.embedding) {
    forward = addParts(forward, embedding.forward);
    backward = addParts(backward, embedding.backward);
  } else backward.pp += costs.send;
  if (k.output) {
    forward = addParts(forward, logits.forward);
    backward = addParts(backward, logits.backward);
  } else forward.pp += costs.send;
  return { forward, backward };
}

/** Seconds of one forward and one backward of every chunk of stage s: its work per micro-batch. */
function stageWorkSeconds(costs: LayoutCosts, s: number): number {
  let work = 0;
  for (const k of costs.shape.kindOf[s]!) work += costs.kindParts[k]!.forwardSeconds + costs.kindParts[k]!.backwardSeconds;
  return work;
}

/** Parameters one rank of stage s holds: the sum over its chunks. */
function stageParamsOf(costs: LayoutCosts, s: number): StageParams {
  const params: StageParams = { dense: 0, expert: 0 };
  for (const k of costs.shape.kindOf[s]!) {
    params.dense += costs.kindParts[k]!.params.dense;
    params.expert += costs.kindParts[k]!.params.expert;
  }
  return params;
}

/** Activation bytes stage s holds at its peak, `peakInFlight` chunk-micro-batches of its largest chunk. */
function stageActivationBytes(costs: LayoutCosts, s: number, peakInFlight: number): number {
  const { layout, input, perLayer, shape } = costs;
  let largestChunk = 0;
  for (const k of shape.kindOf[s]!)
    largestChunk = Math.max(
      largestChunk,
      shape.kinds[k]!.dense * perLayer.denseActivations + shape.kinds[k]!.moe * perLayer.moeActivations,
    );
  let activations = peakInFlight * largestChunk + perLayer.recomputeBuffer;
  // The loss on the last stage: its logits in 16 and 32 bits, the saved softmax and the gradients, as
  // many bytes per logit as the framework's loss holds at once (lossBytesPerLogit).
  if (s === layout.pp - 1) activations += (costs.tokensPerRank * input.model.vocab * input.hw.software.lossBytesPerLogit) / layout.tp;
  return activations;
}

/**
 * Allocator overhead: the framework's caching allocator holds a fraction more than the activations and
 * buffers it hands out, which come and go every micro-batch; weights, gradients and optimizer states
 * live in contiguous buffers allocated once.
 */
function allocatorOverheadBytes(costs: LayoutCosts, activations: number): number {
  return costs.input.hw.software.allocatorOverheadFraction * (activations + costs.communicationBuffers);
}

/** Weights, gradients and optimizer states one chip of a stage holds, as its framework keeps them. */
function stageStateBytes(costs: LayoutCosts, params: StageParams): StateBytes {
  const { software } = costs.input.hw;
  const { layout } = costs;
  const reduceBytes = gradientReduceBytes(software, costs.input.run.precision);
  const states = stateBytes(params, layout, software.fsdpShardsFp32Params, reduceBytes, software.fsdpUnshardedUnderPipeline);
  // ZeRO-3 gathers unit by unit, unless the stage's weights stay gathered (FSDP2 under a pipeline).
  const keptGathered = software.fsdpShardsFp32Params && software.fsdpUnshardedUnderPipeline && layout.pp > 1;
  if (layout.zero !== 3 || keptGathered) return states;
  const working = zeroThreeWorkingSet(costs.input.model, layout, costs.perLayer.params);
  return { ...states, weights: states.weights + working.weights, gradients: states.gradients + working.gradients };
}

/** Bytes one chip of a stage needs: weights, gradients and optimizer states, activations, buffers, allocator overhead, the runtime's reserve. */
function stageMemoryBytes(costs: LayoutCosts, params: StageParams, activations: number): number {
  const states = stageStateBytes(costs, params);
  return (
    states.weights +
    states.gradients +
    states.optimizerStates +
    activations +
    costs.communicationBuffers +
    allocatorOverheadBytes(costs, activations) +
    costs.input.hw.runtimeReservedBytes
  );
}

/** What follows a stage's last backward: the exposed data-parallel communication and the optimizer. */
interface StageTail {
  /** When the gradient reductions end (the pipeline's end, if they are hidden). */
  commEnd: number;
  gatherExposed: number;
  dataParallel: number;
  optimizer: number;
  end: number;
}

/**
 * Stage s's data-parallel tail and optimizer after its pipeline ends at `pipelineEnd`. `lastBackwardEnd`
 * holds when each chunk's last backward ends (the simulation's); null means the closed form's
 * cool-down, which runs chunk v-1 down to 0 back to back and ends with chunk 0 at `pipelineEnd`.
 */
function stageTail(
  costs: LayoutCosts,
  s: number,
  params: StageParams,
  pipelineEnd: number,
  lastBackwardEnd: readonly number[] | null,
): StageTail {
  const { layout, kindParts } = costs;
  const hw = costs.input.hw;
  const kindsOnStage = costs.shape.kindOf[s]!;
  const v = kindsOnStage.length;
  let layersOnStage = 0;
  let firstForward = 0;
  let backwardTotal = 0;
  for (const k of kindsOnStage) {
    layersOnStage += kindParts[k]!.layers;
    firstForward += kindParts[k]!.forwardSeconds;
    backwardTotal += kindParts[k]!.backwardSeconds;
  }
  layersOnStage = Math.max(1, layersOnStage);
  let commEnd = pipelineEnd;
  let gatherAfter = 0;
  if (layout.zero < 3) {
    // Gradients are reduced bucket by bucket as the last micro-batch's backward produces them: each
    // chunk's reduction starts during its last backward and queues on one communication stream.
    let channelFree = 0;
    // Chunks in the order their last backward ends: the closed form's cool-down runs chunk v-1 to 0.
    const order = lastBackwardEnd ? kindsOnStage.map((_, c) => c).sort((a, b) => lastBackwardEnd[a]! - lastBackwardEnd[b]!) : null;
    // Closed form: chunk c's last backward ends after those of chunks v-1 down to c, at pipelineEnd less
    // the backwards of chunks c-1 down to 0 still to run.
    let later = backwardTotal;
    for (let i = 0; i < v; i++) {
      const c = order ? order[i]! : v - 1 - i;
      const chunk = kindParts[kindsOnStage[c]!]!;
      if (!order) later -= chunk.backwardSeconds;
      const layers = Math.max(1, chunk.layers);
      const lastBucketReady = lastBackwardEnd ? lastBackwardEnd[c]! : pipelineEnd - later;
      // Without overlap (the framework's), the reduction waits for the whole backward pass.
      const firstBucketReady = overlapsGradientReduction(hw.software, layout.pp)
        ? lastBucketReady - chunk.backwardSeconds * (1 - 1 / layers)
        : pipelineEnd;
      const start = Math.max(channelFree, firstBucketReady);
      channelFree = Math.max(start + chunk.gradientReduceSeconds, lastBucketReady + chunk.gradientReduceSeconds / layers);
    }
    commEnd = Math.max(pipelineEnd, channelFree);
    if (layout.zero >= 1) gatherAfter = gradientSync(hw, costs.gradientGroups, params, 2, allGatherSeconds);
  }
  const d = layout.dp * layout.cp;
  const shardParams = layout.zero >= 1 ? params.dense / d + params.expert / layout.edp : params.dense + params.expert;
  // The framework's optimizer passes (data/frameworks.json, optimizerBytesPerParam) over the shard it updates.
  const optimizer = memorySeconds(hw, hw.software.optimizerBytesPerParam * shardParams);
  // The updated weights are all-gathered behind the next step's first forward passes (overlap-param-gather);
  // only what outlasts them, and at least the first layer's share, is exposed.
  const gatherExposed = gatherAfter > 0 ? Math.max(gatherAfter / layersOnStage, gatherAfter - firstForward) : 0;
  const dataParallel = commEnd - pipelineEnd + gatherExposed;
  return { commEnd, gatherExposed, dataParallel, optimizer, end: pipelineEnd + dataParallel + optimizer };
}

/** The timeline slices of a stage's tail: exposed gradient reduction, optimizer, exposed parameter gather. */
function tailSlices(s: number, pipelineEnd: number, tail: StageTail): TimelineSlice[] {
  const { commEnd, optimizer, gatherExposed, end } = tail;
  return [
    ...(commEnd > pipelineEnd
      ? [{ stage: s, name: "gradient reduce (exposed)", category: "data-parallel" as const, start: pipelineEnd, end: commEnd }]
      : []),
    { stage: s, name: "optimizer step", category: "optimizer" as const, start: commEnd, end: commEnd + optimizer },
    ...(gatherExposed > 0
      ? [{ stage: s, name: "parameter all-gather (exposed)", category: "data-parallel" as const, start: commEnd + optimizer, end }]
      : []),
  ];
}

/** The full prediction of one layout: the schedule simulated (or in closed form), every stage's tail, memory and the report. */
function evaluateLayout(input: TrainingInput, resolved: ResolvedLayout): TrainingPrediction {
  const { hw, chips, run } = input;
  const { layout } = resolved;
  const costs = layoutCosts(input, layout);
  const { pp, vpp } = layout;
  const m = layout.microBatches;
  const { kindOf, groups, representatives } = costs.shape;
  const chunk = (s: number, c: number) => costs.kindParts[kindOf[s]![c]!]!;

  const closedForm = input.schedule === "closed-form";
  // The closed form ends every stage together, so one stage of each group stands for the group (the
  // first, which holds the most micro-batches in flight); the simulation needs every stage.
  const stages = closedForm ? representatives : Array.from({ length: pp }, (_, s) => s);
  const scheduleInput = {
    stages: pp,
    chunks: vpp,
    microBatches: m,
    forwardSeconds: (s: number, c: number) => chunk(s, c).forwardSeconds,
    backwardSeconds: (s: number, c: number) => chunk(s, c).backwardSeconds,
    recordOps: input.timeline ?? false,
  };
  const pipeline: PipelineResult = closedForm ? closedFormPipeline(scheduleInput, groups) : simulatePipeline(scheduleInput);

  // Data parallelism and the optimizer, stage by stage; memory: the stage that needs the most.
  let stepSeconds = -Infinity;
  const stageTails: StageTail[] = [];
  const paramsOf: StageParams[] = [];
  let worst = { stage: stages[0]!, total: -Infinity, activations: 0 };
  for (const s of stages) {
    const params = (paramsOf[s] = stageParamsOf(costs, s));
    const tail = (stageTails[s] = stageTail(
      costs,
      s,
      params,
      pipeline.stageEnd[s]! + costs.fillDrainSends,
      closedForm ? null : pipeline.lastBackwardEnd[s]!.map((t) => t + costs.fillDrainSends),
    ));
    stepSeconds = Math.max(stepSeconds, tail.end);
    const activations = stageActivationBytes(costs, s, pipeline.peakInFlight[s]!);
    const total = stageMemoryBytes(costs, params, activations);
    if (total > worst.total) worst = { stage: s, total, activations };
  }

  // The breakdown is that of the bottleneck: the stage busiest with work of its own. Its idle time,
  // waiting on its neighbours or in warm-up and cool-down, is the pipeline bubble.
  let critical = stages[0]!;
  let criticalLoad = -Infinity;
  for (const s of stages) {
    const load = m * stageWorkSeconds(costs, s) + stageTails[s]!.dataParallel + stageTails[s]!.optimizer;
    if (load > criticalLoad) {
      criticalLoad = load;
      critical = s;
    }
  }
  let busy = zeroParts();
  for (const k of kindOf[critical]!) {
    const parts = chunkTimeParts(costs, costs.kindParts[k]!.counts);
    busy = addParts(addParts(busy, parts.forward, m), parts.backward, m);
  }
  const tail = stageTails[critical]!;
  const breakdown: StepBreakdown = {
    compute: busy.compute,
    tensorParallel: busy.tp,
    contextParallel: busy.cp,
    expertParallel: busy.ep,
    pipelineParallel: busy.pp + costs.fillDrainSends,
    // Clamped: rounding can leave -1e-16 s where there is no bubble (pp 1).
    pipelineBubble: Math.max(0, stepSeconds - criticalLoad - costs.fillDrainSends),
    dataParallel: tail.dataParallel + busy.dp,
    optimizer: tail.optimizer,
  };

  const states = stageStateBytes(costs, paramsOf[worst.stage]!);
  const memory: MemoryBreakdown = {
    weights: states.weights,
    gradients: states.gradients,
    optimizerStates: states.optimizerStates,
    activations: worst.activations,
    communicationBuffers: costs.communicationBuffers,
    allocatorOverhead: allocatorOverheadBytes(costs, worst.activations),
    runtimeReserved: hw.runtimeReservedBytes,
    total: worst.total,
    capacity: hw.hbmBytes,
    fits: worst.total <= hw.hbmBytes,
    freeBytes: hw.hbmBytes - worst.total,
    stage: worst.stage,
  };

  const tokensPerStep = run.globalBatch * run.seqLen;
  const modelFlopsPerStep = 3 * run.globalBatch * costs.perLayer.modelFlopsPerSequence;
  const peak = peakFlopsPerSecond(hw.chip, run.precision);
  // Every rank of a stage executes its chunks' FLOPs (already divided by tp) for each micro-batch.
  let hardwareFlopsPerStep = 0;
  for (const group of groups)
    for (const k of kindOf[group[0]!]!) hardwareFlopsPerStep += group.length * costs.kindParts[k]!.flops * m * (chips / pp);

  const timeline: TimelineSlice[] = pipeline.ops.map((op) => ({
    stage: op.stage,
    name: `${op.kind === "forward" ? "F" : "B"} mb${op.microBatch}${vpp > 1 ? ` c${op.chunk}` : ""}`,
    category: op.kind,
    start: op.start,
    end: op.end,
    chunk: op.chunk,
    microBatch: op.microBatch,
    parts: chunkTimeParts(costs, chunk(op.stage, op.chunk).counts)[op.kind],
  }));
  if (input.timeline) for (const s of stages) timeline.push(...tailSlices(s, pipeline.stageEnd[s]! + costs.fillDrainSends, stageTails[s]!));

  return {
    layout,
    assumptions: [
      ...resolved.assumptions,
      ...(hw.software.elementwiseKernels === "eager"
        ? [
            `${hw.software.framework} runs PyTorch eagerly: each norm, rotary embedding and activation op is its own kernel through HBM (torch.compile fuses them; \`ultrasim catalog frameworks\` lists a compiled variant)`,
          ]
        : []),
      ...attentionKernelAssumption(hw),
    ],
    stepSeconds,
    tokensPerStep,
    tokensPerSecond: tokensPerStep / stepSeconds,
    tokensPerSecondPerChip: tokensPerStep / stepSeconds / chips,
    modelFlopsPerStep,
    hardwareFlopsPerStep,
    mfu: modelFlopsPerStep / (stepSeconds * chips * peak),
    hfu: hardwareFlopsPerStep / (stepSeconds * chips * peak),
    peakFlopsPerChip: peak,
    breakdown,
    memory,
    criticalStage: critical,
    efficiencyProvenance: hw.efficiencyProvenance,
    timeline,
  };
}
