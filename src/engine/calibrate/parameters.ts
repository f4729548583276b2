// The parameters a calibration may fit, each owned by what it describes: kernel efficiencies by the
// silicon (chips of one die share them), overheads and overlaps by the training framework, collective
// bandwidth efficiency by the collective library. Bounds are physical; priors say what is known before
// any case is seen, and where that knowledge comes from.
import h100 from "../../../data/measurements/h100-sxm.json" with { type: "json" };
import published from "../../../data/published-kernel-efficiency.json" with { type: "json" };
import type { Efficiency } from "../system/efficiency.js";

export type ParameterOwner = "silicon" | "framework" | "collectives";

export const CALIBRATED_PARAMETERS = [
  "gemm.b16",
  "gemm.b8",
  "gemm.b4",
  "attention",
  "groupedGemm",
  "layerOverheadUs",
  "tpOverlap",
  "epOverlap",
  "scaleUp",
  "scaleOut",
] as const;
export type CalibratedParameter = (typeof CALIBRATED_PARAMETERS)[number];

export interface Prior {
  value: number;
  /** One standard deviation of the prior belief. */
  sd: number;
  source: string;
}

export interface ParameterDefinition {
  name: CalibratedParameter;
  owner: ParameterOwner;
  /** Physical bounds: a fitted value pressed against one is a sign of missing physics. */
  lo: number;
  hi: number;
  prior: Prior;
  description: string;
}

const ROUND_FIGURE = "prior: a round figure typical of current accelerators and software";

export const PARAMETERS: Record<CalibratedParameter, ParameterDefinition> = {
  "gemm.b16": {
    name: "gemm.b16",
    owner: "silicon",
    lo: 0,
    hi: 1,
    prior: { value: 0.72, sd: 0.1, source: ROUND_FIGURE },
    description: "fraction of the 16-bit peak a large GEMM reaches",
  },
  "gemm.b8": {
    name: "gemm.b8",
    owner: "silicon",
    lo: 0,
    hi: 1,
    prior: { value: 0.62, sd: 0.12, source: ROUND_FIGURE },
    description: "fraction of the 8-bit peak a large GEMM reaches",
  },
  "gemm.b4": {
    name: "gemm.b4",
    owner: "silicon",
    lo: 0,
    hi: 1,
    prior: { value: 0.5, sd: 0.15, source: ROUND_FIGURE },
    description: "fraction of the 4-bit peak a large GEMM reaches",
  },
  attention: {
    name: "attention",
    owner: "silicon",
    lo: 0,
    hi: 1,
    prior: { value: 0.5, sd: 0.12, source: ROUND_FIGURE },
    description: "fraction of the 16-bit peak flash attention reaches at long sequences",
  },
  groupedGemm: {
    name: "groupedGemm",
    owner: "framework",
    lo: 0,
    hi: 1,
    prior: {
      value: 0.9,
      sd: 0.1,
      source: "measured: grouped GEMMs at MoE shapes reach 0.79-0.97 of a dense GEMM on an H100 (data/measurements/h100-sxm.json)",
    },
    description: "MoE expert (grouped) GEMMs relative to a dense GEMM of the same shape",
  },
  layerOverheadUs: {
    name: "layerOverheadUs",
    owner: "framework",
    lo: 0,
    hi: 3000,
    prior: { value: 100, sd: 300, source: "prior: tens of kernel launches per layer at a few microseconds each, forward and backward" },
    description: "fixed time per layer per micro-batch, forward plus backward, microseconds",
  },
  tpOverlap: {
    name: "tpOverlap",
    owner: "framework",
    lo: 0,
    hi: 1,
    prior: { value: 0.5, sd: 0.3, source: "prior: overlapped collectives share SMs and memory with the GEMMs they hide behind" },
    description: "fraction of the adjacent GEMMs' time that hides tensor-parallel communication (only where the framework overlaps it)",
  },
  epOverlap: {
    name: "epOverlap",
    owner: "framework",
    lo: 0,
    hi: 1,
    prior: { value: 0.3, sd: 0.3, source: "prior: dispatch and combine partly overlapped with shared experts and other micro-batches" },
    description: "fraction of expert-parallel all-to-all hidden behind compute",
  },
  scaleUp: {
    name: "scaleUp",
    owner: "collectives",
    lo: 0,
    hi: 1,
    prior: {
      value: 0.8,
      sd: 0.1,
      source: "prior: NCCL all-reduce bus bandwidth reaches ~80% of NVLink line rate at large messages (nccl-tests)",
    },
    description: "fraction of scale-up link bandwidth collectives reach",
  },
  scaleOut: {
    name: "scaleOut",
    owner: "collectives",
    lo: 0,
    hi: 1,
    prior: {
      value: 0.75,
      sd: 0.12,
      source: "prior: collectives over InfiniBand / EFA reach 70-90% of the NIC line rate at large messages",
    },
    description: "fraction of scale-out NIC bandwidth collectives reach",
  },
};

const H100_SOURCE = "measured on an H100 (data/measurements/h100-sxm.json, scripts/device/measure_h100.py)";

/**
 * What was measured on a device, by silicon: priors with a tight spread for the parameters measured,
 * and fixed shape parameters (half-sizes, HBM efficiency) that no case fits.
 */
export const MEASURED: Record<string, { priors: Partial<Record<CalibratedParameter, Prior>>; fixed: Partial<Efficiency>; source: string }> =
  {
    gh100: {
      priors: {
        "gemm.b16": { value: h100.gemm.b16.efficiency, sd: 0.04, source: H100_SOURCE },
        "gemm.b8": { value: h100.gemm.b8.efficiency, sd: 0.05, source: H100_SOURCE },
        attention: { value: h100.attention.efficiency, sd: 0.05, source: H100_SOURCE },
      },
      fixed: {
        gemmHalfDim: h100.gemm.b16.halfDim,
        attentionHalfKeys: h100.attention.halfKeys,
        memory: Math.min(1, Math.round((h100.hbmCopyTBps / 3.35) * 100) / 100),
      },
      source: H100_SOURCE,
    },
  };

/**
 * Priors from published kernel benchmarks, by silicon (data/published-kernel-efficiency.json): what a
 * chip's own software is known to reach before any training case is seen.
 */
export const PUBLISHED: Record<string, Partial<Record<CalibratedParameter, Prior>>> = {};
for (const p of published as { silicon: string; parameter: CalibratedParameter; value: number; sd: number; source: string }[])
  (PUBLISHED[p.silicon] ??= {})[p.parameter] = {
    value: p.value,
    sd: p.sd,
    source: `published: ${p.source} (data/published-kernel-efficiency.json)`,
  };

/**
 * How a narrower GEMM's efficiency relates to the 16-bit one, for silicon with evidence at 16 bits and
 * none at the narrower width: its 8-bit (4-bit) efficiency is its own 16-bit value times this ratio,
 * not another silicon's round figure. 8-bit: the ratio measured on an H100 (0.655 / 0.74 = 0.885; the
 * fitted Hopper and GB300 pairs give 0.88 too, B200's 0.62). 4-bit: no 4-bit GEMM is measured here, so
 * the round figures' ratio (0.5 / 0.72).
 */
export const NARROW_GEMM_RATIO: Record<"gemm.b8" | "gemm.b4", { value: number; source: string }> = {
  "gemm.b8": {
    value: h100.gemm.b8.efficiency / h100.gemm.b16.efficiency,
    source: `the 8-bit / 16-bit GEMM efficiency ratio ${H100_SOURCE}`,
  },
  "gemm.b4": {
    value: PARAMETERS["gemm.b4"].prior.value / PARAMETERS["gemm.b16"].prior.value,
    source: "the round figures' 4-bit / 16-bit ratio (no 4-bit GEMM measured)",
  },
};

/**
 * The prior of a parameter for one owner: a device measurement where there is one, else a published
 * benchmark, else the round figure. `silicon` may be a chain (a chip's own silicon, then what it borrows from).
 */
export function priorOf(name: CalibratedParameter, silicon: string | readonly string[] | null): Prior {
  const chain = silicon === null ? [] : typeof silicon === "string" ? [silicon] : silicon;
  for (const s of chain) {
    const prior = MEASURED[s]?.priors[name] ?? PUBLISHED[s]?.[name];
    if (prior) return prior;
  }
  return PARAMETERS[name].prior;
}

export function getParameter(e: Efficiency, name: CalibratedParameter): number {
  if (name.startsWith("gemm.")) return e.gemm[name.slice(5) as "b16" | "b8" | "b4"];
  return e[name as Exclude<CalibratedParameter, `gemm.${string}`>];
}

export function setParameter(e: Efficiency, name: CalibratedParameter, value: number): void {
  if (name.startsWith("gemm.")) e.gemm[name.slice(5) as "b16" | "b8" | "b4"] = value;
  else e[name as Exclude<CalibratedParameter, `gemm.${string}`>] = value;
}
