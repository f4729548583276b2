// The schemas of everything ultrasim reads: chips, systems, models, and training scenarios.
// Each schema is JSON Schema (TypeBox builds it) and its static type; `ultrasim schema` publishes
// them so editors can complete and check scenario and catalog files.
import { Type, type Static, type TBoolean, type TNumber, type TSchema } from "@sinclair/typebox";
import { bounded } from "../bounds.js";

/** A figure from the outside world, with where it came from; `value` as the given schema allows. */
function sourcedFigure<T extends TNumber | TBoolean>(value: T) {
  return Type.Object(
    {
      value,
      source: Type.String({ minLength: 1, description: "URL or citation the value comes from" }),
      estimate: Type.Optional(Type.Boolean({ description: "true where the value is an estimate, not a published figure" })),
      projected: Type.Optional(Type.Boolean({ description: "true where derived from an announcement for an unreleased part" })),
      note: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  );
}

export const Sourced = Type.Object(
  {
    value: Type.Number(),
    source: Type.String({ minLength: 1, description: "URL or citation the value comes from" }),
    estimate: Type.Optional(Type.Boolean({ description: "true where the value is an estimate, not a published figure" })),
    projected: Type.Optional(Type.Boolean({ description: "true where derived from an announcement for an unreleased part" })),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type Sourced = Static<typeof Sourced>;

/** A sourced figure that must be above zero: a peak, a bandwidth, a capacity, a latency, a power. */
export const PositiveSourced = sourcedFigure(Type.Number({ exclusiveMinimum: 0, ...bounded("hardwareFigure") }));
/** A sourced figure that may be zero but not below: memory a runtime keeps for itself. */
export const NonNegativeSourced = sourcedFigure(Type.Number({ minimum: 0, ...bounded("hardwareFigure") }));

export const PRECISIONS = ["fp32", "tf32", "bf16", "fp16", "fp8", "mxfp8", "nvfp4", "mxfp4"] as const;
export const Precision = Type.Union(PRECISIONS.map((p) => Type.Literal(p)));
export type Precision = Static<typeof Precision>;

const Id = Type.String({ pattern: "^[a-z0-9][a-z0-9._-]*$", description: "lower-case id: letters, digits, '.', '_' and '-'" });

/** One NeuronCore engine that streams elements through lanes: vector, scalar or GpSimd. */
export const NeuronStreamEngine = Type.Object(
  {
    /** Elements in and out per engine cycle, for data types other than BF16/FP16/FP8 (the NKI guides' data-path width). */
    elementsPerCycle: PositiveSourced,
    /** Elements per cycle for BF16/FP16/FP8 where the engine has a faster mode for them. */
    bf16ElementsPerCycle: Type.Optional(PositiveSourced),
    clockGHz: PositiveSourced,
    /** The engine's FP32 TFLOP/s per core as AWS states it; not used by the model (it does not reconcile with lanes x clock). */
    fp32TflopsPerCore: Type.Optional(PositiveSourced),
  },
  { additionalProperties: false },
);
export type NeuronStreamEngine = Static<typeof NeuronStreamEngine>;

/** A Neuron chip's core: its four engines and on-chip SRAM, per physical NeuronCore. */
export const NeuronCoreSpec = Type.Object(
  {
    generation: Type.Union([Type.Literal("v2"), Type.Literal("v3"), Type.Literal("v4"), Type.Literal("v5")]),
    /** Where the generation and the engine layout are described. */
    source: Type.String({ minLength: 1 }),
    coresPerChip: PositiveSourced,
    /** Physical cores per logical core by default (LNC); logicalCoresPerChip = coresPerChip / defaultLnc. */
    defaultLnc: PositiveSourced,
    sbufMiBPerCore: PositiveSourced,
    psumMiBPerCore: PositiveSourced,
    /** Collective-communication cores per chip: collectives run on these and the DMA engines, beside the NeuronCores' compute. */
    collectiveCoresPerChip: Type.Optional(PositiveSourced),
    /** DMA engines per chip, which move data within and across chips. */
    dmaEnginesPerChip: Type.Optional(PositiveSourced),
    /**
     * Whether the DMA engines transpose tensors on their way into SBUF (new in NeuronCore-v3). Without
     * it, attention's transposes are matmuls on the tensor engine plus PSUM copies (analytic/neuronCore.ts).
     */
    dmaTranspose: Type.Optional(sourcedFigure(Type.Boolean())),
    engines: Type.Object(
      {
        tensor: Type.Object(
          {
            systolicRows: PositiveSourced,
            systolicColumns: PositiveSourced,
            clockGHz: PositiveSourced,
            bf16TflopsPerCore: PositiveSourced,
          },
          { additionalProperties: false },
        ),
        vector: NeuronStreamEngine,
        scalar: NeuronStreamEngine,
        gpsimd: NeuronStreamEngine,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type NeuronCoreSpec = Static<typeof NeuronCoreSpec>;

export const ChipSpec = Type.Object(
  {
    id: Id,
    name: Type.String(),
    vendor: Type.String(),
    status: Type.Union([Type.Literal("shipping"), Type.Literal("announced"), Type.Literal("projected")]),
    /**
     * Dense (non-sparse) peak per precision, in TFLOP/s, each from the datasheet. The precisions listed
     * are the ones the chip has in hardware: another runs at the nearest one it has, and the output
     * says so (system/hardware.ts precisionRunsAt).
     */
    peakTflops: Type.Object(
      {
        bf16: PositiveSourced,
        fp32: Type.Optional(PositiveSourced),
        tf32: Type.Optional(PositiveSourced),
        fp16: Type.Optional(PositiveSourced),
        fp8: Type.Optional(PositiveSourced),
        mxfp8: Type.Optional(PositiveSourced),
        nvfp4: Type.Optional(PositiveSourced),
        mxfp4: Type.Optional(PositiveSourced),
      },
      { additionalProperties: false },
    ),
    hbmCapacityGB: PositiveSourced,
    hbmBandwidthTBps: PositiveSourced,
    sramMiB: Type.Optional(PositiveSourced),
    /** Scale-up (NVLink / NeuronLink) bandwidth per chip, both directions together, in GB/s. */
    scaleUpGBps: PositiveSourced,
    tdpW: PositiveSourced,
    /**
     * Tensor-parallel ranks one chip runs: Neuron's logical NeuronCores, each its own rank (Trn1 and
     * Inf2 two, Trn2 four at the default LNC=2). Serving pads and copies attention heads per rank
     * (serve/headSharding.ts). Absent: one rank per chip, as on a GPU.
     */
    logicalCoresPerChip: Type.Optional(PositiveSourced),
    /** A Neuron chip's NeuronCore: generation, core count, engines and SRAM. Absent on other chips. */
    neuronCore: Type.Optional(NeuronCoreSpec),
    /** Memory the runtime keeps for itself (context, workspace, allocator slack), in GB. */
    runtimeReservedGB: NonNegativeSourced,
    /**
     * The die this chip is built on. Chips of one die share kernel efficiencies (GEMM, attention) and
     * differ only in what their datasheets say (clocks, power, memory, links). Absent: the chip's id.
     */
    silicon: Type.Optional(Id),
    /** The chip whose fitted efficiencies this one borrows where it has no validation cases of its own. */
    efficiencyFrom: Type.Optional(Type.String()),
    /**
     * The chip whose fitted serving efficiencies this one borrows where it has no inference cases of its
     * own, when that is not `efficiencyFrom`'s chip (the nearest chip on the same serving software).
     */
    servingEfficiencyFrom: Type.Optional(Type.String()),
    notes: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type ChipSpec = Static<typeof ChipSpec>;

export const ScaleUpLevel = Type.Object(
  {
    name: Type.String(),
    /** Chips in one domain of this level (cumulative: a level's domain holds whole domains of the level below). */
    chips: Type.Integer({ minimum: 1, ...bounded("chips") }),
    topology: Type.Union([Type.Literal("switch"), Type.Literal("torus"), Type.Literal("ring")]),
    /** Bandwidth one chip has to the other chips of this level, one direction, in GB/s. */
    bandwidthGBps: PositiveSourced,
    latencyUs: PositiveSourced,
    /**
     * The bus bandwidth the collective library was measured to reach on this level, one direction, at the
     * message sizes training sends (tens of MB), where such a measurement is published: used in place of
     * the line rate times the fitted collective efficiency. Absent, line rate times the fitted efficiency.
     */
    measuredBusBandwidthGBps: Type.Optional(PositiveSourced),
    /** The level's switches reduce in the network (NVLink SHARP): all-reduce runs there (network/algorithms/inNetworkReduction.ts). */
    inNetworkReduction: Type.Optional(
      Type.Object(
        {
          value: Type.Literal("nvls"),
          source: Type.String({ minLength: 1 }),
          note: Type.Optional(Type.String()),
          /**
           * The algorithm bandwidth (bytes per rank over time) the collective library's in-network
           * all-reduce was measured to reach on this level, in GB/s. Absent, the level's bus bandwidth.
           */
          algorithmBandwidthGBps: Type.Optional(PositiveSourced),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ScaleUpLevel = Static<typeof ScaleUpLevel>;

export const SystemSpec = Type.Object(
  {
    id: Id,
    name: Type.String(),
    vendor: Type.String(),
    chip: Type.String(),
    chipsPerSystem: Type.Integer({ minimum: 1, ...bounded("chips") }),
    /** Innermost first. The last level's `chips` equals chipsPerSystem. */
    scaleUp: Type.Array(ScaleUpLevel, { minItems: 1 }),
    scaleOut: Type.Object(
      {
        name: Type.String(),
        /** Scale-out network bandwidth per chip, one direction, in Gb/s. */
        gbpsPerChip: PositiveSourced,
        latencyUs: PositiveSourced,
      },
      { additionalProperties: false },
    ),
    notes: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type SystemSpec = Static<typeof SystemSpec>;

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const MoeSpec = Type.Object(
  {
    experts: Type.Integer({ minimum: 1, ...bounded("experts") }),
    topK: Type.Integer({ minimum: 1, ...bounded("experts") }),
    expertFfnHidden: Type.Integer({ minimum: 1, ...bounded("width") }),
    sharedExperts: Type.Integer({ minimum: 0, ...bounded("experts") }),
    sharedExpertFfnHidden: Nullable(Type.Integer({ minimum: 1, ...bounded("width") })),
    denseLayers: Type.Integer({ minimum: 0, ...bounded("layers"), description: "leading dense (non-MoE) layers" }),
  },
  { additionalProperties: false },
);
export type MoeSpec = Static<typeof MoeSpec>;

export const MlaSpec = Type.Object(
  {
    qLoraRank: Nullable(Type.Integer({ minimum: 1, ...bounded("width") })),
    kvLoraRank: Type.Integer({ minimum: 1, ...bounded("width") }),
    qkNopeHeadDim: Type.Integer({ minimum: 1, ...bounded("width") }),
    qkRopeHeadDim: Type.Integer({ minimum: 1, ...bounded("width") }),
    vHeadDim: Type.Integer({ minimum: 1, ...bounded("width") }),
  },
  { additionalProperties: false },
);
export type MlaSpec = Static<typeof MlaSpec>;

/** A transformer architecture, in the fields of ../shared/validation/README.md. */
export const ModelSpec = Type.Object(
  {
    id: Type.Optional(Id),
    name: Type.String(),
    layers: Type.Integer({ minimum: 1, ...bounded("layers") }),
    hidden: Type.Integer({ minimum: 1, ...bounded("width") }),
    heads: Type.Integer({ minimum: 1, ...bounded("width") }),
    kvHeads: Type.Integer({ minimum: 1, ...bounded("width") }),
    headDim: Nullable(Type.Integer({ minimum: 1, ...bounded("width") })),
    ffnHidden: Type.Integer({ minimum: 1, ...bounded("width") }),
    ffnKind: Type.Union([Type.Literal("gelu"), Type.Literal("swiglu")]),
    vocab: Type.Integer({ minimum: 1, ...bounded("width") }),
    tiedEmbeddings: Type.Boolean(),
    moe: Nullable(MoeSpec),
    mla: Nullable(MlaSpec),
    slidingWindow: Nullable(Type.Integer({ minimum: 1, ...bounded("seqLen") })),
    /** Fraction of layers that use the sliding window (others attend to the full context); default 0.5 where a window is set. */
    slidingWindowLayerFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxContext: Type.Optional(Type.Integer({ minimum: 1, ...bounded("seqLen") })),
    source: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ModelSpec = Static<typeof ModelSpec>;

export const RECOMPUTE = ["none", "selective", "full"] as const;
export const PLACEMENTS = ["tp-cp-dp-pp", "tp-cp-pp-dp"] as const;
export type Placement = (typeof PLACEMENTS)[number];
export type Recompute = (typeof RECOMPUTE)[number];

export const ParallelismSpec = Type.Object(
  {
    tp: Type.Integer({ minimum: 1, ...bounded("chips") }),
    pp: Type.Integer({ minimum: 1, ...bounded("chips") }),
    dp: Type.Integer({ minimum: 1, ...bounded("chips") }),
    cp: Type.Integer({ minimum: 1, ...bounded("chips") }),
    ep: Type.Integer({ minimum: 1, ...bounded("chips"), description: "expert-parallel degree, carved out of dp * cp" }),
    etp: Nullable(Type.Integer({ minimum: 1, ...bounded("chips"), description: "expert tensor-parallel degree; null = tp" })),
    vpp: Nullable(Type.Integer({ minimum: 1, ...bounded("chips"), description: "virtual pipeline stages per rank; 1 = none" })),
    sequenceParallel: Type.Boolean(),
    zero: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3)]),
    recompute: Nullable(Type.Union(RECOMPUTE.map((r) => Type.Literal(r)))),
    recomputeLayers: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 1,
          description:
            "under full recompute, the layers of each virtual pipeline stage that are recomputed; the rest keep their activations (Megatron's --recompute-method block --recompute-num-layers). null or absent = all",
        }),
      ),
    ),
    placement: Type.Optional(
      Type.Union(
        PLACEMENTS.map((p) => Type.Literal(p)),
        {
          description:
            "rank order, innermost first: which groups share a scale-up domain. tp-cp-dp-pp (default, Megatron's) keeps data parallelism inside it; tp-cp-pp-dp (Megatron's --use-tp-pp-dp-mapping) keeps the pipeline inside it",
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ParallelismSpec = Static<typeof ParallelismSpec>;

/**
 * The largest routing imbalance an input may give (the busiest expert-parallel rank's routed tokens
 * over the mean): past it a run is no longer a load-balanced MoE worth modelling as one.
 */
export const MAX_EXPERT_LOAD_IMBALANCE = 64;

/** The precisions a training run may ask for: 16-bit mixed precision and the 8- and 4-bit recipes. */
export const TRAINING_PRECISIONS = ["fp16", "bf16", "fp8", "mxfp8", "nvfp4"] as const;
export type TrainingPrecision = (typeof TRAINING_PRECISIONS)[number];

export const RunSpec = Type.Object(
  {
    seqLen: Type.Integer({ minimum: 1, ...bounded("seqLen") }),
    globalBatch: Type.Integer({ minimum: 1, ...bounded("globalBatch"), description: "sequences per optimizer step" }),
    microBatch: Nullable(Type.Integer({ minimum: 1, ...bounded("globalBatch") })),
    precision: Type.Union(TRAINING_PRECISIONS.map((p) => Type.Literal(p))),
    expertLoadImbalance: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: MAX_EXPERT_LOAD_IMBALANCE,
        description:
          "MoE: tokens routed to the busiest expert-parallel rank over the mean (1, the default: balanced, as benchmarks that force balance run)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type RunSpec = Static<typeof RunSpec>;
