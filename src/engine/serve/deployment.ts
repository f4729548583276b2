// A pool of replicas resolved against the catalog: its hardware with the serving efficiencies, the
// memory each chip gives the weights, activations and KV cache, and the iteration model.
//
// The simulator schedules engines, each with its own running batch and KV blocks: a replica runs one
// per attention data-parallel rank (each rank batches and caches its own requests; SGLang's
// --enable-dp-attention) and, within it, one per pipeline stage (vLLM's virtual engines: pp
// micro-batches in flight, each engine holding 1/pp of the KV blocks). An engine's iteration lasts
// the whole pipeline's latency, and each stage spends 1/pp of it on that engine, so pp engines keep
// every stage busy without over-committing it.
import type { Catalog } from "../catalog/catalog.js";
import type { ModelSpec, Precision } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";
import { widthClass, type Hardware } from "../system/hardware.js";
import type { Efficiency } from "../system/efficiency.js";
import { createIterationModel } from "./iterationTime.js";
import type { Routing } from "./routing.js";
import { resolveSpeculative, speculativeIterationModel, type SpeculativeSummary } from "./speculative.js";
import { kvBytesPerToken, kvCapacity, kvShape, type KvCapacity } from "./kvCache.js";
import { DEFAULT_KV_BLOCK_TOKENS, DEFAULT_MAX_TOKENS_PER_ITERATION, DEFAULT_MEMORY_UTILIZATION, type PoolSpec } from "./scenario.js";
import { servingEfficiency, type ServingEfficiencyEntry } from "./servingEfficiency.js";
import {
  BUILTIN_SERVING_ENGINES,
  defaultSequenceBuckets,
  DEFAULT_SERVING_ENGINE,
  hostOverlapOf,
  servingEngine,
  type ServingEngine,
} from "./engines.js";
import { SCHEDULERS } from "./schedulers/index.js";
import type { KvAdmission, PoolRole, PoolRuntime, StaticShapes } from "./schedulers/scheduler.js";
import { ranksPerChip } from "../workload/headSharding.js";
import { checkModelShape } from "../workload/transformer.js";

export interface PoolSummary {
  role: PoolRole;
  systemId: string;
  chipId: string;
  chips: number;
  tp: number;
  /** Tensor-parallel ranks per stage: tp chips x the chip's logical cores (headSharding.ts). */
  tensorParallelRanks: number;
  pp: number;
  ep: number;
  replicas: number;
  /** Attention data-parallel ranks per replica. */
  attentionDp: number;
  /** Expert tensor-parallel degree of the MoE layers: ep x etp = tp x attentionDp. */
  etp: number;
  /** Schedulers the simulation runs: replicas x attentionDp x pp (see the top of this file). */
  virtualEngines: number;
  /** KV-cache tokens one engine holds: an attention rank's cache over its pipeline stages, split pp ways. */
  kvTokensPerVirtualEngine: number;
  precision: Precision;
  kvCachePrecision: Precision;
  policy: "continuous" | "static";
  /** The serving engine and the scheduler it runs. */
  engine: string;
  scheduler: string;
  maxBatch: number;
  maxTokensPerIteration: number;
  chunkedPrefill: boolean;
  kvAdmission: KvAdmission;
  memory: KvCapacity & { capacityBytesPerChip: number };
  kvBytesPerToken: number;
  /** Static shapes (Neuron): the compiled decode batch and sequence buckets; null where shapes are dynamic. */
  staticShapes: StaticShapes | null;
  /** Host time per iteration and where it comes from. */
  iterationOverhead: { us: number; provenance: string };
  /** Whether that host time runs beside the accelerator's (an overlap or async scheduler), and why. */
  hostOverlap: { value: boolean; provenance: string };
  /** Whether shared prompt prefixes keep their KV blocks for later requests (prefixCache.ts), and why. */
  prefixCaching: { value: boolean; provenance: string };
  /** How arriving requests pick a replica (routing.ts). */
  routing: Routing;
  efficiencyProvenance: string;
  /** Speculative decoding or MTP (speculative.ts); null where every step decodes one token. */
  speculative: SpeculativeSummary | null;
}

/** The software a chip serves on: NVIDIA's CUDA stack, or AWS Neuron (Trainium, Inferentia). */
export type ServingRuntime = "cuda" | "neuron";

/** The software a chip serves on, from its vendor's collective library (data/frameworks.json). */
export function servingRuntime(catalog: Catalog, chipId: string): ServingRuntime {
  return catalog.owners(chipId, catalog.framework(chipId)).collectives === "neuron-collectives" ? "neuron" : "cuda";
}

/** The engine a pool on this chip runs when it names none: its runtime's default (engines.ts). */
export function defaultServingEngine(catalog: Catalog, chipId: string): string {
  return DEFAULT_SERVING_ENGINE[servingRuntime(catalog, chipId)];
}

export interface ResolvedPool {
  runtime: PoolRuntime;
  summary: PoolSummary;
  hw: Hardware;
  /** Why the pool cannot serve at all (the weights do not fit), or null. */
  infeasible: string | null;
}

/** The KV cache's default precision: 16-bit with 16-bit weights, fp8 with 8- or 4-bit weights. */
export function defaultKvPrecision(precision: Precision): Precision {
  return widthClass(precision) === "b16" ? "bf16" : precision === "mxfp8" ? "mxfp8" : "fp8";
}

export function resolvePool(
  spec: PoolSpec,
  role: PoolRole,
  model: ModelSpec,
  catalog: Catalog,
  field: string,
  override: Partial<Efficiency> = {},
  servingEntries?: ServingEfficiencyEntry[],
  /** The longest context (prompt + answer) the traffic sends: the default static-shape buckets reach it. */
  longestContext = 4096,
  engines?: ServingEngine[],
): ResolvedPool {
  checkModelShape(model);
  const system = catalog.system(spec.system, `${field}.system`);
  const chip = catalog.chip(system.chip);
  const engine = servingEngine(spec.engine ?? defaultServingEngine(catalog, chip.id), `${field}.engine`, engines);
  // An engine named for the other runtime cannot start on this chip (vLLM's CUDA build on Trainium).
  const chipRuntime = servingRuntime(catalog, chip.id);
  if (spec.engine !== undefined && engine.runtime !== chipRuntime)
    throw new UltrasimError(
      "INVALID_INPUT",
      `${engine.id} runs on ${engine.runtime === "neuron" ? "AWS Neuron (Trainium, Inferentia)" : "NVIDIA GPUs (CUDA)"}, not on ${chip.id}: use ${(
        engines ?? BUILTIN_SERVING_ENGINES
      )
        .filter((e) => e.runtime === chipRuntime)
        .map((e) => e.id)
        .join(", ")}`,
      { field: `${field}.engine` },
    );
  const pp = spec.pp ?? 1;
  const { attentionDp, ep, etp } = expertDegrees(spec, field);
  if (model.moe && model.moe.experts % ep !== 0)
    throw new UltrasimError("INVALID_DEGREE", `ep ${ep} must divide the model's ${model.moe.experts} experts`, { field: `${field}.ep` });
  for (const [name, p] of [
    ["precision", spec.precision],
    ["kvCachePrecision", spec.kvCachePrecision],
  ] as const) {
    if (
      p &&
      widthClass(p) !== "b16" &&
      !chip.peakTflops[p] &&
      !(widthClass(p) === "b8" ? chip.peakTflops.fp8 || chip.peakTflops.mxfp8 : chip.peakTflops.nvfp4 || chip.peakTflops.mxfp4)
    )
      throw new UltrasimError("INVALID_INPUT", `${chip.id} has no ${p} support (its rates: ${Object.keys(chip.peakTflops).join(", ")})`, {
        field: `${field}.${name}`,
      });
  }
  const serving = servingEfficiency(catalog, chip.id, servingEntries);
  // The serving fit's `compute` multiplies the training efficiencies it was fitted against (its own
  // chip's, recorded with it); a chip borrowing another's fit applies it to its own current calibration.
  const base = serving.kernelBasis?.efficiency ?? catalog.efficiency(chip.id).efficiency;
  const c = serving.efficiency.compute;
  const hw = catalog.hardware(spec.system, {
    // What the serving fit saw, whole (its kernels' shape curves and collectives too), then its own figures.
    ...(serving.kernelBasis?.efficiency ?? {}),
    memory: serving.efficiency.memory,
    gemm: { b16: Math.min(1, base.gemm.b16 * c), b8: Math.min(1, base.gemm.b8 * c), b4: Math.min(1, base.gemm.b4 * c) },
    attention: Math.min(1, base.attention * c),
    ...override,
  });
  const kvPrecision = spec.kvCachePrecision ?? defaultKvPrecision(spec.precision);
  // A static-shape runtime runs its compiled batch and buckets, and has no token budget.
  const staticShapes: StaticShapes | null = engine.staticShapes
    ? (() => {
        const compiledBatch = spec.compiledBatch ?? spec.batching.maxBatch;
        return {
          compiledBatch,
          buckets: [...(spec.sequenceBuckets ?? defaultSequenceBuckets(longestContext))].sort((a, b) => a - b),
          prefillBatch: engine.staticShapes.prefillBatch ?? compiledBatch,
        };
      })()
    : null;
  if (!staticShapes && (spec.compiledBatch !== undefined || spec.sequenceBuckets !== undefined))
    throw new UltrasimError(
      "INVALID_INPUT",
      `${engine.id} runs dynamic shapes: compiledBatch and sequenceBuckets are for static-shape engines (Neuron)`,
      {
        field: `${field}.${spec.compiledBatch !== undefined ? "compiledBatch" : "sequenceBuckets"}`,
      },
    );
  const maxBatch = staticShapes ? Math.min(spec.batching.maxBatch, staticShapes.compiledBatch) : spec.batching.maxBatch;
  // A static-shape runtime's largest iteration is its context-encoding graph at the longest bucket.
  const maxTokens =
    spec.batching.maxTokensPerIteration ??
    engine.maxTokensPerIteration ??
    (staticShapes
      ? Math.max(staticShapes.prefillBatch * staticShapes.buckets[staticShapes.buckets.length - 1]!, staticShapes.compiledBatch)
      : DEFAULT_MAX_TOKENS_PER_ITERATION);
  const iterationOverhead =
    spec.iterationOverheadUs !== undefined
      ? { us: spec.iterationOverheadUs, provenance: "the scenario's iterationOverheadUs" }
      : { us: engine.iterationOverheadUs.value, provenance: `${engine.id}: ${engine.iterationOverheadUs.provenance}` };
  const hostOverlap = hostOverlapOf(engine, spec);
  if (role === "decode" && spec.routing !== undefined)
    throw new UltrasimError(
      "INVALID_INPUT",
      "the decode pool takes each request from the prefill pool, which routes it: give routing on the prefill pool",
      {
        field: `${field}.routing`,
      },
    );
  const blockTokens = spec.kvBlockTokens ?? DEFAULT_KV_BLOCK_TOKENS;
  const logicalCoresPerChip = ranksPerChip(chip);
  if (spec.speculative && role === "prefill")
    throw new UltrasimError("INVALID_INPUT", "a prefill pool decodes no tokens to speculate on: give speculative on the decode pool", {
      field: `${field}.speculative`,
    });
  // GPU runtimes launch kernels: a layer's fixed time goes by its kernels (layerKernels.ts).
  const overheadPerKernel = engine.runtime === "cuda";
  const speculative = spec.speculative
    ? resolveSpeculative(spec.speculative, {
        model,
        catalog,
        hw,
        serving: serving.efficiency,
        precision: spec.precision,
        kvPrecision,
        tp: spec.tp,
        ep,
        attentionDp,
        etp,
        logicalCoresPerChip,
        overheadPerKernel,
        field,
      })
    : null;
  const memory = kvCapacity(model, hw, {
    precision: spec.precision,
    kvPrecision,
    tp: spec.tp,
    pp,
    attentionDp,
    logicalCoresPerChip,
    maxTokensPerIteration: maxTokens,
    maxBatch: spec.batching.maxBatch,
    memoryUtilization: spec.memoryUtilization ?? DEFAULT_MEMORY_UTILIZATION,
    blockTokens,
    draft: speculative
      ? {
          weightBytesPerChip: speculative.summary.draftWeightBytesPerChip,
          kvBytesPerTokenPerChip: speculative.summary.draftKvBytesPerTokenPerChip,
        }
      : undefined,
  });
  const shape = kvShape(model, kvPrecision, spec.tp, pp, logicalCoresPerChip);
  const prefixCaching = prefixCachingOf(
    engine,
    spec,
    field,
    staticShapes !== null,
    spec.batching.policy === "static",
    shape.fullLayers > 0,
  );
  const virtualEngines = spec.replicas * attentionDp * pp;
  const blocksPerEngine = Math.floor(memory.blocks / pp);
  const targetIteration = createIterationModel({
    model,
    hw,
    serving: serving.efficiency,
    precision: spec.precision,
    kvPrecision,
    tp: spec.tp,
    pp,
    ep,
    attentionDp,
    etp,
    logicalCoresPerChip,
    iterationOverheadUs: iterationOverhead.us,
    hostOverlap: hostOverlap.value,
    prefillCallOverheadUs: staticShapes ? (engine.prefillCallOverheadUs?.value ?? 0) : 0,
    moeExperts: engine.moeExperts ?? null,
    overheadPerKernel,
    expertLoadImbalance: spec.expertLoadImbalance ?? 1,
  });
  const runtime: PoolRuntime = {
    role,
    replicas: virtualEngines,
    scheduler: SCHEDULERS[spec.batching.policy === "static" ? "static-batch" : engine.scheduler],
    maxBatch,
    maxTokensPerIteration: maxTokens,
    chunkedPrefill: spec.batching.chunkedPrefill ?? engine.chunkedPrefill,
    kvAdmission: spec.batching.kvAdmission ?? engine.kvAdmission,
    staticShapes,
    // A static batch runs fixed batches to their end, as a benchmark does, with nothing carried over.
    prefixCaching: prefixCaching.value,
    routing: spec.routing ?? "least-loaded",
    blockTokens,
    capacityBlocks: blocksPerEngine,
    kvShape: shape,
    iteration: speculative ? speculativeIterationModel(targetIteration, speculative, hostOverlap.value) : targetIteration,
    speculative: speculative?.runtime ?? null,
    schedulesAhead: hostOverlap.value,
    streamInterval: spec.streamInterval ?? 1,
  };
  const capacityBytesPerChip = hw.hbmBytes * (spec.memoryUtilization ?? DEFAULT_MEMORY_UTILIZATION) - hw.runtimeReservedBytes;
  // GPU engines shard whole attention heads over tensor parallelism (vLLM and SGLang refuse a tp that
  // does not divide them); Neuron's runtimes pad the heads instead (headSharding.ts). A pipeline stage
  // needs a layer.
  const ranks = spec.tp * logicalCoresPerChip;
  const shapeProblem =
    !staticShapes && model.heads % ranks !== 0
      ? `tp ${spec.tp} does not divide the model's ${model.heads} attention heads, which ${engine.id} shards whole: pick a tp that divides them`
      : pp > model.layers
        ? `pp ${pp} is more pipeline stages than the model's ${model.layers} layers`
        : null;
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  const utilization = spec.memoryUtilization ?? DEFAULT_MEMORY_UTILIZATION;
  const infeasible =
    shapeProblem ??
    (capacityBytesPerChip <= 0
      ? `memoryUtilization ${utilization} of ${chip.id}'s ${gb(hw.hbmBytes)} is no more than the ${gb(hw.runtimeReservedBytes)} its runtime reserves: raise memoryUtilization`
      : blocksPerEngine < 1 && spec.kvBlockTokens !== undefined && memory.unblockedTokens >= pp
        ? `one KV block of ${blockTokens.toLocaleString("en-US")} tokens is more than the ${gb(memory.kvBytesPerChip)} per chip left for the KV cache: lower kvBlockTokens`
        : blocksPerEngine < 1
          ? `the weights (${gb(memory.weightBytesPerChip)} per chip)${speculative && speculative.summary.draftWeightBytesPerChip > 0 ? `, the drafter's (${gb(speculative.summary.draftWeightBytesPerChip)})` : ""} and activations (${gb(memory.activationBytesPerChip)}) leave no room for a KV cache in ${gb(capacityBytesPerChip)} usable on ${chip.id}: raise tp or pp, or lower the precision`
          : null);
  return {
    runtime,
    hw,
    infeasible,
    summary: {
      role,
      systemId: system.id,
      chipId: chip.id,
      chips: spec.tp * attentionDp * pp * spec.replicas,
      tp: spec.tp,
      tensorParallelRanks: spec.tp * logicalCoresPerChip,
      pp,
      ep,
      replicas: spec.replicas,
      attentionDp,
      etp,
      virtualEngines,
      kvTokensPerVirtualEngine: blocksPerEngine * blockTokens,
      precision: spec.precision,
      kvCachePrecision: kvPrecision,
      policy: spec.batching.policy,
      engine: engine.id,
      scheduler: spec.batching.policy === "static" ? "static-batch" : engine.scheduler,
      maxBatch: runtime.maxBatch,
      maxTokensPerIteration: maxTokens,
      chunkedPrefill: runtime.chunkedPrefill,
      kvAdmission: runtime.kvAdmission,
      memory: { ...memory, capacityBytesPerChip },
      kvBytesPerToken: kvBytesPerToken(model, kvPrecision),
      staticShapes,
      iterationOverhead,
      hostOverlap,
      prefixCaching,
      routing: spec.routing ?? "least-loaded",
      efficiencyProvenance: `${hw.efficiencyProvenance}; ${serving.provenance}`,
      speculative: speculative?.summary ?? null,
    },
  };
}

/**
 * Whether a pool caches shared prefixes: the scenario's prefixCaching, else its engine's default.
 * Static-shape runtimes (Neuron) compile prefix caching into their graphs (NxD Inference's block KV
 * layout and kernels), which this simulator does not model: asking for it there is refused. A static
 * batch (a benchmark's fixed batches) carries nothing over, and a model whose every layer is windowed
 * keeps only the window: neither caches.
 */
function prefixCachingOf(
  engine: ServingEngine,
  spec: PoolSpec,
  field: string,
  staticShapes: boolean,
  staticBatch: boolean,
  fullAttention: boolean,
): { value: boolean; provenance: string } {
  if (spec.prefixCaching !== false && staticBatch)
    return { value: false, provenance: "a static batch (batching.policy: static) runs fixed batches and carries nothing over" };
  if (spec.prefixCaching !== false && !fullAttention)
    return { value: false, provenance: "every layer of the model attends a sliding window: the cache keeps no whole prefix" };
  if (spec.prefixCaching === undefined)
    return { value: engine.prefixCaching.value, provenance: `${engine.id}'s default: ${engine.prefixCaching.source}` };
  if (spec.prefixCaching && staticShapes)
    throw new UltrasimError(
      "INVALID_INPUT",
      `prefix caching on ${engine.id} is not modelled: its static-shape graphs compile it in (NxD Inference's block KV layout), unlike the dynamic-shape engines (vllm, sglang, trtllm)`,
      { field: `${field}.prefixCaching` },
    );
  return { value: spec.prefixCaching, provenance: "the scenario's prefixCaching" };
}

/**
 * The MoE layers' degrees: they span a replica's tp x attentionDp chips per stage, as ep
 * expert-parallel ranks each splitting its experts etp ways (ep x etp = tp x attentionDp). Without
 * etp, ep must divide tp x attentionDp and etp is the rest; without ep, ep is what etp leaves.
 */
export function expertDegrees(spec: PoolSpec, field: string): { attentionDp: number; ep: number; etp: number } {
  const attentionDp = spec.attentionDp ?? 1;
  const moeChips = spec.tp * attentionDp;
  const chips = attentionDp > 1 ? `tp ${spec.tp} x attentionDp ${attentionDp} = ${moeChips}` : `tp ${spec.tp}`;
  const etpGiven = spec.etp ?? null;
  if (etpGiven === null) {
    const ep = spec.ep ?? 1;
    if (moeChips % ep !== 0)
      throw new UltrasimError("INVALID_DEGREE", `ep ${ep} must divide ${chips} (experts are spread over the replica's chips)`, {
        field: `${field}.ep`,
      });
    return { attentionDp, ep, etp: moeChips / ep };
  }
  const ep = spec.ep ?? moeChips / etpGiven;
  if (!Number.isInteger(ep) || ep * etpGiven !== moeChips)
    throw new UltrasimError(
      "INVALID_DEGREE",
      `ep ${spec.ep ?? "(not given)"} x etp ${etpGiven} must equal ${chips} (the MoE layers use every chip of the replica's stage)`,
      { field: `${field}.etp` },
    );
  return { attentionDp, ep, etp: etpGiven };
}
