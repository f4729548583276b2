// One training step on one layout: the pipeline schedule simulated micro-batch by micro-batch, the
// data-parallel gradient reduction overlapped with the last backward pass as Megatron and FSDP do it,
// the optimizer, and memory per chip. This is what `ultrasim train` reports.
import { RECOMPUTE, type ModelSpec, type ParallelismSpec, type RunSpec } from "../catalog/schema.js";
import { simulatePipeline, type PipelineResult } from "../des/pipelineSchedule.js";
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
import { forwardFlopsPerSequence, isMoeLayer } from "../workload/transformer.js";
import { addParts, embeddingCost, layerCost, logitsCost, totalSeconds, zeroParts, type LayerCost, type StepContext, type TimeParts } from "./layerCost.js";
import { layerActivationBytes, MODERN_ACTIVATIONS, stageParams, stateBytes } from "./memory.js";
import { bytesPerElement, memorySeconds } from "./roofline.js";

export interface TrainingInput {
  model: ModelSpec;
  hw: Hardware;
  chips: number;
  run: RunSpec;
  parallelism: ParallelismSpec;
  /** Record the step's timeline (every forward and backward) for a trace; costs time on big pipelines. */
  timeline?: boolean;
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
  if (input.parallelism.recompute !== null) return predictLayout(input, resolveLayout(input.model, input.run, input.parallelism, input.chips));
  let last: TrainingPrediction | undefined;
  for (const recompute of RECOMPUTE) {
    const resolved = resolveLayout(input.model, input.run, { ...input.parallelism, recompute }, input.chips);
    last = predictLayout(input, resolved);
    if (last.memory.fits) break;
  }
  last!.assumptions.push(`recompute not given: ${last!.layout.recompute}, the least recomputation that fits in memory`);
  return last!;
}

function predictLayout(input: TrainingInput, resolved: ResolvedLayout): TrainingPrediction {
  const { model, hw, chips, run } = input;
  const { layout } = resolved;
  const assumptions = [...resolved.assumptions];
  const ctx: StepContext = { model, hw, layout, seqLen: run.seqLen, precision: run.precision };
  const { pp, vpp } = layout;

  // Costs of a dense and of an MoE layer (every layer of a kind costs the same).
  const costCache = new Map<boolean, LayerCost>();
  const costOf = (l: number): LayerCost => {
    const moe = isMoeLayer(model, l);
    let c = costCache.get(moe);
    if (!c) costCache.set(moe, (c = layerCost(ctx, l)));
    return c;
  };
  const embedding = embeddingCost(ctx);
  const logits = logitsCost(ctx);

  const counts = layersPerVirtualStage(model.layers, pp, vpp);
  const firstLayer: number[] = [];
  counts.reduce((acc, n, i) => ((firstLayer[i] = acc), acc + n), 0);
  const chunkLayers = (s: number, c: number): number[] => {
    const j = c * pp + s;
    return Array.from({ length: counts[j]! }, (_, i) => firstLayer[j]! + i);
  };

  const tokensPerRank = (layout.microBatch * run.seqLen) / layout.cp;
  const sendBytes = (tokensPerRank * model.hidden * 2) / (layout.sequenceParallel ? layout.tp : 1);
  const send = pp > 1 ? sendSeconds(hw, pipelineStride(layout), sendBytes) : 0;
  const lastVirtual = pp * vpp - 1;
  const chunkParts = Array.from({ length: pp }, (_, s) =>
    Array.from({ length: vpp }, (_, c) => {
      let forward = zeroParts();
      let backward = zeroParts();
      let flops = 0;
      for (const l of chunkLayers(s, c)) {
        const lc = costOf(l);
        forward = addParts(forward, lc.forward);
        backward = addParts(backward, lc.backward);
        flops += lc.hardwareFlops;
      }
      const j = c * pp + s;
      if (j === 0) {
        forward = addParts(forward, embedding.forward);
        backward = addParts(backward, embedding.backward);
      }
      if (j === lastVirtual) {
        forward = addParts(forward, logits.forward);
        backward = addParts(backward, logits.backward);
        flops += logits.hardwareFlops;
      } else forward.pp += send;
      if (j > 0) backward.pp += send;
      return { forward, backward, flops };
    }),
  );

  const m = layout.microBatches;
  const pipeline: PipelineResult = simulatePipeline({
    stages: pp,
    chunks: vpp,
    microBatches: m,
    forwardSeconds: (s, c) => totalSeconds(chunkParts[s]![c]!.forward),
    backwardSeconds: (s, c) => totalSeconds(chunkParts[s]![c]!.backward),
    recordOps: input.timeline ?? false,
  });

  // Data parallelism and the optimizer, stage by stage.
  const stageEnds: number[] = [];
  const stageTails: { dataParallel: number; optimizer: number; end: number; slices: TimelineSlice[] }[] = [];
  for (let s = 0; s < pp; s++) {
    const layers = Array.from({ length: vpp }, (_, c) => chunkLayers(s, c));
    const params = stageParams(model, layout, layers.flat(), s === 0, s === pp - 1);
    const gradientSync = (dense: number, expert: number, bytesPerParam: number, op: typeof reduceScatterSeconds) =>
      op(hw, dataParallelGroup(layout), dense * bytesPerParam) + op(hw, expertDataParallelGroup(layout), expert * bytesPerParam);
    const pipelineEnd = pipeline.stageEnd[s]!;
    let commEnd = pipelineEnd;
    let gatherAfter = 0;
    if (layout.zero < 3) {
      // Gradients are reduced bucket by bucket as the last micro-batch's backward produces them: each
      // chunk's reduction starts during its last backward and queues on one communication stream.
      const reduce = layout.zero === 0 ? allReduceSeconds : reduceScatterSeconds;
      let channelFree = 0;
      const order = layers.map((ls, c) => ({ c, ls })).sort((a, b) => pipeline.lastBackwardEnd[s]![a.c]! - pipeline.lastBackwardEnd[s]![b.c]!);
      for (const { c, ls } of order) {
        const chunkParams = stageParams(model, layout, ls, s === 0 && c === 0, s === pp - 1 && c === vpp - 1);
        const duration = gradientSync(chunkParams.dense, chunkParams.expert, 4, reduce);
        const backward = totalSeconds(chunkParts[s]![c]!.backward);
        const lastBucketReady = pipeline.lastBackwardEnd[s]![c]!;
        const firstBucketReady = lastBucketReady - backward * (1 - 1 / Math.max(1, ls.length));
        const start = Math.max(channelFree, firstBucketReady);
        channelFree = Math.max(start + duration, lastBucketReady + duration / Math.max(1, ls.length));
      }
      commEnd = Math.max(pipelineEnd, channelFree);
      if (layout.zero >= 1) gatherAfter = gradientSync(params.dense, params.expert, 2, allGatherSeconds);
    }
    const d = layout.dp * layout.cp;
    const shardParams = layout.zero >= 1 ? params.dense / d + params.expert / layout.edp : params.dense + params.expert;
    const optimizer = memorySeconds(hw, OPTIMIZER_BYTES_PER_PARAM * shardParams);
    // The updated weights are all-gathered behind the next step's first forward passes (overlap-param-gather);
    // only what outlasts them, and at least the first layer's share, is exposed.
    const firstForward = Array.from({ length: vpp }, (_, c) => totalSeconds(chunkParts[s]![c]!.forward)).reduce((x, y) => x + y, 0);
    const layersOnStage = Math.max(1, layers.flat().length);
    const gatherExposed = gatherAfter > 0 ? Math.max(gatherAfter / layersOnStage, gatherAfter - firstForward) : 0;
    const dataParallel = commEnd - pipelineEnd + gatherExposed;
    const end = pipelineEnd + dataParallel + optimizer;
    stageEnds.push(end);
    stageTails.push({
      dataParallel,
      optimizer,
      end,
      slices: [
        ...(commEnd > pipelineEnd ? [{ stage: s, name: "gradient reduce (exposed)", category: "data-parallel" as const, start: pipelineEnd, end: commEnd }] : []),
        { stage: s, name: "optimizer step", category: "optimizer" as const, start: commEnd, end: commEnd + optimizer },
        ...(gatherExposed > 0
          ? [{ stage: s, name: "parameter all-gather (exposed)", category: "data-parallel" as const, start: commEnd + optimizer, end: end }]
          : []),
      ],
    });
  }
  const stepSeconds = Math.max(...stageEnds);
  // The breakdown is that of the bottleneck: the stage busiest with work of its own. Its idle time,
  // waiting on its neighbours or in warm-up and cool-down, is the pipeline bubble.
  const stageBusy = Array.from({ length: pp }, (_, s) => {
    let busy = zeroParts();
    for (let c = 0; c < vpp; c++) {
      busy = addParts(busy, chunkParts[s]![c]!.forward, m);
      busy = addParts(busy, chunkParts[s]![c]!.backward, m);
    }
    return busy;
  });
  const loads = stageBusy.map((b, s) => totalSeconds(b) + stageTails[s]!.dataParallel + stageTails[s]!.optimizer);
  const critical = loads.indexOf(Math.max(...loads));
  const busy = stageBusy[critical]!;
  const tail = stageTails[critical]!;
  const breakdown: StepBreakdown = {
    compute: busy.compute,
    tensorParallel: busy.tp,
    contextParallel: busy.cp,
    expertParallel: busy.ep,
    pipelineParallel: busy.pp,
    pipelineBubble: stepSeconds - loads[critical]!,
    dataParallel: tail.dataParallel + busy.dp,
    optimizer: tail.optimizer,
  };

  // Memory: the stage that needs the most. fp8 recipes keep GEMM inputs for the backward in fp8.
  const activationOptions = { ...MODERN_ACTIVATIONS, gemmInputBytes: bytesPerElement(run.precision) >= 2 ? 2 : 1 };
  let memory: MemoryBreakdown | undefined;
  for (let s = 0; s < pp; s++) {
    const layers = Array.from({ length: vpp }, (_, c) => chunkLayers(s, c));
    const params = stageParams(model, layout, layers.flat(), s === 0, s === pp - 1);
    const states = stateBytes(params, layout);
    const perChunk = layers.map((ls) => ls.reduce((sum, l) => sum + layerActivationBytes(model, layout, run.seqLen, l, activationOptions), 0));
    const largestChunk = Math.max(...perChunk);
    let activations = pipeline.peakInFlight[s]! * largestChunk;
    if (layout.recompute === "full") {
      // The layer being recomputed holds its full activations for a moment.
      activations += layerActivationBytes(model, { ...layout, recompute: "none" }, run.seqLen, layers.flat()[0] ?? 0, activationOptions);
    }
    if (s === pp - 1) activations += (tokensPerRank * model.vocab * 4) / layout.tp; // fp32 logits for the loss
    const moeBuffers = model.moe ? 2 * (tokensPerRank / layout.tp) * model.moe.topK * model.hidden * 2 : 0;
    const communicationBuffers = 2 * tokensPerRank * model.hidden * 2 + 2 * sendBytes + moeBuffers;
    const total = states.weights + states.gradients + states.optimizerStates + activations + communicationBuffers + hw.runtimeReservedBytes;
    if (!memory || total > memory.total) {
      memory = {
        ...states,
        activations,
        communicationBuffers,
        runtimeReserved: hw.runtimeReservedBytes,
        total,
        capacity: hw.hbmBytes,
        fits: total <= hw.hbmBytes,
        freeBytes: hw.hbmBytes - total,
        stage: s,
      };
    }
  }

  const tokensPerStep = run.globalBatch * run.seqLen;
  const modelFlopsPerStep = 3 * run.globalBatch * forwardFlopsPerSequence(model, run.seqLen);
  const peak = peakFlopsPerSecond(hw.chip, run.precision);
  // Every rank of a stage executes its chunks' FLOPs (already divided by tp) for each micro-batch.
  let hardwareFlopsPerStep = 0;
  for (let s = 0; s < pp; s++) for (let c = 0; c < vpp; c++) hardwareFlopsPerStep += chunkParts[s]![c]!.flops * m * (chips / pp);

  const timeline: TimelineSlice[] = pipeline.ops.map((op) => ({
    stage: op.stage,
    name: `${op.kind === "forward" ? "F" : "B"} mb${op.microBatch}${vpp > 1 ? ` c${op.chunk}` : ""}`,
    category: op.kind,
    start: op.start,
    end: op.end,
    chunk: op.chunk,
    microBatch: op.microBatch,
    parts: op.kind === "forward" ? chunkParts[op.stage]![op.chunk]!.forward : chunkParts[op.stage]![op.chunk]!.backward,
  }));
  if (input.timeline) for (const t of stageTails) timeline.push(...t.slices);

  return {
    layout,
    assumptions,
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
    memory: memory!,
    criticalStage: critical,
    efficiencyProvenance: hw.efficiencyProvenance,
    timeline,
  };
}
