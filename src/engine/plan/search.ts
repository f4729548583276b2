// The planner: every layout of a model on a cluster that the chip count and batch allow, screened with
// the closed-form schedule, the best re-predicted exactly (the same prediction `ultrasim train` makes),
// and ranked by an objective. Infeasible layouts are counted by reason, never silently dropped.
import { estimateLayout, predictTraining, type TrainingInput, type TrainingPrediction } from "../analytic/trainingStep.js";
import {
  PLACEMENTS,
  RECOMPUTE,
  type ModelSpec,
  type ParallelismSpec,
  type Placement,
  type Precision,
  type Recompute,
  type RunSpec,
} from "../catalog/schema.js";
import { bound } from "../bounds.js";
import { UltrasimError } from "../errors.js";
import { zeroStagesText } from "../calibrate/framework.js";
import { plural } from "../report/plural.js";
import { checkModelShape } from "../workload/transformer.js";
import { trainingPrecisionRunsAt, type Hardware } from "../system/hardware.js";
import { leastRecomputeLayers, mostLayersPerVirtualStage, type Layout } from "./layout.js";

export type PlanObjective = "step-time" | "time-to-train" | "cost" | "energy";

/** Dollars and joules per million training tokens of a plan (computed outside the planner, from prices and the power model). */
export interface PlanOperations {
  usdPerMillionTokens: number | null;
  joulesPerMillionTokens: number | null;
}

export interface SearchSpace {
  tp?: number[];
  pp?: number[];
  cp?: number[];
  ep?: number[];
  etp?: ("1" | "tp")[];
  vpp?: number[];
  microBatch?: number[];
  zero?: (0 | 1 | 2 | 3)[];
  recompute?: Recompute[];
  sequenceParallel?: boolean[];
  placement?: Placement[];
}

export interface PlanRequest {
  model: ModelSpec;
  hw: Hardware;
  /** Chip counts to plan for (one, or a scan). */
  chips: number[];
  globalBatch: number;
  seqLen: number;
  precision: RunSpec["precision"];
  /** MoE: the busiest expert-parallel rank's routed tokens over the mean (RunSpec; 1: balanced). */
  expertLoadImbalance?: number;
  objective?: PlanObjective;
  /** Tokens to train, for the time-to-train objective and report. */
  tokens?: number;
  /**
   * How far the global batch may shrink, as a fraction, so that a layout whose data-parallel degree
   * does not divide it can still run (the nearest smaller multiple, as Calculon does). 0 (the
   * default): the batch is exact. Plans are then ranked per token, and each one says its batch.
   */
  batchTolerance?: number;
  /** Fraction of memory kept free: a plan fits if it needs at most (1 - headroom) of capacity. */
  memoryHeadroom?: number;
  topK?: number;
  /** Screened plans re-predicted exactly before ranking. */
  exactCandidates?: number;
  space?: SearchSpace;
  /** Called now and then with the fraction of the search done. */
  onProgress?: (done: number) => void;
  /** $ and J per 1M tokens of a plan; required by the cost and energy objectives, shown when given. */
  operations?: (plan: { chips: number; parallelism: ParallelismSpec; run: RunSpec; prediction: TrainingPrediction }) => PlanOperations;
}

export interface Plan {
  chips: number;
  parallelism: ParallelismSpec;
  run: RunSpec;
  prediction: TrainingPrediction;
  /** Seconds to train `tokens`, when given. */
  timeToTrainSeconds: number | null;
  /** The largest part of the step other than compute: what this plan pays most for. */
  dominantCost: string;
  operations: PlanOperations | null;
}

export type InfeasibleReason =
  | "out-of-memory"
  | "batch-not-divisible"
  | "heads-not-divisible"
  | "too-many-stages"
  | "experts-not-divisible"
  | "interleaving-needs-micro-batches"
  | "schedule-too-long";

export interface PlanResult {
  evaluated: number;
  feasible: number;
  infeasible: Record<InfeasibleReason, number>;
  plans: Plan[];
  /** Why the runner-up lost to the best, in words. */
  runnerUpNote: string | null;
  /** What the user should know about the request itself (a chip count that is not whole systems, a shrunk batch). */
  notes: string[];
}

const divisors = (n: number): number[] => {
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    small.push(d);
    if (d * d !== n) large.unshift(n / d);
  }
  return [...small, ...large];
};

const BREAKDOWN_NAMES: Record<string, string> = {
  tensorParallel: "tensor-parallel communication",
  contextParallel: "context-parallel communication",
  expertParallel: "expert-parallel communication",
  pipelineParallel: "pipeline sends",
  pipelineBubble: "the pipeline bubble",
  dataParallel: "data-parallel communication",
  optimizer: "the optimizer step",
};

function dominantCost(p: TrainingPrediction): string {
  const parts = Object.entries(p.breakdown).filter(([k]) => k !== "compute") as [string, number][];
  const [name, seconds] = parts.reduce((a, b) => (b[1] > a[1] ? b : a));
  const share = seconds / p.stepSeconds;
  if (share < 0.05) return `compute (${((p.breakdown.compute / p.stepSeconds) * 100).toFixed(0)}% of the step)`;
  return `${BREAKDOWN_NAMES[name] ?? name} (${(share * 100).toFixed(0)}% of the step)`;
}

function describeLayout(par: ParallelismSpec, microBatch: number): string {
  const placement = par.placement && par.placement !== "tp-cp-dp-pp" ? ` (${par.placement})` : "";
  return `tp ${par.tp} pp ${par.pp}${(par.vpp ?? 1) > 1 ? `×${par.vpp}` : ""} dp ${par.dp} cp ${par.cp}${par.ep > 1 ? ` ep ${par.ep}` : ""} mb ${microBatch} ZeRO-${par.zero} ${par.recompute}${par.recompute === "full" && par.recomputeLayers ? ` (${par.recomputeLayers} layers/stage)` : ""}${par.sequenceParallel ? " sp" : ""}${placement}`;
}

/** Why `loser` is slower than `winner`: the parts of the step that differ most. */
export function whyLost(winner: TrainingPrediction, loser: TrainingPrediction): string {
  if (loser.stepSeconds - winner.stepSeconds <= 1e-9 * winner.stepSeconds) {
    return `a tie on step time, and it needs ${((loser.memory.total - winner.memory.total) / 1e9).toFixed(1)} GB more memory per chip`;
  }
  if (loser.stepSeconds - winner.stepSeconds <= 1e-6 * winner.stepSeconds) {
    return `a tie on step time, and it needs ${((loser.memory.total - winner.memory.total) / 1e9).toFixed(1)} GB more memory per chip`;
  }
  const diffs = (Object.keys(winner.breakdown) as (keyof TrainingPrediction["breakdown"])[])
    .map((k) => ({ k, d: loser.breakdown[k] - winner.breakdown[k] }))
    .sort((a, b) => b.d - a.d);
  const top = diffs[0]!;
  const name = top.k === "compute" ? "compute" : (BREAKDOWN_NAMES[top.k] ?? top.k);
  return `${(loser.stepSeconds - winner.stepSeconds).toFixed(3)} s slower per step, most of it (${top.d.toFixed(3)} s) in ${name}`;
}

export function plan(request: PlanRequest): PlanResult {
  const { model, hw, globalBatch, seqLen } = request;
  // Every layout runs at the precision both the chip and the framework have (hardware.ts).
  const precision = trainingPrecisionRunsAt(hw.chip, hw.software, request.precision);
  checkModelShape(model);
  const objective = request.objective ?? "step-time";
  if (objective === "time-to-train" && !request.tokens) {
    throw new UltrasimError("INVALID_INPUT", "the time-to-train objective needs a token budget", { field: "tokens" });
  }
  if ((objective === "cost" || objective === "energy") && !request.operations) {
    throw new UltrasimError("INVALID_INPUT", `the ${objective} objective needs prices and the power model`, { field: "objective" });
  }
  const batchTolerance = request.batchTolerance ?? 0;
  if (!(batchTolerance >= 0 && batchTolerance < 1))
    throw new UltrasimError("INVALID_INPUT", `must be a fraction in [0, 1), got ${batchTolerance}`, { field: "batchTolerance" });
  const headroom = request.memoryHeadroom ?? 0.1;
  const topK = request.topK ?? 5;
  const exactCandidates = Math.max(topK, request.exactCandidates ?? 256);
  const space = request.space ?? {};
  const infeasible: Record<InfeasibleReason, number> = {
    "out-of-memory": 0,
    "batch-not-divisible": 0,
    "heads-not-divisible": 0,
    "too-many-stages": 0,
    "experts-not-divisible": 0,
    "interleaving-needs-micro-batches": 0,
    "schedule-too-long": 0,
  };
  let evaluated = 0;
  let feasible = 0;
  const capacity = hw.hbmBytes * (1 - headroom);
  const domain = hw.system.chipsPerSystem;
  const moe = model.moe;

  // Screened candidates: the best `exactCandidates` by closed-form step time.
  const screened: { score: number; chips: number; parallelism: ParallelismSpec; run: RunSpec }[] = [];
  const keep = (entry: (typeof screened)[number]) => {
    if (screened.length === exactCandidates && entry.score >= screened[screened.length - 1]!.score) return;
    // Insert in order (binary search); drop the worst when full.
    let lo = 0;
    let hi = screened.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (screened[mid]!.score <= entry.score) lo = mid + 1;
      else hi = mid;
    }
    screened.splice(lo, 0, entry);
    if (screened.length > exactCandidates) screened.pop();
  };

  // estimateLayout reads the resolved layout, not the spec; a plan's spec is built when it is kept.
  const placeholder: ParallelismSpec = {
    tp: 1,
    pp: 1,
    dp: 1,
    cp: 1,
    ep: 1,
    etp: null,
    vpp: 1,
    sequenceParallel: false,
    zero: 0,
    recompute: "none",
  };
  // Only the ZeRO stages the framework offers (data/frameworks.json): the others cannot be run.
  const offered = hw.software.zeroStages as readonly number[];
  const zeros = (space.zero ?? [0, 1, 2, 3]).filter((z) => offered.includes(z));
  const recomputes = space.recompute ?? [...RECOMPUTE];
  let outer = 0;
  const outerTotal = request.chips.length;
  const memo = new Map<string | number, unknown>();
  for (const chips of request.chips) {
    // Tensor parallelism beyond one scale-up domain is never worth it: it is left out of the space.
    const tps = (space.tp ?? divisors(chips).filter((t) => t <= domain)).filter((t) => chips % t === 0);
    const liveTps = tps.filter((t) => model.heads % t === 0); // for progress: the others cost nothing
    for (const tp of tps) {
      if (model.heads % tp !== 0) {
        infeasible["heads-not-divisible"]++;
        evaluated++;
        continue;
      }
      const cps = (space.cp ?? divisors(chips / tp).filter((c) => c <= 32)).filter((c) => (chips / tp) % c === 0 && seqLen % c === 0);
      for (const [ci, cp] of cps.entries()) {
        // Every memo entry depends on tp and cp: those of earlier (tp, cp) are never read again, and a
        // large MoE search would otherwise hold millions of them.
        memo.clear();
        const pps = (space.pp ?? divisors(chips / (tp * cp))).filter((p) => (chips / (tp * cp)) % p === 0);
        for (const [pi, pp] of pps.entries()) {
          // Progress: each tp, cp and pp an equal share of its parent's (the work is uneven, but the bar moves).
          const ti = liveTps.indexOf(tp);
          request.onProgress?.((outer + (ti + (ci + pi / pps.length) / cps.length) / liveTps.length) / outerTotal);
          if (pp > model.layers) {
            infeasible["too-many-stages"]++;
            evaluated++;
            continue;
          }
          const dp = chips / (tp * cp * pp);
          const batch = globalBatch % dp === 0 ? globalBatch : Math.floor(globalBatch / dp) * dp;
          if (batch === 0 || batch < globalBatch * (1 - batchTolerance)) {
            infeasible["batch-not-divisible"]++;
            evaluated++;
            continue;
          }
          const mbs = (space.microBatch ?? divisors(batch / dp).filter((b) => b <= 16)).filter((b) => (batch / dp) % b === 0);
          for (const microBatch of mbs) {
            const m = batch / (dp * microBatch);
            const run: RunSpec = {
              seqLen,
              globalBatch: batch,
              microBatch,
              precision,
              ...(request.expertLoadImbalance !== undefined && { expertLoadImbalance: request.expertLoadImbalance }),
            };
            // Interleaving: up to 16 virtual stages per rank, the embedding and loss may take one each.
            const vpps =
              pp === 1 ? [1] : (space.vpp ?? Array.from({ length: 16 }, (_, i) => i + 1)).filter((v) => pp * v <= model.layers + 2);
            for (const vpp of vpps) {
              if (vpp > 1 && m % pp !== 0) {
                infeasible["interleaving-needs-micro-batches"]++;
                evaluated++;
                continue;
              }
              if (pp * vpp * m > bound("plannerPipelineOperations").max) {
                infeasible["schedule-too-long"]++;
                evaluated++;
                continue;
              }
              const eps = moe ? (space.ep ?? divisors(moe.experts)).filter((e) => moe.experts % e === 0) : [1];
              for (const ep of eps) {
                const etps = moe ? [...new Set((space.etp ?? ["1", "tp"]).map((e) => (e === "tp" ? tp : 1)))] : [tp];
                for (const etp of etps) {
                  if ((tp * cp * dp) % (ep * etp) !== 0) {
                    infeasible["experts-not-divisible"]++;
                    evaluated++;
                    continue;
                  }
                  const sps = tp > 1 ? (space.sequenceParallel ?? [true, false]) : [false];
                  const input: TrainingInput = { model, hw, chips, run, parallelism: placeholder, memo, memoryLimitBytes: capacity };
                  // Placement matters only with both a pipeline and data parallelism to order.
                  const placements = pp > 1 && dp > 1 ? (space.placement ?? PLACEMENTS) : ["tp-cp-dp-pp" as const];
                  for (const placement of placements)
                    for (const sequenceParallel of sps)
                      for (const zero of zeros)
                        for (const recompute of recomputes) {
                          evaluated++;
                          const base: Layout = {
                            tp,
                            pp,
                            dp,
                            cp,
                            ep,
                            etp,
                            vpp,
                            sequenceParallel,
                            placement,
                            zero,
                            recompute,
                            recomputeFraction: 1,
                            microBatch,
                            microBatches: m,
                            edp: (tp * cp * dp) / (ep * etp),
                          };
                          // Full recompute covers as few layers per virtual stage as fit (Megatron's
                          // block method): fewer recomputed layers are always faster.
                          const stageLayers = mostLayersPerVirtualStage(model, base);
                          const withLayers = (k: number): Layout => ({ ...base, recomputeFraction: k / stageLayers });
                          const recomputeLayers =
                            recompute === "full"
                              ? (leastRecomputeLayers(stageLayers, (k) => estimateLayout(input, withLayers(k)).memoryBytes <= capacity) ??
                                stageLayers)
                              : stageLayers;
                          const layout = withLayers(recomputeLayers);
                          const p = estimateLayout(input, layout);
                          if (p.memoryBytes > capacity) {
                            infeasible["out-of-memory"]++;
                            continue;
                          }
                          feasible++;
                          const scored = score(p.stepSeconds / (batch * seqLen), chips, objective, request.tokens);
                          if (screened.length === exactCandidates && scored >= screened[screened.length - 1]!.score) continue;
                          const parallelism: ParallelismSpec = {
                            tp,
                            pp,
                            dp,
                            cp,
                            ep,
                            etp: moe ? etp : null,
                            vpp,
                            sequenceParallel,
                            zero,
                            recompute,
                            ...(recompute === "full" && recomputeLayers < stageLayers ? { recomputeLayers } : {}),
                            // The rank order is part of the layout: without it two rows of the top-k
                            // would read (and run) as the same layout.
                            ...(placement !== "tp-cp-dp-pp" ? { placement } : {}),
                          };
                          keep({ score: scored, chips, parallelism, run });
                        }
                }
              }
            }
          }
        }
      }
    }
    outer++;
    request.onProgress?.(outer / outerTotal);
  }

  // Re-predict the screened plans exactly, best screened first, until the screened score is past the
  // best exact one by more than the closed form's error can bridge (within 1.2% of the simulated
  // schedule at the 90th percentile of the validation layouts, 10% on unevenly interleaved ones),
  // and at least topK plans are in hand.
  // The dominant cost is named, and $ and J computed, only for the plans shown (below).
  const plans: Omit<Plan, "dominantCost">[] = [];
  let bestExact = Infinity;
  // The exact predictions share layer costs through a memo of their own, as the screening does.
  const exactMemo = new Map<string | number, unknown>();
  const rankedByOperations = objective === "cost" || objective === "energy";
  for (const { score: screenedScore, chips, parallelism, run } of screened) {
    if (plans.length >= topK && screenedScore > bestExact * (1 + EXACT_MARGIN)) break;
    const prediction = predictTraining({ model, hw, chips, run, parallelism, memo: exactMemo });
    if (prediction.memory.total > capacity) continue;
    bestExact = Math.min(bestExact, score(prediction.stepSeconds / prediction.tokensPerStep, chips, objective, request.tokens));
    plans.push({
      chips,
      parallelism,
      run,
      prediction,
      timeToTrainSeconds: request.tokens ? (request.tokens / prediction.tokensPerStep) * prediction.stepSeconds : null,
      // $ and J per token rank plans under the cost and energy objectives.
      operations: rankedByOperations && request.operations ? request.operations({ chips, parallelism, run, prediction }) : null,
    });
  }
  const ranked: Plan[] = rankPlans(plans, objective, request.tokens, topK).map((p) => ({
    ...p,
    dominantCost: dominantCost(p.prediction),
    operations: p.operations ?? (request.operations ? request.operations(p) : null),
  }));
  return {
    evaluated,
    feasible,
    infeasible,
    plans: ranked,
    runnerUpNote: runnerUpNote(ranked, objective),
    notes: planNotes(request, ranked),
  };
}

/**
 * What a user should know about the request: ZeRO stages its framework does not offer, a chip count
 * that is not whole systems, a batch that shrank.
 */
export function planNotes(
  request: Pick<PlanRequest, "hw" | "chips" | "globalBatch" | "batchTolerance" | "space">,
  plans: Plan[],
): string[] {
  const notes: string[] = [];
  const software = request.hw.software;
  const skipped = (request.space?.zero ?? [0, 1, 2, 3]).filter((z) => !(software.zeroStages as readonly number[]).includes(z));
  if (skipped.length)
    notes.push(
      `${zeroStagesText(skipped)} not searched: ${software.framework} offers ${zeroStagesText(software.zeroStages)} (data/frameworks.json; another framework: --framework)`,
    );
  const perSystem = request.hw.system.chipsPerSystem;
  for (const chips of request.chips)
    if (chips % perSystem !== 0)
      notes.push(
        `${plural(chips, "chip")} is not a whole number of ${request.hw.system.id} systems (${plural(perSystem, "chip")} each): the plan pays for ${plural(Math.ceil(chips / perSystem), "system")} and leaves ${plural(Math.ceil(chips / perSystem) * perSystem - chips, "chip")} idle`,
      );
  plans.forEach((p, i) => {
    if (p.run.globalBatch !== request.globalBatch)
      notes.push(
        `plan ${i + 1} runs a global batch of ${p.run.globalBatch}, not ${request.globalBatch} (${(((request.globalBatch - p.run.globalBatch) / request.globalBatch) * 100).toFixed(1)}% smaller, within --batch-tolerance ${request.batchTolerance}); plans are ranked per token`,
      );
  });
  return notes;
}

/** How far past the best exact score a screened plan may be and still be predicted exactly. */
const EXACT_MARGIN = 0.1;

/** Plans ordered by the objective, best first, at most `topK`; ties go to the plan needing less memory. */
export function rankPlans<P extends Pick<Plan, "chips" | "prediction" | "operations">>(
  plans: P[],
  objective: PlanObjective,
  tokens: number | undefined,
  topK: number,
): P[] {
  const exactScore = (p: P): number => {
    if (objective === "cost") return p.operations?.usdPerMillionTokens ?? Infinity;
    if (objective === "energy") return p.operations?.joulesPerMillionTokens ?? Infinity;
    return score(p.prediction.stepSeconds / p.prediction.tokensPerStep, p.chips, objective, tokens);
  };
  return [...plans]
    .sort((a, b) => {
      const sa = exactScore(a);
      const sb = exactScore(b);
      return Math.abs(sa - sb) <= 1e-9 * Math.max(sa, sb) ? a.prediction.memory.total - b.prediction.memory.total : sa - sb;
    })
    .slice(0, topK);
}

/** Why the second plan lost to the first, in words; null with fewer than two plans. */
export function runnerUpNote(plans: Plan[], objective: PlanObjective): string | null {
  if (plans.length < 2) return null;
  const [first, second] = [plans[0]!, plans[1]!];
  const byObjective =
    objective === "cost" && first.operations?.usdPerMillionTokens != null && second.operations?.usdPerMillionTokens != null
      ? `$${(second.operations.usdPerMillionTokens - first.operations.usdPerMillionTokens).toFixed(3)} more per 1M tokens; `
      : objective === "energy" && first.operations?.joulesPerMillionTokens != null && second.operations?.joulesPerMillionTokens != null
        ? `${((second.operations.joulesPerMillionTokens - first.operations.joulesPerMillionTokens) / 3.6e6).toFixed(3)} kWh more per 1M tokens; `
        : "";
  const perToken = (p: Plan) => p.prediction.stepSeconds / p.prediction.tokensPerStep;
  // Under --batch-tolerance the two may run different batches: step times are then not comparable.
  const why =
    first.run.globalBatch !== second.run.globalBatch
      ? `${((perToken(second) / perToken(first) - 1) * 100).toFixed(1)}% more time per token (batch ${second.run.globalBatch} against ${first.run.globalBatch})`
      : whyLost(first.prediction, second.prediction);
  return `runner-up (${describeLayout(second.parallelism, second.run.microBatch!)}) loses: ${byObjective}${why}`;
}

/** Results of searches over disjoint chip counts, combined as one search would report them. */
export function mergePlanResults(results: PlanResult[], objective: PlanObjective, tokens: number | undefined, topK: number): PlanResult {
  const infeasible = { ...results[0]!.infeasible };
  for (const r of results.slice(1)) for (const k of Object.keys(infeasible) as InfeasibleReason[]) infeasible[k] += r.infeasible[k];
  const plans = rankPlans(
    results.flatMap((r) => r.plans),
    objective,
    tokens,
    topK,
  );
  return {
    evaluated: results.reduce((n, r) => n + r.evaluated, 0),
    feasible: results.reduce((n, r) => n + r.feasible, 0),
    infeasible,
    plans,
    runnerUpNote: runnerUpNote(plans, objective),
    // Notes name plans by rank: the caller makes them again for the merged list (planNotes).
    notes: [],
  };
}

/**
 * The score plans are ranked by, from the seconds each token takes. Step time and time to train rank
 * alike (and, at an exact batch, as step time does). Cost and energy per token scale with
 * chip-seconds per token (price per chip-hour is one figure per system; power varies with
 * utilization, which the exact phase then counts).
 */
function score(secondsPerToken: number, chips: number, objective: PlanObjective, tokens: number | undefined): number {
  if (objective === "cost" || objective === "energy") return secondsPerToken * chips;
  return objective === "time-to-train" && tokens ? secondsPerToken * tokens : secondsPerToken;
}

export { describeLayout, divisors };
export type { Precision };
