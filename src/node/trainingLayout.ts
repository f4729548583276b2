// Where `ultrasim train`'s layout comes from when no scenario file gives one, and what it assumed:
// no flags at all, the built-in default scenario as it stands; tp, pp and dp given, that layout, the
// rest at its defaults; flags but no layout, the planner's best layout for them; some layout flags, the
// planner's best with those held (plain choices where it finds none). Never the default scenario's
// layout under another model or system.
import type { TrainingScenario } from "../engine/catalog/scenario.js";
import { DEFAULT_TRAINING_SCENARIO } from "../engine/catalog/scenario.js";
import type { ParallelismSpec } from "../engine/catalog/schema.js";
import { describeLayout, plan, type SearchSpace } from "../engine/plan/search.js";
import { builtinCatalog } from "../engine/catalog/builtin.js";
import { defaultZeroStage } from "../engine/calibrate/framework.js";
import { buildPlanRequest } from "./planRequest.js";
import { extendCatalog } from "./userCatalog.js";
import { planInParallel } from "./planPool.js";
import type { TrainingFlag } from "./trainingScenario.js";

export type LayoutSource = "file" | "default" | "flags" | "planner" | "plain";

const LAYOUT_FLAGS: readonly TrainingFlag[] = [
  "tp",
  "pp",
  "dp",
  "cp",
  "ep",
  "etp",
  "vpp",
  "zero",
  "recompute",
  "recomputeLayers",
  "placement",
  "microBatch",
];

/** Where the layout comes from, given the file and the flags the user passed. */
export function layoutSource(file: string | undefined, flags: Partial<Record<TrainingFlag, string>>, spGiven: boolean): LayoutSource {
  if (file) return "file";
  // The framework alone changes no model, system or run: the default's layout still holds.
  const given = (Object.keys(flags) as TrainingFlag[]).filter((f) => f !== "framework");
  if (given.length === 0 && !spGiven) return "default";
  // tp, pp and dp name a layout: what else it leaves out takes its documented default (no interleaving,
  // micro-batch 1, Megatron's rank order, the least recomputation that fits), listed by the prediction.
  if (flags.tp !== undefined && flags.pp !== undefined && flags.dp !== undefined) return "flags";
  return spGiven || given.some((f) => LAYOUT_FLAGS.includes(f)) ? "plain" : "planner";
}

/** The plain layout under the layout flags: what is not given is the simplest choice that runs. */
export const PLAIN_LAYOUT: ParallelismSpec = {
  tp: 1,
  pp: 1,
  dp: 1,
  cp: 1,
  ep: 1,
  etp: null,
  vpp: null,
  sequenceParallel: true,
  zero: 1,
  recompute: null,
};

/** The run and system fields the flags left at the built-in default's, as assumptions. */
function defaultsKept(flags: Partial<Record<TrainingFlag, string>>): string[] {
  const d = DEFAULT_TRAINING_SCENARIO;
  const kept: [TrainingFlag, string][] = [
    ["model", String(d.model)],
    ["system", d.system.id],
    ["chips", d.system.chips.toLocaleString("en-US")],
    ["seqLen", String(d.run.seqLen)],
    ["globalBatch", String(d.run.globalBatch)],
    ["precision", d.run.precision],
  ];
  return kept.filter(([flag]) => flags[flag] === undefined).map(([flag, value]) => `${flag} not given: ${value} (the built-in default's)`);
}

/**
 * The scenario's layout for `source`, with the assumptions to print. Plain: the flags are already laid
 * over PLAIN_LAYOUT; dp, when not given, fills the chips. Planner: the best layout `ultrasim plan` finds.
 */
export async function completeLayout(
  source: LayoutSource,
  scenario: TrainingScenario,
  flags: Partial<Record<TrainingFlag, string>>,
  catalogFiles: string[] | undefined,
): Promise<string[]> {
  if (source === "file") return [];
  if (source === "default")
    return [
      `no scenario or flags given: the built-in default, ${DEFAULT_TRAINING_SCENARIO.name}, laid out as the planner ranks first for it (ultrasim plan)`,
    ];
  const assumptions = defaultsKept(flags);
  if (source === "flags") return [...assumptions, ...plainLayout(scenario, flags, catalogFiles)];
  if (source === "plain") {
    // The planner's fastest layout with what the flags fixed held fixed; plain choices where it finds none.
    const best = bestWithin(scenario, flags, catalogFiles);
    if (best) {
      // Recomputed layers, where given, are the user's: the planner's best full-recompute layout with them.
      scenario.parallelism =
        flags.recomputeLayers !== undefined
          ? { ...best.parallelism, recomputeLayers: scenario.parallelism.recomputeLayers }
          : best.parallelism;
      scenario.run = { ...scenario.run, microBatch: best.run.microBatch };
      const fixed = LAYOUT_FLAGS.filter((f) => flags[f] !== undefined).map((f) => `--${kebab(f)}`);
      assumptions.push(
        `layout not given in full: the planner's fastest with ${fixed.join(", ") || "--sp"} as given, ${describeLayout(scenario.parallelism, best.run.microBatch!)}`,
      );
      return assumptions;
    }
    return [...assumptions, ...plainLayout(scenario, flags, catalogFiles)];
  }
  const result = await planInParallel(undefined, { ...flags, catalog: catalogFiles }, () => {});
  const best = result.plans[0];
  if (!best) {
    // Nothing fits: a plain layout, whose prediction says by how much (or why it cannot run).
    scenario.parallelism = { ...PLAIN_LAYOUT };
    scenario.run = { ...scenario.run, microBatch: null };
    return [
      ...assumptions,
      "layout not given, and the planner found none that fits (ultrasim plan says why): a plain one",
      ...plainLayout(scenario, flags, catalogFiles),
    ];
  }
  scenario.parallelism = best.parallelism;
  scenario.run = { ...scenario.run, microBatch: best.run.microBatch };
  assumptions.push(
    `layout not given: the planner's fastest for these chips, ${describeLayout(best.parallelism, best.run.microBatch!)} (ultrasim plan ranks the others)`,
  );
  return assumptions;
}

const ZERO_WORDS: Record<number, string> = {
  0: "0 (the framework shards nothing)",
  1: "1 (the optimizer state sharded over data parallelism)",
  2: "2 (the framework's least sharding: optimizer state and gradients over data parallelism)",
  3: "3 (the framework's least sharding: parameters too, FSDP)",
};

/** The plain layout's ZeRO stage: 1, or where the framework does not offer it the least sharding it does. */
function plainZero(scenario: TrainingScenario, catalogFiles: string[] | undefined): 0 | 1 | 2 | 3 {
  const catalog = catalogFiles?.length ? extendCatalog(builtinCatalog(), catalogFiles) : builtinCatalog();
  const chip = catalog.system(scenario.system.id).chip;
  return defaultZeroStage(catalog.framework(chip, scenario.framework).zeroStages.value);
}

/** Fill what the flags left of a plain layout: dp takes the chips left; each choice is an assumption. */
function plainLayout(
  scenario: TrainingScenario,
  flags: Partial<Record<TrainingFlag, string>>,
  catalogFiles: string[] | undefined,
): string[] {
  const p = scenario.parallelism;
  if (flags.zero === undefined) p.zero = plainZero(scenario, catalogFiles);
  if (flags.dp === undefined) {
    const dp = scenario.system.chips / (p.tp * p.pp * p.cp);
    if (Number.isInteger(dp) && dp >= 1) p.dp = dp;
  }
  const plain: [TrainingFlag, string][] = [
    ["tp", "1"],
    ["pp", "1 (no pipeline)"],
    ["cp", "1"],
    ["dp", `chips / (tp·pp·cp) = ${p.dp}`],
    ["zero", ZERO_WORDS[p.zero]!],
  ];
  return plain.filter(([flag]) => flags[flag] === undefined).map(([flag, value]) => `${flag} not given: ${value}`);
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The fastest plan whose layout agrees with every layout field the flags (already laid over the scenario) fixed. */
function bestWithin(scenario: TrainingScenario, flags: Partial<Record<TrainingFlag, string>>, catalogFiles: string[] | undefined) {
  const p = scenario.parallelism;
  const given = (f: TrainingFlag) => flags[f] !== undefined;
  const space: SearchSpace = {
    ...(given("tp") && { tp: [p.tp] }),
    ...(given("pp") && { pp: [p.pp] }),
    ...(given("cp") && { cp: [p.cp] }),
    ...(given("ep") && { ep: [p.ep] }),
    ...(given("vpp") && { vpp: [p.vpp ?? 1] }),
    ...(given("zero") && { zero: [p.zero] }),
    ...(given("recompute") && p.recompute !== null && { recompute: [p.recompute] }),
    // Recomputed layers mean full recompute (the prediction refuses them with any other).
    ...(given("recomputeLayers") && { recompute: ["full" as const] }),
    // The rank order stays Megatron's default unless given: a layout named by its degrees means that
    // order (as a scenario file or the web app's form without one does), not a reordering of its ranks.
    placement: [given("placement") && p.placement ? p.placement : "tp-cp-dp-pp"],
    ...(given("microBatch") && scenario.run.microBatch !== null && { microBatch: [scenario.run.microBatch] }),
  };
  // dp is what is left of the chips: with tp and pp fixed, it fixes cp.
  if (given("dp") && given("tp") && given("pp") && !given("cp")) {
    const cp = scenario.system.chips / (p.tp * p.pp * p.dp);
    if (!Number.isInteger(cp)) return undefined;
    space.cp = [cp];
  }
  const str = (f: TrainingFlag) => flags[f];
  const { request } = buildPlanRequest(undefined, {
    model: str("model"),
    system: str("system"),
    chips: String(scenario.system.chips),
    globalBatch: str("globalBatch"),
    seqLen: str("seqLen"),
    precision: str("precision"),
    expertImbalance: str("expertImbalance"),
    framework: str("framework"),
    catalog: catalogFiles,
  });
  const result = plan({ ...request, space, topK: 100 });
  return result.plans.find(
    (candidate) =>
      (!given("dp") || candidate.parallelism.dp === p.dp) &&
      (!given("etp") || (candidate.parallelism.etp ?? candidate.parallelism.tp) === (p.etp ?? p.tp)) &&
      (scenario.parallelism.sequenceParallel || !candidate.parallelism.sequenceParallel || candidate.parallelism.tp === 1),
  );
}
