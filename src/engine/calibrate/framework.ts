// Training frameworks as data (data/frameworks.json): what each software stack does that changes a
// step's time or memory, each feature with its source. Fitted figures of a framework (its per-layer
// overhead, how much of its tensor-parallel traffic hides) live in the calibration, shared by every
// chip it runs on; the features here say which of those can exist at all.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { UltrasimError } from "../errors.js";
import { TRAINING_PRECISIONS, type ChipSpec, type Precision, type TrainingPrecision } from "../catalog/schema.js";

/** `estimate: true` where the value is read from how the software is built, not stated by its sources. */
const sourced = <T extends TSchema>(value: T) =>
  Type.Object(
    {
      value,
      source: Type.String({ minLength: 1 }),
      estimate: Type.Optional(Type.Boolean()),
      note: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  );
const SourcedFlag = sourced(Type.Boolean());
const SourcedText = sourced(Type.String());
const SourcedFraction = sourced(Type.Number({ minimum: 0, maximum: 1 }));
const SourcedBytes = sourced(Type.Number({ exclusiveMinimum: 0, maximum: 1000 }));

/**
 * A fused Adam step over fp32 master weights, per parameter: gradient, weight and both moments read
 * (4 x 4 bytes), weight and moments written (3 x 4), one gradient-norm pass (4) and the 16-bit copy
 * of the weight (2). What a framework that names no optimizer of its own is charged.
 */
export const FUSED_ADAM_BYTES_PER_PARAM = 34;

/** One fp32 copy of the logits: what a framework that names no loss of its own holds for it. */
export const FP32_LOGITS_BYTES = 4;

/**
 * What `recompute: selective` keeps and re-runs. `core-attention`: Megatron's, all but the core attention
 * kept (Korthikanti et al. 2022, sec. 5). `op-level`: PyTorch's op-level policy (torchtitan), every other
 * matmul output kept. `attention-projections`: only the q, k, v and o projections' outputs kept, the
 * core attention, the MLP and the norms re-run (AXLearn's default remat, `build_remat_spec` in
 * axlearn/common/attention.py with save pattern NATIVE_ATTENTION; under flash attention the context is
 * not among the saved names).
 */
export const SELECTIVE_RECOMPUTE_KINDS = ["core-attention", "op-level", "attention-projections"] as const;
export type SelectiveRecompute = (typeof SELECTIVE_RECOMPUTE_KINDS)[number];

export const FrameworkSpec = Type.Object(
  {
    id: Type.String({ pattern: "^[a-z0-9][a-z0-9._-]*$" }),
    name: Type.String(),
    /**
     * A dated release of another framework's line (`versionOf`, as of the year `asOf`): a validation
     * group whose groups.json names that software, "as of" a year, reads the latest release up to it.
     */
    versionOf: Type.Optional(Type.String()),
    asOf: Type.Optional(Type.Integer({ minimum: 1990, maximum: 2100 })),
    /**
     * The framework whose fitted parameters (per-layer overhead, overlaps) this one reads: a release
     * that shares its kernels and launch path, and differs only in the sourced features below.
     */
    fittedWith: Type.Optional(Type.String()),
    /** The software stack it runs on: NVIDIA's CUDA (GPUs) or AWS Neuron (Trainium). */
    runtime: Type.Union([Type.Literal("cuda"), Type.Literal("neuron")]),
    /**
     * The chips it runs on, where its sources name them (a chip counts as its own or any it borrows
     * efficiencies from); absent: every chip of its runtime.
     */
    chips: Type.Optional(sourced(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }))),
    /** Tensor-parallel collectives overlapped with the GEMMs around them (userbuffers, async TP). */
    tpCommOverlap: SourcedFlag,
    /**
     * Without that overlap: the input-gradient all-reduce (reduce-scatter under sequence parallelism)
     * of each column-parallel linear runs asynchronously beside its weight-gradient GEMM, and the
     * re-gather of its sequence-parallel input beside its input-gradient GEMM.
     */
    tpBackwardOverlap: SourcedFlag,
    /**
     * Gradient reduction overlapped with the backward pass, bucket by bucket; "without-pipeline": only
     * where the layout has no pipeline parallelism (Megatron-LM before Megatron-Core: torch DDP, whose
     * reduction the schedule defers to the last micro-batch only without pipelining, else its local
     * DDP, which reduces after the whole forward-backward pass).
     */
    dataParallelOverlap: sourced(Type.Union([Type.Boolean(), Type.Literal("without-pipeline")])),
    /**
     * An fp16 run reduces its gradients in fp16: the loss-scaled 16-bit gradient buffer, as Megatron
     * keeps it unless told to accumulate in fp32 (which it forces for bf16). Otherwise, and in bf16
     * runs, gradients are reduced in fp32.
     */
    fp16GradientReduce: SourcedFlag,
    /** Pipeline sends and receives run beside compute instead of blocking it. */
    pipelineSendOverlap: SourcedFlag,
    /** Without sequence parallelism, each tensor-parallel rank sends 1/tp of a stage's output, then all-gathers. */
    pipelineScatterGather: SourcedFlag,
    fp8Recipe: SourcedText,
    /**
     * The precisions it trains in: 16-bit mixed precision, and the 8- or 4-bit recipes it has. A run
     * asked for another runs at the nearest one it has that the chip also has (hardware.ts trainingPrecisionRunsAt).
     */
    trainingPrecisions: sourced(
      Type.Array(Type.Union(TRAINING_PRECISIONS.map((p) => Type.Literal(p))), {
        minItems: 1,
        uniqueItems: true,
      }),
    ),
    /** ZeRO-3 as PyTorch FSDP2 does it: the sharded parameter is the fp32 master; no bf16 copy persists. */
    fsdpShardsFp32Params: SourcedFlag,
    /**
     * With pipeline parallelism, FSDP keeps each stage's 16-bit weights gathered between a micro-batch's
     * forward and backward (no reshard after forward) and accumulates its unsharded gradients in fp32
     * until the last micro-batch's reduce-scatter (the pipeline schedule's no-sync).
     */
    fsdpUnshardedUnderPipeline: SourcedFlag,
    /**
     * The ZeRO stages (Rajbhandari et al. 2020) the framework offers: 0 is plain data parallelism, 1
     * shards optimizer states (Megatron's distributed optimizer, NxD's ZeRO-1), 2 gradients too, 3
     * parameters too (FSDP). A layout asking for another is not one this software can run.
     */
    zeroStages: Type.Object(
      {
        value: Type.Array(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3)]), {
          minItems: 1,
          uniqueItems: true,
        }),
        source: Type.String({ minLength: 1 }),
        estimate: Type.Optional(Type.Boolean()),
        note: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    /**
     * What `recompute: selective` means: Megatron's core-attention recompute, PyTorch's op-level policy,
     * or a policy that saves only the attention projections (AXLearn's default remat).
     */
    selectiveRecompute: Type.Object(
      {
        value: Type.Union(SELECTIVE_RECOMPUTE_KINDS.map((k) => Type.Literal(k))),
        source: Type.String({ minLength: 1 }),
        estimate: Type.Optional(Type.Boolean()),
        note: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    /** Memory the allocator holds beyond what tensors use, as a fraction of that use. */
    allocatorOverheadFraction: SourcedFraction,
    /**
     * HBM bytes the optimizer step reads and writes per parameter it updates: every pass its code
     * makes over gradients, fp32 master weights and Adam's moments (copies, unscaling, the gradient
     * norm, the update, the copy back to the 16-bit weights; zeroing the gradient buffer is not counted).
     */
    optimizerBytesPerParam: SourcedBytes,
    /**
     * The core-attention kernels: flash attention (no s x s scores in memory, Dao et al. 2022) as the
     * die's best kernel ("flash": cuDNN or FlashAttention-3 on Hopper) or as FlashAttention-2
     * ("flash2", at the fraction of that rate data/attention-kernels.json gives per die), or the
     * unfused kernels of Megatron-LM 2021-22 (QK^T and AV as batched GEMMs around a fused
     * scale-mask-softmax and attention dropout, each reading and writing the s x s scores through HBM).
     */
    attentionKernel: Type.Object(
      {
        value: Type.Union([Type.Literal("flash"), Type.Literal("flash2"), Type.Literal("unfused")]),
        source: Type.String({ minLength: 1 }),
        estimate: Type.Optional(Type.Boolean()),
        note: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    /**
     * The memory-bound kernels between the GEMMs (norms, rotary embedding, activation, copies): fused
     * (Transformer Engine, Apex and Megatron's fused kernels; XLA and the Neuron compiler, which fuse a
     * traced graph; torch.compile), or eager PyTorch, one kernel per op (analytic/layerCost.ts
     * `eagerElementwiseBytes`).
     */
    elementwiseKernels: sourced(Type.Union([Type.Literal("fused"), Type.Literal("eager")])),
    /**
     * Bytes per logit the loss holds at its peak on the last pipeline stage (per micro-batch, over the
     * rank's vocabulary slice): the 16-bit logits, their fp32 copy, the softmax it saves for the
     * backward and the gradients the backward makes, as many as are alive at once.
     */
    lossBytesPerLogit: sourced(Type.Number({ exclusiveMinimum: 0, maximum: 64 })),
  },
  { additionalProperties: false },
);
export type FrameworkSpec = Static<typeof FrameworkSpec>;

export const FrameworkCatalog = Type.Object(
  {
    defaults: Type.Object({
      note: Type.Optional(Type.String()),
      /** The framework a chip runs when a scenario names none, where it differs from its vendor's. */
      byChip: Type.Optional(Type.Record(Type.String(), Type.String())),
      byChipSource: Type.Optional(Type.String()),
      /** The framework a chip's vendor's chips run when a scenario names none; its runtime is theirs. */
      byVendor: Type.Record(Type.String(), Type.String()),
      /** The collective library (whose fitted bandwidth efficiencies apply) by chip vendor. */
      collectivesByVendor: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
    frameworks: Type.Array(FrameworkSpec, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type FrameworkCatalog = Static<typeof FrameworkCatalog>;

export type ZeroStage = 0 | 1 | 2 | 3;

/** What the step model reads of a framework. */
export interface SoftwareFeatures {
  framework: string;
  runtime: "cuda" | "neuron";
  trainingPrecisions: readonly TrainingPrecision[];
  tpCommOverlap: boolean;
  tpBackwardOverlap: boolean;
  dataParallelOverlap: boolean | "without-pipeline";
  fp16GradientReduce: boolean;
  pipelineSendOverlap: boolean;
  pipelineScatterGather: boolean;
  allocatorOverheadFraction: number;
  optimizerBytesPerParam: number;
  fsdpShardsFp32Params: boolean;
  fsdpUnshardedUnderPipeline: boolean;
  zeroStages: readonly ZeroStage[];
  selectiveRecompute: SelectiveRecompute;
  attentionKernel: "flash" | "flash2" | "unfused";
  elementwiseKernels: "fused" | "eager";
  lossBytesPerLogit: number;
}

/** A framework that overlaps nothing but the gradient reduction: what a bare Hardware assumes (tests, tools). */
export const PLAIN_SOFTWARE: SoftwareFeatures = {
  framework: "plain",
  runtime: "cuda",
  trainingPrecisions: TRAINING_PRECISIONS,
  tpCommOverlap: false,
  tpBackwardOverlap: false,
  dataParallelOverlap: true,
  fp16GradientReduce: false,
  pipelineSendOverlap: false,
  pipelineScatterGather: false,
  allocatorOverheadFraction: 0,
  optimizerBytesPerParam: FUSED_ADAM_BYTES_PER_PARAM,
  fsdpShardsFp32Params: false,
  fsdpUnshardedUnderPipeline: false,
  zeroStages: [0, 1, 2, 3],
  selectiveRecompute: "core-attention",
  attentionKernel: "flash",
  elementwiseKernels: "fused",
  lossBytesPerLogit: FP32_LOGITS_BYTES,
};

export function softwareFeatures(f: FrameworkSpec): SoftwareFeatures {
  return {
    framework: f.id,
    runtime: f.runtime,
    trainingPrecisions: f.trainingPrecisions.value,
    tpCommOverlap: f.tpCommOverlap.value,
    tpBackwardOverlap: f.tpBackwardOverlap.value,
    dataParallelOverlap: f.dataParallelOverlap.value,
    fp16GradientReduce: f.fp16GradientReduce.value,
    pipelineSendOverlap: f.pipelineSendOverlap.value,
    pipelineScatterGather: f.pipelineScatterGather.value,
    allocatorOverheadFraction: f.allocatorOverheadFraction.value,
    optimizerBytesPerParam: f.optimizerBytesPerParam.value,
    fsdpShardsFp32Params: f.fsdpShardsFp32Params.value,
    fsdpUnshardedUnderPipeline: f.fsdpUnshardedUnderPipeline.value,
    zeroStages: f.zeroStages.value,
    selectiveRecompute: f.selectiveRecompute.value,
    attentionKernel: f.attentionKernel.value,
    elementwiseKernels: f.elementwiseKernels.value,
    lossBytesPerLogit: f.lossBytesPerLogit.value,
  };
}

/** Whether the framework reduces gradients during the backward pass of a layout with `pp` pipeline stages. */
export function overlapsGradientReduction(software: SoftwareFeatures, pp: number): boolean {
  return software.dataParallelOverlap === "without-pipeline" ? pp === 1 : software.dataParallelOverlap;
}

/** Bytes per parameter of the data-parallel gradient reduction: fp32, or fp16 where the framework keeps fp16 gradients. */
export function gradientReduceBytes(software: SoftwareFeatures, precision: Precision): number {
  return software.fp16GradientReduce && precision === "fp16" ? 2 : 4;
}

/**
 * The framework a scenario names, else the chip's own default, else its vendor's. A named framework
 * must run on the chip's runtime (that of its vendor's default): Megatron does not run on a NeuronCore;
 * and on the chip itself where it names its chips (`lineage`: the chip and those it borrows from).
 */
export function resolveFramework(
  frameworks: FrameworkCatalog,
  chip: ChipSpec,
  id?: string | null,
  field = "framework",
  lineage: readonly string[] = [chip.id],
): FrameworkSpec {
  const find = (wanted: string) => {
    const found = frameworks.frameworks.find((f) => f.id === wanted);
    if (!found)
      throw new UltrasimError(
        "UNKNOWN_ID",
        `unknown framework '${wanted}'. Known: ${frameworks.frameworks.map((f) => f.id).join(", ")} (list them: ultrasim catalog frameworks)`,
        { field },
      );
    return found;
  };
  const byVendor = frameworks.defaults.byVendor[chip.vendor];
  if (id === undefined || id === null) return find(frameworks.defaults.byChip?.[chip.id] ?? byVendor ?? frameworks.frameworks[0]!.id);
  const named = find(id);
  const runtime = byVendor ? find(byVendor).runtime : named.runtime;
  const runsOn = (f: FrameworkSpec) => !f.chips || lineage.some((c) => f.chips!.value.includes(c));
  const fitting = () =>
    frameworks.frameworks
      .filter((f) => f.runtime === runtime && runsOn(f))
      .map((f) => f.id)
      .join(", ");
  if (named.runtime !== runtime)
    throw new UltrasimError(
      "INVALID_INPUT",
      `framework '${named.id}' runs on ${RUNTIME_NAMES[named.runtime]}, and ${chip.id} runs ${RUNTIME_NAMES[runtime]}: ` +
        `frameworks for it are ${fitting()} (ultrasim catalog frameworks)`,
      { field },
    );
  if (!runsOn(named))
    throw new UltrasimError(
      "INVALID_INPUT",
      `framework '${named.id}' runs on ${named.chips!.value.join(", ")} (${named.chips!.source}), not ${chip.id}: ` +
        `frameworks for it are ${fitting()} (ultrasim catalog frameworks)`,
      { field },
    );
  return named;
}

const RUNTIME_NAMES = { cuda: "CUDA (NVIDIA GPUs)", neuron: "AWS Neuron (Trainium)" } as const;

/**
 * Throws where a layout asks for a ZeRO stage its framework does not offer: a configuration that
 * software cannot run, reported like degrees that do not divide.
 */
export function checkZeroStage(software: SoftwareFeatures, zero: number): void {
  if ((software.zeroStages as readonly number[]).includes(zero)) return;
  throw new UltrasimError(
    "INVALID_DEGREE",
    `ZeRO-${zero} is not offered by ${software.framework}, which offers ${zeroStagesText(software.zeroStages)} (data/frameworks.json)`,
    { field: "parallelism.zero" },
  );
}

/**
 * The ZeRO stage a layout takes where none is given: 1 (optimizer states sharded over data
 * parallelism), else the least sharding every one of `frameworks` offers (TorchTitan's FSDP: 2).
 */
export function defaultZeroStage(...frameworks: SoftwareFeatures["zeroStages"][]): ZeroStage {
  return ([1, 2, 3, 0] as const).find((z) => frameworks.every((offered) => offered.includes(z))) ?? 1;
}

/** "ZeRO-0 and ZeRO-1", for messages and plan notes. */
export function zeroStagesText(stages: readonly number[]): string {
  const names = [...stages].sort((a, b) => a - b).map((z) => `ZeRO-${z}`);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * A release names the framework it is a version of and the one whose fitted values it reads; both
 * must be frameworks of the catalog, or its fitted values would silently fall back to priors.
 */
export function checkFrameworkLinks(catalog: FrameworkCatalog): void {
  const ids = new Set(catalog.frameworks.map((f) => f.id));
  catalog.frameworks.forEach((f, i) => {
    for (const field of ["versionOf", "fittedWith"] as const) {
      const id = f[field];
      if (id !== undefined && !ids.has(id))
        throw new UltrasimError("UNKNOWN_ID", `framework '${f.id}': ${field} '${id}' is not a framework. Known: ${[...ids].join(", ")}`, {
          field: `frameworks.${i}.${field}`,
        });
    }
  });
}

/**
 * The framework a validation group ran: its groups.json software at the release its "via" text dates
 * ("Megatron-LM as of Korthikanti et al., 2022"). Of that software's releases (the framework of that
 * id and those that are a `versionOf` it), the latest `asOf` in that year or before; the software's
 * own id where the text names no year or no release is that old.
 */
export function frameworkOfGroup(frameworks: readonly FrameworkSpec[], software: string, via?: string): string {
  const years = via?.match(/\b(?:19|20)\d\d\b/g);
  if (!years) return software;
  const year = Number(years[years.length - 1]);
  let best: FrameworkSpec | undefined;
  for (const f of frameworks) {
    if (f.id !== software && f.versionOf !== software) continue;
    if (f.asOf === undefined || f.asOf > year) continue;
    if (!best || f.asOf > best.asOf!) best = f;
  }
  return best?.id ?? software;
}
