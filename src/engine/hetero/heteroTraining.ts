// Heterogeneous pipeline training: the stages of one pipeline on different chip types (Trainium4 and
// Rubin-class GPUs in one NVLink Fusion domain). Each type's per-layer cost comes from the same layer
// model as homogeneous training (layerCost, embeddingCost, logitsCost), the schedule from the same
// pipeline simulator, the sends and gradient reductions from the same collectives. Layers are balanced
// per stage by each type's speed and memory; the report gives the bubble that imbalance costs.
import { embeddingCost, layerCost, logitsCost, totalSeconds, type StepContext } from "../analytic/layerCost.js";
import { layerActivationBytes, layerParamsByKind, stageParams, stateBytes } from "../analytic/memory.js";
import type { ModelSpec, RunSpec } from "../catalog/schema.js";
import { simulatePipeline } from "../des/pipelineSchedule.js";
import { defaultZeroStage } from "../calibrate/framework.js";
import { UltrasimError } from "../errors.js";
import { reduceScatterSeconds, sendSeconds } from "../network/collectives.js";
import type { Layout } from "../plan/layout.js";
import type { Hardware } from "../system/hardware.js";
import { forwardFlopsPerSequence } from "../workload/transformer.js";
import { peakFlopsPerSecond } from "../system/hardware.js";

export interface HeteroPart {
  hw: Hardware;
  /** Pipeline stages on this chip type (consecutive, in the order of `parts`). */
  stages: number;
  tp: number;
}

export interface HeteroRequest {
  model: ModelSpec;
  parts: HeteroPart[];
  /** Data-parallel replicas of the whole pipeline. */
  dp: number;
  run: Required<Pick<RunSpec, "seqLen" | "globalBatch" | "precision">> & { microBatch: number };
  /** Memory kept free per chip. */
  memoryHeadroom?: number;
  /** Layers per stage; balanced by speed and memory when not given. */
  layersPerStage?: number[];
}

export interface HeteroStage {
  stage: number;
  chip: string;
  layers: number;
  /** Forward + backward seconds of one micro-batch on this stage (sends included). */
  microBatchSeconds: number;
  memoryBytes: number;
  capacityBytes: number;
}

export interface HeteroTraining {
  chips: number;
  chipsByType: Record<string, number>;
  stages: HeteroStage[];
  microBatches: number;
  stepSeconds: number;
  tokensPerSecond: number;
  /** Model FLOPs per second over the sum of every chip's dense peak. */
  mfu: number;
  /** Idle share of the step, averaged over stages. */
  bubbleFraction: number;
  /** Step seconds over what the same stages would take with the work split evenly in time: the cost of imbalance. */
  imbalanceSeconds: number;
  /** The fluid bound: every stage busy all step on an ideal split of layers; no heterogeneous plan beats it. */
  lowerBoundStepSeconds: number;
  /** Gradient reduction and parameter gather over data parallelism, counted exposed (an upper bound). */
  dataParallelSeconds: number;
  fits: boolean;
}

const ACTIVATION_BYTES = 2;

/**
 * The ZeRO stage of the whole pipeline: 1 (optimizer states sharded over data parallelism), or where a
 * part's framework lacks it (TorchTitan's FSDP on Trainium) the least sharding every part's offers.
 */
export function sharedZeroStage(parts: HeteroPart[]): Layout["zero"] {
  return defaultZeroStage(...parts.map((p) => p.hw.software.zeroStages));
}

function layoutFor(part: HeteroPart, pp: number, request: HeteroRequest): Layout {
  const m = request.run.globalBatch / (request.dp * request.run.microBatch);
  return {
    tp: part.tp,
    pp,
    dp: request.dp,
    cp: 1,
    ep: 1,
    etp: part.tp,
    vpp: 1,
    sequenceParallel: part.tp > 1,
    placement: "tp-cp-pp-dp",
    zero: sharedZeroStage(request.parts),
    recompute: "selective",
    recomputeFraction: 1,
    microBatch: request.run.microBatch,
    microBatches: m,
    edp: request.dp,
  };
}

interface TypeCost {
  layerSeconds: number;
  embedding: number;
  logits: number;
  /** Bytes per layer held per chip: states plus activations of the micro-batches in flight (1F1B: up to pp). */
  stateBytesPerLayer: number;
  activationBytesPerLayer: number;
  sendSeconds: number;
}

function typeCost(part: HeteroPart, layout: Layout, request: HeteroRequest): TypeCost {
  const { model, run } = request;
  const ctx: StepContext = { model, hw: part.hw, layout, seqLen: run.seqLen, precision: run.precision };
  // Dense models (MoE pipelines are left for later: expert parallelism across chip types is not modelled).
  const cost = layerCost(ctx, model.layers - 1);
  const e = embeddingCost(ctx);
  const l = logitsCost(ctx);
  const states = stateBytes(
    stageParams(model, layout, { dense: 1, moe: 0, embedding: false, output: false }, layerParamsByKind(model)),
    layout,
  );
  const bytes = (run.microBatch * run.seqLen * model.hidden * ACTIVATION_BYTES) / (layout.sequenceParallel ? layout.tp : 1);
  return {
    layerSeconds: totalSeconds(cost.forward) + totalSeconds(cost.backward),
    embedding: totalSeconds(e.forward) + totalSeconds(e.backward),
    logits: totalSeconds(l.forward) + totalSeconds(l.backward),
    stateBytesPerLayer: states.weights + states.gradients + states.optimizerStates,
    activationBytesPerLayer: layerActivationBytes(model, layout, run.seqLen, model.layers - 1),
    // A stage boundary inside the NVLink Fusion domain: forward activation and backward gradient.
    sendSeconds: 2 * sendSeconds(part.hw, 1, bytes),
  };
}

/** Integer layers per stage minimising the slowest stage, within each stage's memory. */
function balanceLayers(layers: number, stageCost: ((n: number) => number)[], maxLayers: number[]): number[] {
  const p = stageCost.length;
  const alloc = new Array<number>(p).fill(0);
  // Greedy: give the next layer to the stage whose time after taking it is least (optimal for
  // monotone per-stage costs: a min-max allocation of identical items).
  for (let i = 0; i < layers; i++) {
    let best = -1;
    let bestTime = Infinity;
    for (let s = 0; s < p; s++) {
      if (alloc[s]! >= maxLayers[s]!) continue;
      const t = stageCost[s]!(alloc[s]! + 1);
      if (t < bestTime) {
        bestTime = t;
        best = s;
      }
    }
    if (best < 0) return [];
    alloc[best]!++;
  }
  return alloc;
}

export function predictHeteroTraining(request: HeteroRequest): HeteroTraining {
  const { model, run, dp } = request;
  if (model.moe) throw new UltrasimError("INVALID_INPUT", "heterogeneous pipelines are modelled for dense models only", { field: "model" });
  for (const p of request.parts)
    if (model.heads % p.tp !== 0)
      throw new UltrasimError("INVALID_INPUT", `tp ${p.tp} on ${p.hw.chip.id} does not divide ${model.heads} heads`, { field: "tp" });
  const pp = request.parts.reduce((s, p) => s + p.stages, 0);
  if (run.globalBatch % (dp * run.microBatch) !== 0)
    throw new UltrasimError(
      "INVALID_INPUT",
      `global batch ${run.globalBatch} does not divide into ${dp} replicas of micro-batch ${run.microBatch}`,
      {
        field: "globalBatch",
      },
    );
  const m = run.globalBatch / (dp * run.microBatch);
  const headroom = request.memoryHeadroom ?? 0.1;
  const stageType: number[] = request.parts.flatMap((p, i) => new Array<number>(p.stages).fill(i));
  const layouts = request.parts.map((p) => layoutFor(p, pp, request));
  const costs = request.parts.map((p, i) => typeCost(p, layouts[i]!, request));
  const capacity = request.parts.map((p) => (p.hw.hbmBytes - p.hw.runtimeReservedBytes) * (1 - headroom));
  const extra = (s: number) => (s === 0 ? costs[stageType[s]!]!.embedding : 0) + (s === pp - 1 ? costs[stageType[s]!]!.logits : 0);
  const stageSeconds = (s: number, n: number) => {
    const c = costs[stageType[s]!]!;
    return n * c.layerSeconds + extra(s) + (pp > 1 ? c.sendSeconds : 0);
  };
  // 1F1B: stage s holds up to pp - s micro-batches' activations.
  const stageMemory = (s: number, n: number) => {
    const c = costs[stageType[s]!]!;
    return n * (c.stateBytesPerLayer + Math.min(m, pp - s) * c.activationBytesPerLayer);
  };
  const maxLayers = Array.from({ length: pp }, (_, s) => {
    const perLayer = stageMemory(s, 1);
    return Math.max(0, Math.floor(capacity[stageType[s]!]! / perLayer));
  });
  let layers =
    request.layersPerStage ??
    balanceLayers(
      model.layers,
      Array.from({ length: pp }, (_, s) => (n: number) => stageSeconds(s, n)),
      maxLayers,
    );
  const fits = layers.length === pp;
  if (!fits)
    layers = balanceLayers(
      model.layers,
      Array.from({ length: pp }, (_, s) => (n: number) => stageSeconds(s, n)),
      new Array<number>(pp).fill(Infinity),
    );
  if (layers.length !== pp || layers.reduce((a, b) => a + b, 0) !== model.layers)
    throw new UltrasimError("INVALID_INPUT", `layers per stage must be ${pp} counts summing to ${model.layers}`, {
      field: "layersPerStage",
    });

  const perMicroBatch = layers.map((n, s) => stageSeconds(s, n));
  // Forward is a third of the layer's time, backward two thirds (2x GEMMs): enough for the schedule's shape.
  const schedule = simulatePipeline({
    stages: pp,
    chunks: 1,
    microBatches: m,
    forwardSeconds: (s) => perMicroBatch[s]! / 3,
    backwardSeconds: (s) => (2 * perMicroBatch[s]!) / 3,
  });
  const pipelineSeconds = Math.max(...schedule.stageEnd);
  // Each stage reduce-scatters its fp32 gradients and all-gathers its bf16 weights over its replicas.
  const dataParallelSeconds = Math.max(
    ...layers.map((n, s) => {
      const part = request.parts[stageType[s]!]!;
      const params = n * stageParams(model, layouts[stageType[s]!]!, { dense: 1, moe: 0, embedding: false, output: false }).dense || 0;
      const group = { size: dp, stride: part.tp * pp };
      return reduceScatterSeconds(part.hw, group, 4 * params) + reduceScatterSeconds(part.hw, group, 2 * params);
    }),
  );
  const stepSeconds = pipelineSeconds + dataParallelSeconds;
  const tokensPerStep = run.globalBatch * run.seqLen;
  const chipsByType: Record<string, number> = {};
  request.parts.forEach((p) => (chipsByType[p.hw.chip.id] = (chipsByType[p.hw.chip.id] ?? 0) + p.stages * p.tp * dp));
  const chips = Object.values(chipsByType).reduce((a, b) => a + b, 0);
  const peak = request.parts.reduce((s, p) => s + p.stages * p.tp * dp * peakFlopsPerSecond(p.hw.chip, run.precision), 0);
  const modelFlops = 3 * forwardFlopsPerSequence(model, run.seqLen) * run.globalBatch;
  const busy = perMicroBatch.map((t) => t * m);
  const mean = busy.reduce((a, b) => a + b, 0) / pp;
  // Even split in time of the same work: (m + p - 1) slots of the mean stage time.
  const balanced = ((m + pp - 1) * mean) / m;
  // Fluid bound: each stage of type k runs a layer-micro-batch in layerSeconds_k; all busy all step.
  const rate = stageType.reduce((s, k) => s + 1 / costs[k]!.layerSeconds, 0);
  const lowerBound = (m * model.layers) / rate;
  return {
    chips,
    chipsByType,
    stages: layers.map((n, s) => ({
      stage: s,
      chip: request.parts[stageType[s]!]!.hw.chip.id,
      layers: n,
      microBatchSeconds: perMicroBatch[s]!,
      memoryBytes: stageMemory(s, n) + request.parts[stageType[s]!]!.hw.runtimeReservedBytes,
      capacityBytes: request.parts[stageType[s]!]!.hw.hbmBytes,
    })),
    microBatches: m,
    stepSeconds,
    tokensPerSecond: tokensPerStep / stepSeconds,
    mfu: modelFlops / stepSeconds / peak,
    bubbleFraction: 1 - mean / pipelineSeconds,
    imbalanceSeconds: Math.max(0, pipelineSeconds - balanced),
    lowerBoundStepSeconds: lowerBound,
    dataParallelSeconds,
    fits,
  };
}
