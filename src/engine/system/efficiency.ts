// Achievable fractions of peak, per chip: what turns a roofline into a prediction. They are fitted
// once per chip on the open validation cases (scripts/fit-efficiencies.ts, docs/model.md) or, for an
// H100, measured on the device (data/measurements/). A case never gets a knob of its own.
import { Type, type Static } from "@sinclair/typebox";
import h100 from "../../../data/measurements/h100-sxm.json" with { type: "json" };

export const EfficiencySpec = Type.Object(
  {
    /** Peak fraction a large GEMM reaches, per operand width: 16-bit (bf16/fp16), 8-bit (fp8/mxfp8), 4-bit (nvfp4/mxfp4). */
    gemm: Type.Object({
      b16: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
      b8: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
      b4: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    }),
    /** GEMM efficiency falls as eff * d / (d + gemmHalfDim), d the GEMM's smallest dimension. */
    gemmHalfDim: Type.Number({ minimum: 0 }),
    /** Flash-attention peak fraction (of the 16-bit peak) at long sequences ... */
    attention: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    /** ... falling as k / (k + attentionHalfKeys), k the mean keys attended per query. */
    attentionHalfKeys: Type.Number({ minimum: 0 }),
    /** Flash attention relative to head dimension 128, as [headDim, factor] points, linearly interpolated. */
    attentionHeadDim: Type.Array(Type.Tuple([Type.Number({ exclusiveMinimum: 0 }), Type.Number({ exclusiveMinimum: 0 })]), { minItems: 1 }),
    /** Grouped (MoE expert) GEMMs relative to a dense GEMM of the same shape: routing, padding, per-expert scaling. */
    groupedGemm: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    /** Fraction of HBM bandwidth that memory-bound kernels reach. */
    memory: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    /** Fraction of link bandwidth collectives reach (bus bandwidth over line rate). */
    scaleUp: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    scaleOut: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    /** Fixed time per layer per micro-batch, forward plus backward (kernel launches, framework). */
    layerOverheadUs: Type.Number({ minimum: 0 }),
    /** Fraction of the adjacent GEMMs' time that hides tensor-parallel communication (userbuffers / async TP). */
    tpOverlap: Type.Number({ minimum: 0, maximum: 1 }),
    /** Fraction of expert-parallel all-to-all hidden behind compute. */
    epOverlap: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type Efficiency = Static<typeof EfficiencySpec>;

export const EfficiencyEntry = Type.Object(
  {
    chip: Type.String(),
    efficiency: EfficiencySpec,
    /** How the figures were obtained: "fitted", "measured", "prior". */
    provenance: Type.String(),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type EfficiencyEntry = Static<typeof EfficiencyEntry>;

/**
 * What a chip with no fit of its own and no `efficiencyFrom` assumes: round figures typical of
 * Megatron-class software on current accelerators. Marked "prior" in every report that uses them.
 */
/** What was measured on an H100 (data/measurements/h100-sxm.json), as efficiencies. */
export const H100_MEASURED: Partial<Efficiency> = {
  gemmHalfDim: h100.gemm.b16.halfDim,
  attention: h100.attention.efficiency,
  attentionHalfKeys: h100.attention.halfKeys,
};

export const PRIOR_EFFICIENCY: Efficiency = {
  gemm: { b16: 0.72, b8: 0.6, b4: 0.5 },
  gemmHalfDim: 64,
  attention: 0.55,
  attentionHalfKeys: 1000,
  // Measured on an H100 (data/measurements/h100-sxm.json): FlashAttention forward+backward at head
  // dims 64, 128 and 192, relative to 128. Other chips assume the same shape until measured.
  attentionHeadDim: h100.attentionHeadDim as [number, number][],
  groupedGemm: 1,
  memory: 0.8,
  scaleUp: 0.75,
  scaleOut: 0.7,
  layerOverheadUs: 0,
  tpOverlap: 0,
  epOverlap: 0,
};
