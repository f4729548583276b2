// AWS's claims for Trainium3, checked: each claim's wording and source (data/claims.json), what the
// model predicts on named workloads, and a verdict with its reason. Peak arithmetic comes straight from
// the catalog; delivered figures from the planner (training) and the serving simulator (inference).
import claimsData from "../../../data/claims.json" with { type: "json" };
import { priceFor } from "../analytic/cost.js";
import { clusterPower } from "../analytic/power.js";
import type { Catalog } from "../catalog/catalog.js";
import type { ChipSpec, RunSpec } from "../catalog/schema.js";
import { plan, type SearchSpace } from "../plan/search.js";
import { trainingOperations } from "../report/operationsReport.js";
import { planServing } from "../serve/plan.js";
import type { ServingScenario } from "../serve/scenario.js";
import { peakFlopsPerSecond } from "../system/hardware.js";
import { ratioInterval, trainingEvidenceKey } from "../validate/intervals.js";

/** "cannot be checked": a figure the claim rests on is not public (a price), so no verdict either way. */
export type Verdict = "holds" | "holds only for some workloads" | "does not follow from the published specs" | "cannot be checked";

export interface ClaimSource {
  id: string;
  subject: string;
  wording: string;
  value: number;
  unit: string;
  source: string;
  note?: string;
}

export interface WorkloadFigure {
  workload: string;
  /** What is compared, e.g. "tokens/s per UltraServer". */
  metric: string;
  trn2: number | null;
  trn3: number | null;
  ratio: number | null;
  detail: string;
  /** Training: the precision each system trained at under its default framework (hardware.ts trainingPrecisionRunsAt). */
  trainedAt?: { trn2: string | null; trn3: string | null };
}

export interface ClaimCheck {
  claim: ClaimSource;
  /** Claims read together with this one (the per-chip table, the press's 40%). */
  related: ClaimSource[];
  predicted: string[];
  figures: WorkloadFigure[];
  verdict: Verdict;
  reason: string;
  /**
   * Whether the verdict stands at both ends of the model's likely range (validate/intervals.ts): the
   * verdict recomputed with every delivered ratio at the low and the high end of its 80% range.
   */
  acrossInterval: { holds: boolean; low: Verdict; high: Verdict; note: string };
}

export interface ClaimsReport {
  claims: ClaimCheck[];
  notes: string[];
}

export interface ClaimsOptions {
  /** Narrow the training planner's search (tests); the full search by default. */
  space?: SearchSpace;
  /** Serving requests per simulation (default 200). */
  servingRequests?: number;
}

const CLAIMS = claimsData.claims as ClaimSource[];
const claim = (id: string): ClaimSource => CLAIMS.find((c) => c.id === id)!;

/** UltraServers compared: the same count of each generation. */
const ULTRASERVERS = 16;

interface TrainingWorkload {
  name: string;
  model: string;
  run: Omit<RunSpec, "microBatch">;
  /** The search space, where the full one is too large to run in the report (MoE: every ep x etp x cp). */
  space?: SearchSpace;
}

/** DeepSeek-V3's search: ZeRO-1 (ZeRO-2 under a framework without it, as TorchTitan), no interleaving or context parallelism, experts unsplit (its published recipe's shape). */
const MOE_SPACE: SearchSpace = {
  zero: [1, 2],
  vpp: [1],
  placement: ["tp-cp-dp-pp"],
  cp: [1],
  etp: ["1"],
  recompute: ["selective", "full"],
  sequenceParallel: [true],
};

const TRAINING: TrainingWorkload[] = [
  { name: "Llama 3.1 405B pretraining", model: "llama3.1-405b", run: { seqLen: 8192, globalBatch: 1024, precision: "mxfp8" } },
  { name: "DeepSeek-V3 pretraining", model: "deepseek-v3", run: { seqLen: 4096, globalBatch: 2048, precision: "mxfp8" }, space: MOE_SPACE },
];

interface TrainingOutcome {
  tokensPerSecond: number;
  chips: number;
  joulesPerToken: number;
  layout: string;
  /** The precision it trained at: what both the chip and its default framework have (the plan's run, hardware.ts trainingPrecisionRunsAt). */
  precision: string;
  framework: string;
  hfu: number;
  busy: number;
}

function trainOn(catalog: Catalog, systemId: string, w: TrainingWorkload, space: SearchSpace | undefined): TrainingOutcome | null {
  const hw = catalog.hardware(systemId);
  const model = catalog.model(w.model);
  const chips = ULTRASERVERS * hw.system.chipsPerSystem;
  const best = plan({ model, hw, chips: [chips], ...w.run, topK: 1, space: space ?? w.space }).plans[0];
  if (!best) return null;
  const ops = trainingOperations(
    {
      scenario: { schemaVersion: 1, model: w.model, system: { id: systemId, chips }, run: best.run, parallelism: best.parallelism },
      model,
      systemId,
      chipId: hw.chip.id,
      prediction: best.prediction,
    },
    catalog,
  );
  const p = best.prediction;
  return {
    tokensPerSecond: p.tokensPerSecond,
    chips,
    joulesPerToken: ops.energy.perMillionTokens.joules.value! / 1e6,
    layout: `tp ${best.parallelism.tp} pp ${best.parallelism.pp} dp ${best.parallelism.dp} cp ${best.parallelism.cp}${best.parallelism.ep > 1 ? ` ep ${best.parallelism.ep}` : ""}`,
    hfu: p.hfu,
    busy: Math.min(1, p.breakdown.compute / p.stepSeconds),
    precision: best.run.precision,
    framework: hw.software.framework,
  };
}

interface ServingWorkload {
  name: string;
  model: string;
  precision: "fp8" | "bf16";
  inputTokens: number;
  outputTokens: number;
  ratePerSecond: number;
}

const SERVING: ServingWorkload[] = [
  { name: "Llama 3.3 70B serving", model: "llama3.3-70b", precision: "fp8", inputTokens: 2048, outputTokens: 256, ratePerSecond: 20 },
  { name: "GPT-OSS-120B serving", model: "gpt-oss-120b", precision: "fp8", inputTokens: 2048, outputTokens: 256, ratePerSecond: 20 },
];
const SLO = { ttftSeconds: 2, tpotSeconds: 0.05 };

interface ServingOutcome {
  chips: number;
  outputTokensPerSecond: number;
  perChip: number;
  tp: number;
}

function serveOn(catalog: Catalog, systemId: string, w: ServingWorkload, requests: number): ServingOutcome | null {
  const scenario: ServingScenario = {
    schemaVersion: 1,
    model: w.model,
    deployment: { system: systemId, precision: w.precision, tp: 8, replicas: 1, batching: { policy: "continuous", maxBatch: 64 } },
    traffic: {
      requests,
      arrival: { kind: "poisson", ratePerSecond: w.ratePerSecond },
      inputTokens: w.inputTokens,
      outputTokens: w.outputTokens,
    },
    slo: SLO,
  };
  const best = planServing(scenario, catalog, { systems: [systemId], maxChips: 64, tps: [4, 8, 16], batches: [64, 256] }).find(
    (c) => c.meetsSlo,
  );
  if (!best) return null;
  return {
    chips: best.chips,
    outputTokensPerSecond: best.outputTokensPerSecond,
    perChip: best.outputTokensPerSecondPerChip,
    tp: best.pool.tp,
  };
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b > 0 ? a / b : null);
/**
 * Where the two systems train at different precisions under their default frameworks (hardware.ts
 * trainingPrecisionRunsAt), the delivered ratio carries that software gap as well as the silicon's.
 */
function precisionGap(training: { w: TrainingWorkload; a: TrainingOutcome | null; b: TrainingOutcome | null }[]): string {
  const gaps = training.filter(({ a, b }) => a && b && a.precision !== b.precision);
  if (!gaps.length) return "";
  const { a, b } = gaps[0]!;
  return (
    `Under their default frameworks Trn2 trains in ${a!.precision} (${a!.framework}) and Trn3 in ${b!.precision} (${b!.framework}), ` +
    `the nearest precisions each chip and its software have, so the delivered training ratios carry that software gap beside ` +
    `the silicon's, which the peak comparison (Trn2 at FP8) leaves out. `
  );
}

const f2 = (x: number | null) => (x === null ? "n/a" : `${x.toFixed(2)}x`);

function withTdp(chip: ChipSpec, watts: number): ChipSpec {
  return { ...chip, tdpW: { ...chip.tdpW, value: watts } };
}

/**
 * The verdict at both ends of the likely range of the delivered ratios. A ratio of two predictions
 * resting on the same borrowed kernels and software: their errors share a cause, so the ratio's range
 * is taken as one prediction's (the held-out range of training on borrowed kernels), not the two
 * combined as if independent.
 */
function acrossInterval(verdictOf: (ratios: number[]) => Verdict, ratios: number[]): ClaimCheck["acrossInterval"] {
  const range = ratioInterval(1, trainingEvidenceKey({ kernels: "borrowed", software: "fitted" }, false));
  if (!range) return { holds: true, low: verdictOf(ratios), high: verdictOf(ratios), note: "no held-out record to draw a range from" };
  const low = verdictOf(ratios.map((r) => r * range.low));
  const high = verdictOf(ratios.map((r) => r * range.high));
  const pct = (x: number) => `${x >= 1 ? "+" : ""}${Math.round((x - 1) * 100)}%`;
  return {
    holds: low === high,
    low,
    high,
    note: `delivered ratios from ${pct(range.low)} to ${pct(range.high)} (the ${Math.round(range.level * 100)}% spread of held-out training predictions on borrowed kernels about their median): ${low === high ? `"${low}" either way` : `"${low}" at the low end, "${high}" at the high end`}`,
  };
}

/** A verdict from datasheet arithmetic alone: no model error to carry. */
const datasheetOnly = (v: Verdict): ClaimCheck["acrossInterval"] => ({
  holds: true,
  low: v,
  high: v,
  note: "datasheet arithmetic (or no figure to check): the model's error does not enter",
});

export function checkClaims(catalog: Catalog, options: ClaimsOptions = {}): ClaimsReport {
  const trn2 = catalog.hardware("trn2-ultraserver");
  const trn3 = catalog.hardware("trn3-ultraserver");
  const notes: string[] = [];

  // Peak arithmetic, per chip and per UltraServer.
  const peak2 = peakFlopsPerSecond(trn2.chip, "fp8");
  const peak3 = peakFlopsPerSecond(trn3.chip, "mxfp8");
  const us2 = peak2 * trn2.system.chipsPerSystem;
  const us3 = peak3 * trn3.system.chipsPerSystem;
  const chipRatio = trn3.system.chipsPerSystem / trn2.system.chipsPerSystem;

  const training = TRAINING.map((w) => ({
    w,
    a: trainOn(catalog, "trn2-ultraserver", w, options.space),
    b: trainOn(catalog, "trn3-ultraserver", w, options.space),
  }));
  const requests = options.servingRequests ?? 200;
  const serving = SERVING.map((w) => ({
    w,
    a: serveOn(catalog, "trn2-ultraserver", w, requests),
    b: serveOn(catalog, "trn3-ultraserver", w, requests),
  }));

  // --- Compute 4.4x ---
  const computeFigures: WorkloadFigure[] = [
    {
      workload: "peak arithmetic",
      metric: "dense PFLOP/s per UltraServer (Trn2 FP8, Trn3 MXFP8)",
      trn2: us2 / 1e15,
      trn3: us3 / 1e15,
      ratio: us3 / us2,
      detail: `${(peak3 / peak2).toFixed(2)}x per chip × ${chipRatio.toFixed(2)}x the chips (${trn3.system.chipsPerSystem} vs ${trn2.system.chipsPerSystem})`,
    },
  ];
  for (const { w, a, b } of training) {
    const perUs = (o: TrainingOutcome | null, per: number) => (o ? (o.tokensPerSecond / o.chips) * per : null);
    const r = ratio(perUs(b, trn3.system.chipsPerSystem), perUs(a, trn2.system.chipsPerSystem));
    computeFigures.push({
      workload: w.name,
      metric: "training tokens/s per UltraServer",
      trn2: perUs(a, trn2.system.chipsPerSystem),
      trn3: perUs(b, trn3.system.chipsPerSystem),
      ratio: r,
      trainedAt: { trn2: a?.precision ?? null, trn3: b?.precision ?? null },
      detail: `per chip ${f2(r === null ? null : r / chipRatio)}; ${ULTRASERVERS} UltraServers each (Trn2 ${a ? `${a.layout}, ${a.precision} under ${a.framework}` : "no fit"}, Trn3 ${b ? `${b.layout}, ${b.precision} under ${b.framework}` : "no fit"}), seq ${w.run.seqLen}, batch ${w.run.globalBatch}, ${w.run.precision} asked`,
    });
  }
  for (const { w, a, b } of serving) {
    const r = ratio(b?.perChip, a?.perChip);
    computeFigures.push({
      workload: w.name,
      metric: "output tokens/s per chip at the SLO",
      trn2: a?.perChip ?? null,
      trn3: b?.perChip ?? null,
      ratio: r,
      detail: `fewest chips meeting p90 TTFT ≤ ${SLO.ttftSeconds} s and TPOT ≤ ${SLO.tpotSeconds * 1e3} ms at ${w.ratePerSecond} req/s (${w.inputTokens} in, ${w.outputTokens} out): Trn2 ${a ? `${a.chips} chips tp ${a.tp}` : "none"}, Trn3 ${b ? `${b.chips} chips tp ${b.tp}` : "none"}; at equal traffic, per chip is the fair ratio`,
    });
  }
  const delivered = computeFigures
    .slice(1)
    .map((f) => f.ratio)
    .filter((r): r is number => r !== null);
  const computeClaim = claim("trn3-vs-trn2-compute");
  const minD = Math.min(...delivered);
  const maxD = Math.max(...delivered);
  const trainingRatios = computeFigures
    .slice(1, 1 + TRAINING.length)
    .map((f) => f.ratio)
    .filter((r): r is number => r !== null);
  const computeVerdict = (rs: number[]): Verdict =>
    rs.every((r) => r >= 0.9 * computeClaim.value)
      ? "holds"
      : rs.some((r) => r >= 0.9 * computeClaim.value)
        ? "holds only for some workloads"
        : "does not follow from the published specs";
  const computeCheck: ClaimCheck = {
    claim: computeClaim,
    related: [claim("trn3-per-chip-fp8-vs-trn2"), claim("trn3-gptoss-throughput")],
    predicted: [
      `peak: ${(us3 / 1e15).toFixed(1)} PF / ${(us2 / 1e15).toFixed(1)} PF = ${(us3 / us2).toFixed(2)}x per UltraServer, of which ${chipRatio.toFixed(2)}x is chip count and ${(peak3 / peak2).toFixed(2)}x per chip`,
      `delivered training per UltraServer: ${trainingRatios.map((r) => `${r.toFixed(2)}x`).join(", ")} (per chip ${trainingRatios.map((r) => `${(r / chipRatio).toFixed(2)}x`).join(", ")})`,
    ],
    figures: computeFigures,
    verdict: computeVerdict(delivered),
    acrossInterval: acrossInterval(computeVerdict, delivered),
    reason:
      `The 4.4x is peak arithmetic per UltraServer (${(us3 / us2).toFixed(2)}x), mostly the ${chipRatio.toFixed(2)}x chip count. ` +
      `Delivered per UltraServer the model gives ${minD.toFixed(2)}-${maxD.toFixed(2)}x across the workloads; per chip the gain is ${(peak3 / peak2).toFixed(2)}x at peak and less delivered where memory bandwidth (${(trn3.hbmBytesPerSecond / trn2.hbmBytesPerSecond).toFixed(2)}x per chip) or the scale-up fabric bound the step. ` +
      precisionGap(training) +
      (delivered.some((r) => r >= 0.9 * computeClaim.value)
        ? `The peak arithmetic is right; ${delivered.filter((r) => r >= 0.9 * computeClaim.value).length} of ${delivered.length} workloads deliver it or more.`
        : `The peak arithmetic is right; no workload here delivers it: the per-chip gain in delivered throughput is below the ${(peak3 / peak2).toFixed(2)}x at peak.`),
  };

  // --- Memory bandwidth ---
  const bw2 = trn2.hbmBytesPerSecond * trn2.system.chipsPerSystem;
  const bw3 = trn3.hbmBytesPerSecond * trn3.system.chipsPerSystem;
  const bwClaim = claim("trn3-vs-trn2-memory-bandwidth");
  const bwCheck: ClaimCheck = {
    claim: bwClaim,
    related: [],
    predicted: [
      `${(bw3 / 1e12).toFixed(1)} TB/s / ${(bw2 / 1e12).toFixed(1)} TB/s = ${(bw3 / bw2).toFixed(2)}x per UltraServer; ${(trn3.hbmBytesPerSecond / trn2.hbmBytesPerSecond).toFixed(2)}x per chip`,
    ],
    figures: [
      {
        workload: "HBM bandwidth",
        metric: "TB/s per UltraServer",
        trn2: bw2 / 1e12,
        trn3: bw3 / 1e12,
        ratio: bw3 / bw2,
        detail: "catalog figures (Neuron instance tables)",
      },
      {
        workload: "HBM bandwidth",
        metric: "TB/s per chip",
        trn2: trn2.hbmBytesPerSecond / 1e12,
        trn3: trn3.hbmBytesPerSecond / 1e12,
        ratio: trn3.hbmBytesPerSecond / trn2.hbmBytesPerSecond,
        detail: "",
      },
    ],
    verdict: bw3 / bw2 >= 3.5 ? "holds" : "does not follow from the published specs",
    acrossInterval: datasheetOnly(bw3 / bw2 >= 3.5 ? "holds" : "does not follow from the published specs"),
    reason: `Per UltraServer ${(bw3 / bw2).toFixed(2)}x ("almost 4x"); it is ${chipRatio.toFixed(2)}x the chips × ${(trn3.hbmBytesPerSecond / trn2.hbmBytesPerSecond).toFixed(2)}x per chip, so per chip it is 1.7x.`,
  };

  // --- Energy: tokens per joule, 4x vs 40% ---
  const energyFigures: WorkloadFigure[] = [];
  const tdp3 = trn3.chip.tdpW.value;
  const sensitivity: string[] = [];
  const required: number[] = [];
  const required14: number[] = [];
  for (const { w, a, b } of training) {
    if (!a || !b) continue;
    const r = a.joulesPerToken / b.joulesPerToken;
    energyFigures.push({
      workload: w.name,
      metric: "training tokens per joule (facility)",
      trn2: 1 / a.joulesPerToken,
      trn3: 1 / b.joulesPerToken,
      ratio: r,
      detail: `Trn3 at ${tdp3} W per chip (estimate), Trn2 at ${trn2.chip.tdpW.value} W (estimate)`,
    });
    // Power per chip is linear in TDP: find the Trn3 chip power that gives 4x and 1.4x.
    const perChipWatts = (watts: number) =>
      clusterPower({
        chip: withTdp(trn3.chip, watts),
        systemId: "trn3-ultraserver",
        chips: 1,
        hfu: b.hfu,
        memoryUtilization: Math.max(0, b.busy - b.hfu),
      }).facilityWatts.value!;
    const w0 = perChipWatts(0);
    const slope = perChipWatts(1000) / 1000 - w0 / 1000;
    const tokensPerChip = b.tokensPerSecond / b.chips;
    const needed = (target: number) => ((tokensPerChip * a.joulesPerToken) / target - w0) / slope;
    const at = (watts: number) => (a.joulesPerToken * tokensPerChip) / perChipWatts(watts);
    const watts = (target: number) =>
      needed(target) > 0 ? `${needed(target).toFixed(0)} W` : "no positive chip power (host, network and cooling alone exceed it)";
    required.push(needed(4));
    required14.push(needed(1.4));
    sensitivity.push(
      `${w.name}: a Trainium3 TDP of 700 / 1,000 / 1,400 W gives ${at(700).toFixed(2)}x / ${at(1000).toFixed(2)}x / ${at(1400).toFixed(2)}x; 4x needs ${watts(4)}, 1.4x needs ${watts(1.4)}`,
    );
  }
  for (const { w, a, b } of serving) {
    if (!a || !b) continue;
    // Decode is memory-bound: chips counted at full memory-bound power (an upper bound on their draw).
    const watts = (chip: ChipSpec, systemId: string, chips: number) =>
      clusterPower({ chip, systemId, chips, hfu: 0, memoryUtilization: 1 }).facilityWatts.value!;
    const j2 = watts(trn2.chip, "trn2-ultraserver", a.chips) / a.outputTokensPerSecond;
    const j3 = watts(trn3.chip, "trn3-ultraserver", b.chips) / b.outputTokensPerSecond;
    energyFigures.push({
      workload: w.name,
      metric: "output tokens per joule at the SLO",
      trn2: 1 / j2,
      trn3: 1 / j3,
      ratio: j2 / j3,
      detail: "chips at memory-bound power while serving",
    });
  }
  const eRatios = energyFigures.map((f) => f.ratio!).filter((r) => Number.isFinite(r));
  const eClaim = claim("trn3-vs-trn2-energy-efficiency");
  const energyVerdict = (rs: number[]): Verdict =>
    rs.every((r) => r >= 3.6)
      ? "holds"
      : rs.some((r) => r >= 3.6)
        ? "holds only for some workloads"
        : "does not follow from the published specs";
  const energyCheck: ClaimCheck = {
    claim: eClaim,
    related: [claim("trn3-40pct-energy")],
    predicted: [`tokens per joule, Trn3 over Trn2: ${eRatios.map((r) => `${r.toFixed(2)}x`).join(", ")}`, ...sensitivity],
    figures: energyFigures,
    verdict: energyVerdict(eRatios),
    acrossInterval: acrossInterval(energyVerdict, eRatios),
    reason:
      `With the catalog's estimated chip powers (Trainium2 ${trn2.chip.tdpW.value} W, Trainium3 ${tdp3} W; neither published) Trn3 delivers ${Math.min(...eRatios).toFixed(2)}-${Math.max(...eRatios).toFixed(2)}x the tokens per joule. ` +
      `For 4x, a Trainium3 chip would have to draw at most ${Math.max(0, Math.max(...required)).toFixed(0)} W in training, which no estimate supports. ` +
      `4x matches the per-UltraServer throughput ratio, not work per joule. 40% (1.4x) needs Trainium3 at ${Math.min(...required14).toFixed(0)}-${Math.max(...required14).toFixed(0)} W in training against the 1 kW estimate; neither figure follows from published specs because chip power is not published.`,
  };

  // --- Scale ---
  const scaleClaim = claim("trn3-ultracluster-scale");
  const net = catalog.network("trn3-ultraserver");
  const ultraServers = Math.floor(scaleClaim.value / trn3.system.chipsPerSystem);
  const scaleCheck: ClaimCheck = {
    claim: scaleClaim,
    related: [],
    predicted: [
      `${scaleClaim.value.toLocaleString("en-US")} chips = ${ultraServers.toLocaleString("en-US")} Trn3 UltraServers (${(ultraServers * trn3.system.chipsPerSystem).toLocaleString("en-US")} chips in whole UltraServers)`,
      net
        ? `EFA as ${net.tiers.length} tiers: ${net.tiers.map((t) => `${t.name} (${t.chips ? `${t.chips.value.toLocaleString("en-US")} chips` : "unbounded"}, 1:${t.oversubscription.value}${t.oversubscription.estimate ? " est." : ""})`).join(", ")}`
        : "no tiered network in the catalog",
      "the scaling curve to 1M chips: ultrasim scale --model llama3.1-405b --system trn3-ultraserver --chips 144..1000000",
    ],
    figures: [],
    verdict: "holds",
    acrossInterval: datasheetOnly("holds"),
    reason:
      "A count of chips in one EFA network, not a job size: the model can lay a data-parallel job across it, but one 405B run at a realistic batch cannot fill 1M chips (weak scaling to 1M chips needs a batch far past the critical batch size), and failures take most of the time at that scale (ultrasim reliability). The 10x is against Trn2 UltraClusters; AWS's figure for those is not in the sources here.",
  };

  // --- Inference cost ---
  const costClaim = claim("trn3-customer-cost");
  const costFigures: WorkloadFigure[] = [];
  const costLines: string[] = [];
  const p5 = priceFor("p5.48xlarge", { kind: "on-demand" });
  const trn3Price = priceFor("trn3-ultraserver");
  for (const w of SERVING) {
    const gpu = serveOn(catalog, "p5.48xlarge", w, requests);
    const t3 = serving.find((s) => s.w === w)!.b;
    if (!gpu || !t3 || p5.usdPerChipHour.value === null) continue;
    const gpuUsd = ((p5.usdPerChipHour.value * gpu.chips) / 3600 / gpu.outputTokensPerSecond) * 1e6;
    const breakEven = (0.5 * gpuUsd * t3.outputTokensPerSecond * 3600) / 1e6 / t3.chips;
    costFigures.push({
      workload: w.name,
      metric: "$ per 1M output tokens at the SLO (p5 on-demand)",
      trn2: null,
      trn3: null,
      ratio: null,
      detail: `p5.48xlarge ${gpu.chips} H100 at $${p5.usdPerChipHour.value}/GPU-h: $${gpuUsd.toFixed(2)}; Trn3 ${t3.chips} chips: no public price`,
    });
    costLines.push(
      `${w.name}: p5.48xlarge $${gpuUsd.toFixed(2)} per 1M output tokens (${gpu.chips} GPUs); Trn3 is 50% cheaper below $${breakEven.toFixed(2)} per chip-hour`,
    );
  }
  const costCheck: ClaimCheck = {
    claim: costClaim,
    related: [],
    predicted: [
      ...costLines,
      `prices: p5.48xlarge ${p5.kind} $${p5.usdPerChipHour.value}/GPU-h (${p5.usdPerChipHour.source}); Trn3: ${trn3Price.usdPerChipHour.note}`,
    ],
    figures: costFigures,
    verdict: "cannot be checked",
    acrossInterval: datasheetOnly("cannot be checked"),
    reason:
      "No public Trn3 price exists, so $ per token cannot be checked; the break-even price per chip-hour is what would have to be true. Customer anecdotes also mix training and inference.",
  };

  notes.push(
    "Workloads: training on 16 UltraServers of each (1,024 Trainium2, 2,304 Trainium3), the planner's best layout; serving by the serving simulator at one traffic and SLO, each system on its runtime's default engine (vLLM on the GPUs; vLLM on Neuron on Trainium: static compiled shapes and the host time per iteration fitted on optimum-neuron's Trn2 and Inf2 runs).",
    "Training: Trainium2/3 borrow Trainium1's fitted efficiencies (no training cases of their own). Serving: Trainium2 has its own fit (one NxD Inference case, partially pooled with Trainium1's and Inferentia2's) and Trainium3 borrows it. Chip powers are estimates.",
  );
  return { claims: [computeCheck, bwCheck, energyCheck, scaleCheck, costCheck], notes };
}
