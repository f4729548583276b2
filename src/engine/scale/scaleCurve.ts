// Scaling curves: the planner re-run at each chip count of a scan, reporting tokens/s, MFU, step time
// and the time to train a token budget. The cost of each point does not grow with the chip count: a
// layout is costed per data-parallel replica (identical replicas, identical servers), so only the
// divisors of the count, not the count itself, size the search.
import type { ModelSpec, RunSpec } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";
import { describeLayout, plan, type Plan, type SearchSpace } from "../plan/search.js";
import type { Hardware } from "../system/hardware.js";
import { plural } from "../report/plural.js";

/** weak: the global batch grows with the cluster (same work per replica); strong: one batch for every point. */
export type BatchScaling = "weak" | "strong";

export interface ScaleRequest {
  model: ModelSpec;
  hw: Hardware;
  /** Chip counts, ascending (parseChipCounts). */
  chips: number[];
  /** Sequences per step at the first chip count (weak) or at every count (strong). */
  globalBatch: number;
  batchScaling: BatchScaling;
  seqLen: number;
  precision: RunSpec["precision"];
  /** MoE: the busiest expert-parallel rank's routed tokens over the mean (1: balanced). */
  expertLoadImbalance?: number;
  /** Tokens to train, for the time to train. */
  tokens: number;
  space?: SearchSpace;
  /** Called after each point with the fraction of points done. */
  onProgress?: (done: number) => void;
}

export interface ScalePoint {
  chips: number;
  systems: number;
  globalBatch: number;
  tokensPerStep: number;
  /** The planner's best layout, or null where none fits (see `infeasible`). */
  layout: string | null;
  stepSeconds: number | null;
  tokensPerSecond: number | null;
  tokensPerSecondPerChip: number | null;
  mfu: number | null;
  timeToTrainSeconds: number | null;
  /** Tokens/s per chip over the first feasible point's: 1 is perfect scaling. */
  scalingEfficiency: number | null;
  dominantCost: string | null;
  /** Layouts the planner searched at this point. */
  evaluated: number;
  infeasible: string | null;
  plan: Plan | null;
}

export interface ScaleCurve {
  model: string;
  system: string;
  batchScaling: BatchScaling;
  tokens: number;
  points: ScalePoint[];
  notes: string[];
}

/** The global batch at `chips`: weak scaling keeps sequences per chip, rounded to whole sequences. */
export function batchAt(request: Pick<ScaleRequest, "chips" | "globalBatch" | "batchScaling">, chips: number): number {
  if (request.batchScaling === "strong") return request.globalBatch;
  return Math.max(1, Math.round((request.globalBatch * chips) / request.chips[0]!));
}

export function scaleCurve(request: ScaleRequest): ScaleCurve {
  if (!request.chips.length) throw new UltrasimError("INVALID_INPUT", "give at least one chip count", { field: "--chips" });
  const points: ScalePoint[] = [];
  let base: number | null = null;
  request.chips.forEach((chips, i) => {
    const globalBatch = batchAt(request, chips);
    const result = plan({
      model: request.model,
      hw: request.hw,
      chips: [chips],
      globalBatch,
      seqLen: request.seqLen,
      precision: request.precision,
      expertLoadImbalance: request.expertLoadImbalance,
      objective: "step-time",
      tokens: request.tokens,
      topK: 1,
      space: request.space,
    });
    const best = result.plans[0] ?? null;
    const p = best?.prediction;
    const perChip = p ? p.tokensPerSecondPerChip : null;
    if (base === null && perChip !== null) base = perChip;
    const reasons = Object.entries(result.infeasible)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${r} ${n}`)
      .join(", ");
    points.push({
      chips,
      systems: chips / request.hw.system.chipsPerSystem,
      globalBatch,
      tokensPerStep: globalBatch * request.seqLen,
      layout: best ? describeLayout(best.parallelism, best.run.microBatch!) : null,
      stepSeconds: p?.stepSeconds ?? null,
      tokensPerSecond: p?.tokensPerSecond ?? null,
      tokensPerSecondPerChip: perChip,
      mfu: p?.mfu ?? null,
      timeToTrainSeconds: best?.timeToTrainSeconds ?? null,
      scalingEfficiency: perChip !== null && base !== null ? perChip / base : null,
      dominantCost: best?.dominantCost ?? null,
      evaluated: result.evaluated,
      infeasible: best ? null : `no layout fits (${reasons || "no candidates"})`,
      plan: best,
    });
    request.onProgress?.((i + 1) / request.chips.length);
  });
  const notes = [
    request.batchScaling === "weak"
      ? `weak scaling: the global batch grows with the cluster (${plural(request.globalBatch, "sequence")} at ${plural(request.chips[0]!, "chip")}, ` +
        `${points[points.length - 1]!.globalBatch} at ${points[points.length - 1]!.chips}); past the critical batch size more tokens ` +
        "are needed for the same loss, which this model does not count"
      : `strong scaling: ${plural(request.globalBatch, "sequence")} per step at every chip count; a count the batch cannot fill has no plan`,
    "time to train is failure-free; at this scale failures take a large share (ultrasim reliability --chips ...)",
  ];
  if (request.hw.scaleOutTiers?.length)
    notes.push(
      `scale-out network in tiers: ${request.hw.scaleOutTiers
        .map((t) => `${t.name} (${t.domainChips === Infinity ? "unbounded" : plural(t.domainChips, "chip")}, 1:${t.oversubscription})`)
        .join(" → ")}`,
    );
  return {
    model: request.model.id ?? request.model.name,
    system: request.hw.system.id,
    batchScaling: request.batchScaling,
    tokens: request.tokens,
    points,
    notes,
  };
}
