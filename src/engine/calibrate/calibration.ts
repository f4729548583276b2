// A calibration: the value of every fitted parameter, for its owner (a silicon, a framework or a
// collective library), with where it comes from. data/calibration.json is the built-in one (npm run
// fit). `assembleEfficiency` turns it into the efficiencies one chip runs at under one framework.
import { Type, type Static } from "@sinclair/typebox";
import { PRIOR_EFFICIENCY, type Efficiency } from "../system/efficiency.js";
import {
  CALIBRATED_PARAMETERS,
  MEASURED,
  NARROW_GEMM_RATIO,
  PARAMETERS,
  priorOf,
  setParameter,
  type CalibratedParameter,
  type ParameterOwner,
} from "./parameters.js";

export const CalibratedValue = Type.Object(
  {
    owner: Type.Union([Type.Literal("silicon"), Type.Literal("framework"), Type.Literal("collectives")]),
    /** The silicon, framework or collective library the value belongs to. */
    id: Type.String(),
    name: Type.Union(CALIBRATED_PARAMETERS.map((p) => Type.Literal(p))),
    value: Type.Number(),
    provenance: Type.Union([Type.Literal("fitted"), Type.Literal("measured"), Type.Literal("sourced"), Type.Literal("prior")]),
    /** The prior it was fitted from, and that prior's source. */
    prior: Type.Optional(Type.Number()),
    source: Type.String(),
    /** Posterior standard deviation (Laplace approximation at the fit). */
    sd: Type.Optional(Type.Number({ minimum: 0 })),
    /** Source groups of the cases that constrain it. */
    fittedOn: Type.Optional(Type.Array(Type.String())),
    cases: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Within 1% of the range of a physical bound: a sign of missing physics. */
    atBound: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CalibratedValue = Static<typeof CalibratedValue>;

export const Calibration = Type.Object(
  {
    method: Type.String(),
    fittedOn: Type.Optional(Type.String()),
    values: Type.Array(CalibratedValue),
  },
  { additionalProperties: false },
);
export type Calibration = Static<typeof Calibration>;

/** Which owner's value a chip under a framework reads, for each kind of owner. */
export interface Owners {
  /** The chip's silicon, then the silicon of each chip it borrows from, nearest first. */
  silicon: string[];
  framework: string;
  collectives: string;
  /** Frameworks without tensor-parallel overlap hide none of it, whatever a fit says. */
  tpCommOverlap: boolean;
}

export type CalibrationIndex = Map<string, CalibratedValue>;

export const keyOf = (owner: ParameterOwner, id: string, name: CalibratedParameter) => `${owner}/${id}/${name}`;

export function indexCalibration(c: Calibration): CalibrationIndex {
  return new Map(c.values.map((v) => [keyOf(v.owner, v.id, v.name), v]));
}

export interface AssembledEfficiency {
  efficiency: Efficiency;
  /** Where each calibrated parameter's value came from, in words. */
  provenance: Record<CalibratedParameter, string>;
  /** One line for reports. */
  summary: string;
  /** What the kernel and software figures rest on: fitted on the chip's own silicon, borrowed from another, or priors. */
  basis: EfficiencyBasis;
}

export interface EfficiencyBasis {
  kernels: "fitted" | "borrowed" | "prior";
  software: "fitted" | "prior";
}

function describe(v: CalibratedValue): string {
  if (v.provenance === "fitted") return `fitted on ${v.cases ?? "?"} cases (${(v.fittedOn ?? []).join(", ")})`;
  return `${v.provenance}: ${v.source}`;
}

/** The efficiencies one chip runs at under one framework: calibrated values, else measured, else priors. */
export function assembleEfficiency(index: CalibrationIndex, owners: Owners): AssembledEfficiency {
  const efficiency: Efficiency = { ...PRIOR_EFFICIENCY, gemm: { ...PRIOR_EFFICIENCY.gemm } };
  const measuredSilicon = owners.silicon.find((s) => MEASURED[s]);
  if (measuredSilicon) Object.assign(efficiency, MEASURED[measuredSilicon]!.fixed);
  const provenance = {} as Record<CalibratedParameter, string>;
  let borrowed: string | null = null;
  let kernelsFitted = false;
  /** Silicon parameters resting on evidence of the chip's own or borrowed silicon, with where from. */
  const anchored: Partial<Record<CalibratedParameter, string>> = {};
  for (const name of CALIBRATED_PARAMETERS) {
    const def = PARAMETERS[name];
    if (name === "tpOverlap" && !owners.tpCommOverlap) {
      setParameter(efficiency, name, 0);
      provenance[name] = `none: ${owners.framework} does not overlap tensor-parallel communication`;
      continue;
    }
    let found: CalibratedValue | undefined;
    if (def.owner === "silicon") {
      for (const s of owners.silicon) {
        found = index.get(keyOf("silicon", s, name));
        if (found) {
          if (s !== owners.silicon[0]) borrowed = s;
          kernelsFitted = true;
          break;
        }
      }
    } else found = index.get(keyOf(def.owner, def.owner === "framework" ? owners.framework : owners.collectives, name));
    if (found) {
      setParameter(efficiency, name, found.value);
      provenance[name] = `${found.owner} ${found.id}: ${describe(found)}`;
      if (def.owner === "silicon") anchored[name] = provenance[name];
    } else {
      const prior = priorOf(name, def.owner === "silicon" ? owners.silicon : null);
      setParameter(efficiency, name, prior.value);
      provenance[name] = prior.source;
      // A measured or published prior is evidence of the silicon's own; the round figure is not.
      if (def.owner === "silicon" && prior !== def.prior) anchored[name] = prior.source;
    }
  }
  // A narrower width no case, measurement or benchmark informs on this silicon follows from its own
  // 16-bit evidence (NARROW_GEMM_RATIO), not from a round figure of other silicon: Trainium's 16-bit
  // kernels reach 0.44 of peak (fitted), so its MXFP8 ones are not taken to reach a GPU's 0.62.
  const b16 = anchored["gemm.b16"];
  if (b16)
    for (const name of ["gemm.b8", "gemm.b4"] as const) {
      if (anchored[name]) continue;
      const ratio = NARROW_GEMM_RATIO[name];
      setParameter(efficiency, name, efficiency.gemm.b16 * ratio.value);
      provenance[name] = `derived: ${b16} x ${ratio.value.toFixed(3)}, ${ratio.source}`;
    }
  const kernels = borrowed
    ? `kernels borrowed from ${borrowed} (no cases on ${owners.silicon[0]})`
    : kernelsFitted
      ? `kernels of ${owners.silicon[0]} fitted`
      : `kernels of ${owners.silicon[0]}: priors${measuredSilicon ? " and device measurements" : ""}`;
  const softwareFitted = index.has(keyOf("framework", owners.framework, "layerOverheadUs"));
  const software = softwareFitted ? `${owners.framework} fitted` : `${owners.framework}: priors`;
  return {
    efficiency,
    provenance,
    summary: `${kernels}; software ${software}; collectives ${owners.collectives}`,
    basis: { kernels: borrowed ? "borrowed" : kernelsFitted ? "fitted" : "prior", software: softwareFitted ? "fitted" : "prior" },
  };
}
