// A training layout: how a run is split over chips. Resolving it fills the fields a scenario may leave
// null (recording each as an assumption) and checks the arithmetic every framework requires.
import type { ModelSpec, ParallelismSpec, Placement, Recompute, RunSpec } from "../catalog/schema.js";
import { bound } from "../bounds.js";
import { UltrasimError } from "../errors.js";
import type { GroupPlacement } from "../network/collectives.js";
import { plural } from "../report/plural.js";

export interface Layout {
  tp: number;
  pp: number;
  dp: number;
  cp: number;
  ep: number;
  etp: number;
  vpp: number;
  sequenceParallel: boolean;
  /** Rank order, innermost first (see ParallelismSpec.placement). */
  placement: Placement;
  zero: 0 | 1 | 2 | 3;
  recompute: Recompute;
  /**
   * Under full recompute, the fraction of each stage's layers recomputed; the others keep their
   * activations (Megatron's recompute_method=block with recompute_num_layers). 1 = every layer.
   */
  recomputeFraction: number;
  microBatch: number;
  /** Micro-batches per data-parallel rank per step (gradient accumulation steps). */
  microBatches: number;
  /** Expert data-parallel degree: replicas of each expert shard. */
  edp: number;
}

export interface ResolvedLayout {
  layout: Layout;
  /** Each field that was not given, and the value assumed for it. */
  assumptions: string[];
}

function degree(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new UltrasimError("INVALID_DEGREE", `must be a positive integer, got ${value}`, { field });
  }
  return value;
}

export function resolveLayout(model: ModelSpec, run: RunSpec, par: ParallelismSpec, chips: number): ResolvedLayout {
  const assumptions: string[] = [];
  const tp = degree(par.tp, "parallelism.tp");
  const pp = degree(par.pp, "parallelism.pp");
  const dp = degree(par.dp, "parallelism.dp");
  const cp = degree(par.cp, "parallelism.cp");
  const ep = degree(par.ep, "parallelism.ep");
  const etp = par.etp === null ? tp : degree(par.etp, "parallelism.etp");
  const vpp = par.vpp === null ? 1 : degree(par.vpp, "parallelism.vpp");
  if (par.vpp === null) assumptions.push("vpp not given: 1 (no interleaving)");
  const microBatch = run.microBatch === null ? 1 : degree(run.microBatch, "run.microBatch");
  if (run.microBatch === null) assumptions.push("microBatch not given: 1");
  const recompute: Recompute = par.recompute ?? "none";
  if (par.recompute === null) assumptions.push("recompute not given: none");
  degree(chips, "system.chips");
  degree(run.globalBatch, "run.globalBatch");
  degree(run.seqLen, "run.seqLen");

  if (tp * pp * dp * cp !== chips) {
    throw new UltrasimError(
      "DEGREES_MISMATCH",
      `tp*pp*dp*cp = ${tp}*${pp}*${dp}*${cp} = ${tp * pp * dp * cp}, but the run has ${plural(chips, "chip")}`,
      {
        field: "parallelism",
      },
    );
  }
  if (run.globalBatch % (dp * microBatch) !== 0) {
    throw new UltrasimError(
      "BATCH_NOT_DIVISIBLE",
      `globalBatch ${run.globalBatch} is not a multiple of dp*microBatch = ${dp}*${microBatch} = ${dp * microBatch}`,
      { field: "run.globalBatch" },
    );
  }
  if (model.heads % tp !== 0) {
    throw new UltrasimError("INVALID_DEGREE", `tp ${tp} does not divide the model's ${model.heads} attention heads`, {
      field: "parallelism.tp",
    });
  }
  if (run.seqLen % cp !== 0) {
    throw new UltrasimError("INVALID_DEGREE", `cp ${cp} does not divide seqLen ${run.seqLen}`, { field: "parallelism.cp" });
  }
  // The embedding and the loss may each take a virtual stage of their own (Megatron's
  // --account-for-embedding/loss-in-pipeline-split), so pp*vpp may reach layers + 2.
  if (pp * vpp > model.layers + 2) {
    throw new UltrasimError("INVALID_DEGREE", `pp*vpp = ${pp * vpp} exceeds the model's ${model.layers} layers + 2`, {
      field: "parallelism.vpp",
    });
  }
  const stageLayers = mostLayersPerVirtualStage(model, { pp, vpp });
  const recomputeLayers = par.recomputeLayers ?? null;
  if (recomputeLayers !== null) {
    degree(recomputeLayers, "parallelism.recomputeLayers");
    if (recompute !== "full")
      throw new UltrasimError("INVALID_DEGREE", `recomputeLayers ${recomputeLayers} applies to full recompute only, not ${recompute}`, {
        field: "parallelism.recomputeLayers",
      });
    if (recomputeLayers > stageLayers)
      throw new UltrasimError(
        "INVALID_DEGREE",
        `recomputeLayers ${recomputeLayers} exceeds the ${stageLayers} layers of each virtual pipeline stage`,
        { field: "parallelism.recomputeLayers" },
      );
  }
  if (model.moe) {
    if (model.moe.experts % ep !== 0) {
      throw new UltrasimError("INVALID_DEGREE", `ep ${ep} does not divide the model's ${model.moe.experts} experts`, {
        field: "parallelism.ep",
      });
    }
    if ((tp * cp * dp) % (ep * etp) !== 0) {
      throw new UltrasimError("INVALID_DEGREE", `ep*etp = ${ep * etp} does not divide tp*cp*dp = ${tp * cp * dp}`, {
        field: "parallelism.ep",
      });
    }
  } else if (ep !== 1) {
    throw new UltrasimError("INVALID_DEGREE", `ep is ${ep} but the model has no experts`, { field: "parallelism.ep" });
  } else if (etp !== tp) {
    throw new UltrasimError("INVALID_DEGREE", `etp is ${etp} but the model has no experts (leave it null: = tp)`, {
      field: "parallelism.etp",
    });
  }
  const microBatches = run.globalBatch / (dp * microBatch);
  // Megatron's interleaved schedule runs micro-batches in groups of pp.
  if (vpp > 1 && microBatches % pp !== 0) {
    throw new UltrasimError(
      "INVALID_DEGREE",
      `interleaving (vpp ${vpp}) needs the micro-batches per step, globalBatch/(dp*microBatch) = ${microBatches}, to be a multiple of pp ${pp}`,
      { field: "parallelism.vpp" },
    );
  }
  // The schedule is simulated pass by pass: past the bound it outgrows memory and time.
  const passes = pp * vpp * microBatches;
  const limit = bound("pipelineOperations");
  if (passes > limit.max) {
    throw new UltrasimError(
      "INVALID_INPUT",
      `pp*vpp*micro-batches = ${pp}*${vpp}*${microBatches} = ${passes.toLocaleString("en-US")}, over the ${limit.max.toLocaleString("en-US")} the schedule simulation allows (${limit.reason}): raise microBatch or dp, or lower globalBatch`,
      { field: "run.globalBatch" },
    );
  }
  return {
    layout: {
      tp,
      pp,
      dp,
      cp,
      ep,
      etp,
      vpp,
      sequenceParallel: par.sequenceParallel && tp > 1,
      placement: par.placement ?? "tp-cp-dp-pp",
      zero: par.zero,
      recompute,
      recomputeFraction: recomputeLayers === null ? 1 : recomputeLayers / stageLayers,
      microBatch,
      microBatches,
      edp: (tp * cp * dp) / (ep * etp),
    },
    assumptions,
  };
}

// Rank order, innermost first: tp, cp, then dp and pp in the layout's placement order (Megatron's
// default "tp-cp-ep-dp-pp", or "tp-cp-pp-dp" with --use-tp-pp-dp-mapping). Expert parallelism takes
// consecutive ranks of the data-parallel dimension (after etp where dp follows tp directly).
function dataParallelStride(l: Layout): number {
  return l.placement === "tp-cp-pp-dp" ? l.tp * l.cp * l.pp : l.tp * l.cp;
}
/** The layers of the fullest virtual pipeline stage: what `recomputeLayers` counts up to. */
export function mostLayersPerVirtualStage(model: ModelSpec, l: Pick<Layout, "pp" | "vpp">): number {
  return Math.max(1, Math.ceil(model.layers / (l.pp * l.vpp)));
}

/**
 * The least count in 1..most for which `fits` holds, by binary search: memory falls as more layers
 * are recomputed, so `fits` is monotone in the count. null when even `most` does not fit.
 */
export function leastRecomputeLayers(most: number, fits: (layers: number) => boolean): number | null {
  if (!fits(most)) return null;
  let lo = 1;
  let hi = most;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid + 1;
  }
  return hi;
}

export function tpGroup(l: Layout): GroupPlacement {
  return { size: l.tp, stride: 1 };
}
export function cpGroup(l: Layout): GroupPlacement {
  return { size: l.cp, stride: l.tp };
}
/** Dense parameters are replicated, and their gradients reduced, over dp*cp (Megatron's distributed optimizer shards over both). */
export function dataParallelGroup(l: Layout): GroupPlacement {
  return l.placement === "tp-cp-pp-dp" && l.cp > 1
    ? { size: l.dp * l.cp, stride: l.tp * l.cp * l.pp }
    : { size: l.dp * l.cp, stride: l.tp };
}
export function expertGroup(l: Layout): GroupPlacement {
  return l.placement === "tp-cp-pp-dp" ? { size: l.ep, stride: dataParallelStride(l) } : { size: l.ep, stride: l.etp };
}
export function expertDataParallelGroup(l: Layout): GroupPlacement {
  return l.placement === "tp-cp-pp-dp" ? { size: l.edp, stride: dataParallelStride(l) * l.ep } : { size: l.edp, stride: l.etp * l.ep };
}
export function pipelineStride(l: Layout): number {
  return l.placement === "tp-cp-pp-dp" ? l.tp * l.cp : l.tp * l.cp * l.dp;
}

/**
 * Layers of each virtual stage; virtual stage j*pp + s lives on stage s as its chunk j. Extra layers go
 * to the middle stages, which carry neither embedding nor logits; with more virtual stages than layers
 * the first and last hold only the embedding and the loss.
 */
export function layersPerVirtualStage(layers: number, pp: number, vpp: number): number[] {
  const n = pp * vpp;
  if (n > layers) {
    const inner = layersPerVirtualStage(layers, n - (n - layers >= 2 ? 2 : 1), 1);
    return n - layers >= 2 ? [0, ...inner, 0] : [...inner, 0];
  }
  const base = Math.floor(layers / n);
  let extra = layers - base * n;
  const counts = new Array<number>(n).fill(base);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(a - (n - 1) / 2) - Math.abs(b - (n - 1) / 2));
  for (const i of order) {
    if (extra === 0) break;
    counts[i]!++;
    extra--;
  }
  return counts;
}
