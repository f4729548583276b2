// One training step on one layout: the pipeline schedule simulated micro-batch by micro-batch, the
// data-parallel gradient reduction overlapped with the last backward pass as Megatron and FSDP do it,
// the optimizer, and memory per chip. This is what `ultrasim train` reports.
import { RECOMPUTE, type ModelSpec, type ParallelismSpec, type RunSpec } from "../catalog/schema.js";
import { closedFormPeakInFlight, closedFormPipeline, simulatePipeline, type PipelineResult } from "../des/pipelineSchedule.js";
import { allGatherSeconds, allReduceSeconds, reduceScatterSeconds, sendSeconds } from "../network/collectives.js";
import {
  dataParallelGroup,
  expertDataParallelGroup,
  layersPerVirtualStage,
  pipelineStride,
  resolveLayout,
  type Layout,
  type ResolvedLayout,
} from "../plan/layout.js";
import { peakFlopsPerSecond, type Hardware } from "../system/hardware.js";
import { forwardFlopsPerSequence } from "../workload/transformer.js";
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
  MODERN_ACTIVATIONS,
  stageParams,
  stateBytes,
  type LayerCounts,
  type LayerParamsByKind,
  type StageParams,
} from "./memory.js";
import { bytesPerElement, memorySeconds } from "./roofline.js";

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

const OPTIMIZER_BYTES_PER_PARAM = 34; // Adam: read fp32 grad, param, m, v, and grad-norm pass; write param, m, v and the bf16 copy

/**
 * Predict one step. Where the scenario leaves recompute unset, assume the least recomputation that
 * fits in memory (none, then selective, then full), as a practitioner would choose it.
 */
export function predictTraining(input: TrainingInput): TrainingPrediction {
  if (input.parallelism.recompute !== null)
    return predictLayout(input, resolveLayout(input.model, input.run, input.parallelism, input.chips));
  let last: TrainingPrediction | undefined;
  for (const recompute of RECOMPUTE) {
    const resolved = resolveLayout(input.model, input.run, { ...input.parallelism, recompute }, input.chips);
    last = predictLayout(input, resolved);
    if (last.memory.fits) break;
  }
  last!.assumptions.push(`recompute not given: ${last!.layout.recompute}, the least recomputation that fits in memory`);
  return last!;
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
  denseActivations: number;
  moeActivations: number;
  modelFlopsPerSequence: number;
  params: LayerParamsByKind;
  recomputeBuffer: number;
  kindCosts: Map<number, Map<number, ChunkKindCost>>;
}

/** The timeline slices of a stage's tail when no timeline is asked for: one shared empty list. */
const NO_SLICES: readonly TimelineSlice[] = [];

const descendingCache: number[][] = [];
/** Chunks v-1 down to 0: the order the closed form's cool-down finishes them in. */
function descendingChunks(v: number): number[] {
  return (descendingCache[v] ??= Array.from({ length: v }, (_, i) => v - 1 - i));
}

/** Step time and memory only, with the closed-form schedule: the planner's screening of many layouts. */
export interface StepEstimate {
  stepSeconds: number;
  /** Memory the most loaded chip needs, bytes. */
  memoryBytes: number;
}

export function estimateStep(input: TrainingInput): StepEstimate {
  const resolved = resolveLayout(input.model, input.run, input.parallelism, input.chips);
  return evaluateLayout(input, resolved, "closed-form").estimate;
}

/** As estimateStep, for a layout already resolved and checked (the planner builds only valid ones). */
export function estimateLayout(input: TrainingInput, layout: Layout): StepEstimate {
  return evaluateLayout(input, { layout, assumptions: [] }, "closed-form").estimate;
}

function predictLayout(input: TrainingInput, resolved: ResolvedLayout): TrainingPrediction {
  return evaluateLayout(input, resolved).report();
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

// Keyed by layer count, leading dense layers, pp and vpp, packed in one number.
const chunkLayoutCache = new Map<number, ChunkLayout>();

function chunkLayout(model: ModelSpec, pp: number, vpp: number): ChunkLayout {
  const denseLayers = model.moe ? model.moe.denseLayers : model.layers;
  const key = ((model.layers * 1024 + denseLayers) * 65536 + pp) * 1024 + vpp;
  const cached = chunkLayoutCache.get(key);
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
  if (chunkLayoutCache.size > 4096) chunkLayoutCache.clear();
  chunkLayoutCache.set(key, result);
  return result;
}

function evaluateLayout(
  input: TrainingInput,
  resolved: ResolvedLayout,
  schedule = input.schedule ?? "simulated",
): { estimate: StepEstimate; report: () => TrainingPrediction } {
  const { model, hw, chips, run } = input;
  const { layout } = resolved;
  const ctx: StepContext = { model, hw, layout, seqLen: run.seqLen, precision: run.precision };
  const { pp, vpp } = layout;
  const m = layout.microBatches;

  // Every dense layer costs the same, and every MoE layer.
  // A planner predicting many layouts of one model on one system passes a memo: layer costs depend on
  // fewer layout fields than the step does, so layouts differing only in pp, vpp or ZeRO share them.
  const memo = input.memo;
  // Two numbers, not a string, so a lookup hashes no new string: the fields every layer cost depends on,
  // packed (each below its radix), then those it depends on only sometimes (dp under ZeRO-3, pp where
  // the pipeline sits inside data parallelism).
  const pipelineInside = layout.placement === "tp-cp-pp-dp";
  // Small integers (V8 keeps them unboxed; big packed numbers would be allocated and hashed as doubles):
  // the fields every layer cost depends on, in two keys, then those it depends on only sometimes (dp
  // under ZeRO-3, pp where the pipeline sits inside data parallelism).
  const layerKeyA = ((layout.tp * 128 + layout.cp) * 2 + (layout.sequenceParallel ? 1 : 0)) * 128 + layout.microBatch;
  const layerKeyB = ((layout.ep * 4096 + layout.etp) * 3 + RECOMPUTE.indexOf(layout.recompute)) * 2 + (pipelineInside ? 1 : 0);
  const layerSubKey = (layout.zero === 3 ? layout.dp : 0) * 1024 + (pipelineInside ? layout.pp : 0);
  // What depends on the model and sequence length alone, shared by every per-layer bundle.
  const modelConstants = (): { modelFlopsPerSequence: number; params: LayerParamsByKind } => {
    let constants = memo?.get("model") as { modelFlopsPerSequence: number; params: LayerParamsByKind } | undefined;
    if (!constants) {
      constants = { modelFlopsPerSequence: forwardFlopsPerSequence(model, run.seqLen), params: layerParamsByKind(model) };
      memo?.set("model", constants);
    }
    return constants;
  };
  const computePerLayer = (): PerLayerCosts => {
    // fp8 recipes keep GEMM inputs for the backward in fp8.
    const activationOptions = { ...MODERN_ACTIVATIONS, gemmInputBytes: bytesPerElement(run.precision) >= 2 ? 2 : 1 };
    const dense = layerCost(ctx, 0);
    const denseActivations = layerActivationBytes(model, layout, run.seqLen, 0, activationOptions);
    const moeLayer = model.moe?.denseLayers ?? 0;
    return {
      denseCost: dense,
      moeCost: model.moe ? layerCost(ctx, moeLayer) : dense,
      embedding: embeddingCost(ctx),
      logits: logitsCost(ctx),
      denseActivations,
      moeActivations: model.moe ? layerActivationBytes(model, layout, run.seqLen, moeLayer, activationOptions) : denseActivations,
      ...modelConstants(),
      // The layer being recomputed under full recompute holds its full activations for a moment.
      recomputeBuffer:
        layout.recompute === "full"
          ? layerActivationBytes(model, { ...layout, recompute: "none" }, run.seqLen, moeLayer, activationOptions)
          : 0,
      /** Chunk kinds' costs, keyed by the kind and the layout fields they add (see kindKey). */
      kindCosts: new Map<number, Map<number, ChunkKindCost>>(),
    };
  };
  const packable =
    layout.tp < 1024 &&
    layout.cp < 128 &&
    layout.microBatch < 128 &&
    layout.ep < 4096 &&
    layout.etp < 4096 &&
    layout.pp < 1024 &&
    layout.dp < 2 ** 20;
  let byLayerKey: Map<number, PerLayerCosts> | undefined;
  if (memo && packable) {
    let byA = memo.get(layerKeyA) as Map<number, Map<number, PerLayerCosts>> | undefined;
    if (!byA) memo.set(layerKeyA, (byA = new Map()));
    byLayerKey = byA.get(layerKeyB);
    if (!byLayerKey) byA.set(layerKeyB, (byLayerKey = new Map()));
  }
  let perLayer = byLayerKey?.get(layerSubKey);
  if (!perLayer) {
    perLayer = computePerLayer();
    byLayerKey?.set(layerSubKey, perLayer);
  }
  const { denseCost, moeCost, embedding, logits, denseActivations, moeActivations } = perLayer;
  const { kinds, kindOf, groups, representatives } = chunkLayout(model, pp, vpp);

  const tokensPerRank = (layout.microBatch * run.seqLen) / layout.cp;
  const sendBytes = (tokensPerRank * model.hidden * 2) / (layout.sequenceParallel ? layout.tp : 1);
  const send = pp > 1 ? sendSeconds(hw, pipelineStride(layout), sendBytes) : 0;
  const dpGroup = dataParallelGroup(layout);
  const edpGroup = expertDataParallelGroup(layout);
  const gradientSync = (params: StageParams, bytesPerParam: number, op: typeof reduceScatterSeconds) =>
    op(hw, dpGroup, params.dense * bytesPerParam) + op(hw, edpGroup, params.expert * bytesPerParam);
  const reduce = layout.zero === 0 ? allReduceSeconds : reduceScatterSeconds;
  const kindParts = kinds.map((k) =>
    // A chunk kind's cost depends on the per-layer costs, the kind, and the layout's dp, ZeRO stage
    // and whether there is a pipeline: layouts differing in pp or vpp share their kinds' costs.
    {
      // Two small integers: dp, ZeRO stage and whether there is a pipeline; the kind's layer counts and ends.
      const layoutKey = (layout.dp * 4 + layout.zero) * 2 + (pp > 1 ? 1 : 0);
      const kindKey = ((k.dense * 512 + k.moe) * 2 + (k.embedding ? 1 : 0)) * 2 + (k.output ? 1 : 0);
      let byKind = perLayer.kindCosts.get(layoutKey);
      if (!byKind) perLayer.kindCosts.set(layoutKey, (byKind = new Map()));
      let cost = byKind.get(kindKey);
      if (!cost) byKind.set(kindKey, (cost = kindCost(k)));
      return cost;
    },
  );
  // Seconds by part of a chunk kind, for the breakdown and the timeline only: screening needs totals.
  function kindTimeParts(k: LayerCounts): { forward: TimeParts; backward: TimeParts } {
    let forward = addParts(scaleParts(denseCost.forward, k.dense), moeCost.forward, k.moe);
    let backward = addParts(scaleParts(denseCost.backward, k.dense), moeCost.backward, k.moe);
    if (k.embedding) {
      forward = addParts(forward, embedding.forward);
      backward = addParts(backward, embedding.backward);
    } else backward.pp += send;
    if (k.output) {
      forward = addParts(forward, logits.forward);
      backward = addParts(backward, logits.backward);
    } else forward.pp += send;
    return { forward, backward };
  }
  function kindCost(k: LayerCounts): ChunkKindCost {
    // The same sums as kindTimeParts, as plain numbers (no objects on the planner's hot path).
    const forwardSeconds =
      k.dense * totalSeconds(denseCost.forward) +
      k.moe * totalSeconds(moeCost.forward) +
      (k.embedding ? totalSeconds(embedding.forward) : 0) +
      (k.output ? totalSeconds(logits.forward) : send);
    const backwardSeconds =
      k.dense * totalSeconds(denseCost.backward) +
      k.moe * totalSeconds(moeCost.backward) +
      (k.embedding ? totalSeconds(embedding.backward) : send) +
      (k.output ? totalSeconds(logits.backward) : 0);
    const flops = k.dense * denseCost.hardwareFlops + k.moe * moeCost.hardwareFlops + (k.output ? logits.hardwareFlops : 0);
    const params = stageParams(model, layout, k, perLayer!.params);
    return {
      counts: k,
      flops,
      forwardSeconds,
      backwardSeconds,
      params,
      layers: k.dense + k.moe,
      gradientReduceSeconds: layout.zero < 3 ? gradientSync(params, 4, reduce) : 0,
    };
  }
  const chunk = (s: number, c: number) => kindParts[kindOf[s]![c]!]!;
  const stageChunks = (s: number) => kindOf[s]!.map((k) => kindParts[k]!);

  const closedForm = schedule === "closed-form";
  // The closed form ends every stage together, so one stage of each group stands for the group (the
  // first, which holds the most micro-batches in flight); the simulation needs every stage.
  const stages = closedForm ? representatives : Array.from({ length: pp }, (_, s) => s);
  const stageParamsOf: StageParams[] = [];
  for (const s of stages) {
    const params: StageParams = { dense: 0, expert: 0 };
    for (const k of kindOf[s]!) {
      params.dense += kindParts[k]!.params.dense;
      params.expert += kindParts[k]!.params.expert;
    }
    stageParamsOf[s] = params;
  }

  // Memory: the stage that needs the most.
  const moeBuffers = model.moe ? 2 * (tokensPerRank / layout.tp) * model.moe.topK * model.hidden * 2 : 0;
  const communicationBuffers = 2 * tokensPerRank * model.hidden * 2 + 2 * sendBytes + moeBuffers;
  const worstMemory = (peakInFlight: (s: number) => number) => {
    let worstStage = stages[0]!;
    let worstTotal = -Infinity;
    let worstActivations = 0;
    for (const s of stages) {
      const states = stateBytes(stageParamsOf[s]!, layout);
      let largestChunk = 0;
      for (const k of kindOf[s]!)
        largestChunk = Math.max(largestChunk, kinds[k]!.dense * denseActivations + kinds[k]!.moe * moeActivations);
      let activations = peakInFlight(s) * largestChunk + perLayer.recomputeBuffer;
      if (s === pp - 1) activations += (tokensPerRank * model.vocab * 4) / layout.tp; // fp32 logits for the loss
      const total =
        states.weights + states.gradients + states.optimizerStates + activations + communicationBuffers + hw.runtimeReservedBytes;
      if (total > worstTotal) {
        worstStage = s;
        worstTotal = total;
        worstActivations = activations;
      }
    }
    return { stage: worstStage, total: worstTotal, activations: worstActivations };
  };
  // Screening: a layout over the memory limit needs no step time.
  if (closedForm && input.memoryLimitBytes !== undefined) {
    const worst = worstMemory((s) => closedFormPeakInFlight(s, pp, vpp, m));
    if (worst.total > input.memoryLimitBytes) {
      return {
        estimate: { stepSeconds: Infinity, memoryBytes: worst.total },
        report: () => {
          throw new Error("internal: no report for a layout screened out on memory");
        },
      };
    }
  }

  const scheduleInput = {
    stages: pp,
    chunks: vpp,
    microBatches: m,
    forwardSeconds: (s: number, c: number) => chunk(s, c).forwardSeconds,
    backwardSeconds: (s: number, c: number) => chunk(s, c).backwardSeconds,
    recordOps: input.timeline ?? false,
  };
  const pipeline: PipelineResult = closedForm ? closedFormPipeline(scheduleInput, groups) : simulatePipeline(scheduleInput);

  // Data parallelism and the optimizer, stage by stage.
  let stepSeconds = -Infinity;
  const stageTails: { dataParallel: number; optimizer: number; end: number; slices: readonly TimelineSlice[] }[] = [];
  for (const s of stages) {
    const kindsOnStage = kindOf[s]!;
    const params = stageParamsOf[s]!;
    let layersOnStage = 0;
    let firstForward = 0;
    for (const k of kindsOnStage) {
      layersOnStage += kindParts[k]!.layers;
      firstForward += kindParts[k]!.forwardSeconds;
    }
    layersOnStage = Math.max(1, layersOnStage);
    const pipelineEnd = pipeline.stageEnd[s]!;
    let commEnd = pipelineEnd;
    let gatherAfter = 0;
    if (layout.zero < 3) {
      // Gradients are reduced bucket by bucket as the last micro-batch's backward produces them: each
      // chunk's reduction starts during its last backward and queues on one communication stream.
      let channelFree = 0;
      const ends = pipeline.lastBackwardEnd[s]!;
      // Chunks in the order their last backward ends (the closed form's cool-down runs chunk v-1 to 0).
      const order = closedForm ? descendingChunks(vpp) : kindsOnStage.map((_, c) => c).sort((a, b) => ends[a]! - ends[b]!);
      for (const c of order) {
        const chunk = kindParts[kindsOnStage[c]!]!;
        const layers = Math.max(1, chunk.layers);
        const lastBucketReady = ends[c]!;
        const firstBucketReady = lastBucketReady - chunk.backwardSeconds * (1 - 1 / layers);
        const start = Math.max(channelFree, firstBucketReady);
        channelFree = Math.max(start + chunk.gradientReduceSeconds, lastBucketReady + chunk.gradientReduceSeconds / layers);
      }
      commEnd = Math.max(pipelineEnd, channelFree);
      if (layout.zero >= 1) gatherAfter = gradientSync(params, 2, allGatherSeconds);
    }
    const d = layout.dp * layout.cp;
    const shardParams = layout.zero >= 1 ? params.dense / d + params.expert / layout.edp : params.dense + params.expert;
    const optimizer = memorySeconds(hw, OPTIMIZER_BYTES_PER_PARAM * shardParams);
    // The updated weights are all-gathered behind the next step's first forward passes (overlap-param-gather);
    // only what outlasts them, and at least the first layer's share, is exposed.
    const gatherExposed = gatherAfter > 0 ? Math.max(gatherAfter / layersOnStage, gatherAfter - firstForward) : 0;
    const dataParallel = commEnd - pipelineEnd + gatherExposed;
    const end = pipelineEnd + dataParallel + optimizer;
    stepSeconds = Math.max(stepSeconds, end);
    stageTails[s] = {
      dataParallel,
      optimizer,
      end,
      slices: !input.timeline
        ? NO_SLICES
        : [
            ...(commEnd > pipelineEnd
              ? [{ stage: s, name: "gradient reduce (exposed)", category: "data-parallel" as const, start: pipelineEnd, end: commEnd }]
              : []),
            { stage: s, name: "optimizer step", category: "optimizer" as const, start: commEnd, end: commEnd + optimizer },
            ...(gatherExposed > 0
              ? [
                  {
                    stage: s,
                    name: "parameter all-gather (exposed)",
                    category: "data-parallel" as const,
                    start: commEnd + optimizer,
                    end: end,
                  },
                ]
              : []),
          ],
    };
  }
  const worst = worstMemory((s) => pipeline.peakInFlight[s]!);
  const estimate: StepEstimate = { stepSeconds, memoryBytes: worst.total };
  const report = (): TrainingPrediction => {
    // The breakdown is that of the bottleneck: the stage busiest with work of its own. Its idle time,
    // waiting on its neighbours or in warm-up and cool-down, is the pipeline bubble.
    let critical = stages[0]!;
    let criticalLoad = -Infinity;
    for (const s of stages) {
      let work = 0;
      for (const c of stageChunks(s)) work += c.forwardSeconds + c.backwardSeconds;
      const load = m * work + stageTails[s]!.dataParallel + stageTails[s]!.optimizer;
      if (load > criticalLoad) {
        criticalLoad = load;
        critical = s;
      }
    }
    let busy = zeroParts();
    for (const c of stageChunks(critical)) {
      const parts = kindTimeParts(c.counts);
      busy = addParts(addParts(busy, parts.forward, m), parts.backward, m);
    }
    const tail = stageTails[critical]!;
    const breakdown: StepBreakdown = {
      compute: busy.compute,
      tensorParallel: busy.tp,
      contextParallel: busy.cp,
      expertParallel: busy.ep,
      pipelineParallel: busy.pp,
      pipelineBubble: stepSeconds - criticalLoad,
      dataParallel: tail.dataParallel + busy.dp,
      optimizer: tail.optimizer,
    };

    const states = stateBytes(stageParamsOf[worst.stage]!, layout);
    const memory: MemoryBreakdown = {
      weights: states.weights,
      gradients: states.gradients,
      optimizerStates: states.optimizerStates,
      activations: worst.activations,
      communicationBuffers,
      runtimeReserved: hw.runtimeReservedBytes,
      total: worst.total,
      capacity: hw.hbmBytes,
      fits: worst.total <= hw.hbmBytes,
      freeBytes: hw.hbmBytes - worst.total,
      stage: worst.stage,
    };

    const tokensPerStep = run.globalBatch * run.seqLen;
    const modelFlopsPerStep = 3 * run.globalBatch * perLayer.modelFlopsPerSequence;
    const peak = peakFlopsPerSecond(hw.chip, run.precision);
    // Every rank of a stage executes its chunks' FLOPs (already divided by tp) for each micro-batch.
    let hardwareFlopsPerStep = 0;
    for (const group of groups)
      for (const k of kindOf[group[0]!]!) hardwareFlopsPerStep += group.length * kindParts[k]!.flops * m * (chips / pp);

    const timeline: TimelineSlice[] = pipeline.ops.map((op) => ({
      stage: op.stage,
      name: `${op.kind === "forward" ? "F" : "B"} mb${op.microBatch}${vpp > 1 ? ` c${op.chunk}` : ""}`,
      category: op.kind,
      start: op.start,
      end: op.end,
      chunk: op.chunk,
      microBatch: op.microBatch,
      parts: kindTimeParts(chunk(op.stage, op.chunk).counts)[op.kind],
    }));
    if (input.timeline) for (const s of stages) timeline.push(...stageTails[s]!.slices);

    return {
      layout,
      assumptions: [...resolved.assumptions],
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
  };
  return { estimate, report };
}
