// The planner's request from a scenario file and command-line options: shared by `ultrasim plan` and
// its worker threads, which rebuild it from the same (serialisable) options.
import { PRICE_KINDS, priceFor } from "../engine/analytic/cost.js";
import type { Catalog } from "../engine/catalog/catalog.js";
import { builtinCatalog } from "../engine/catalog/builtin.js";
import type { TrainingScenario } from "../engine/catalog/scenario.js";
import type { ModelSpec } from "../engine/catalog/schema.js";
import { bound } from "../engine/bounds.js";
import { UltrasimError } from "../engine/errors.js";
import { parseChipCounts } from "../engine/plan/chipCounts.js";
import type { PlanObjective, PlanRequest } from "../engine/plan/search.js";
import { trainingOperations } from "../engine/report/operationsReport.js";
import { locatedIn } from "./loadInput.js";
import { checkModelShape } from "../engine/workload/transformer.js";
import { numberFlag, operationsOptions } from "./operationsFlags.js";
import { loadTrainingScenario } from "./trainingScenario.js";
import { extendCatalog } from "./userCatalog.js";

/** The options `ultrasim plan` takes, as commander hands them over: plain data a worker can receive. */
export type PlanOptions = Record<string, string | boolean | string[] | undefined>;

export interface BuiltPlanRequest {
  request: PlanRequest;
  scenario: TrainingScenario;
  model: ModelSpec;
  catalog: Catalog;
}

export { PRICE_KINDS };

export function buildPlanRequest(file: string | undefined, opts: PlanOptions): BuiltPlanRequest {
  const str = (k: string) => (typeof opts[k] === "string" ? (opts[k] as string) : undefined);
  // The scenario (or the built-in default) supplies what the flags leave out.
  const { scenario, loaded, flagFields } = loadTrainingScenario(file, {
    model: str("model"),
    system: str("system"),
    globalBatch: str("globalBatch"),
    seqLen: str("seqLen"),
    precision: str("precision"),
    expertImbalance: str("expertImbalance"),
    framework: str("framework"),
  });
  const catalogFiles = opts.catalog as string[] | undefined;
  const catalog = catalogFiles?.length ? extendCatalog(builtinCatalog(), catalogFiles) : builtinCatalog();
  // An unknown model or system names the flag that gave it, or the file and line it came from.
  const { model, hw } = locatedIn(loaded, flagFields, () => ({
    model: checkedModel(typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model),
    hw: catalog.hardwareFor(scenario),
  }));
  const chips = str("chips") ? parseChipCounts(str("chips")!, hw.system.chipsPerSystem) : [scenario.system.chips];
  const number = (k: string, flag: string, min: number, max = Infinity): number | undefined => {
    const text = str(k);
    if (text === undefined) return undefined;
    const value = numberFlag(text, flag)!;
    if (value < min || value > max) {
      throw new UltrasimError("INVALID_INPUT", `must be a number from ${min}${max < Infinity ? ` to ${max}` : ""}, got '${text}'`, {
        field: flag,
      });
    }
    return value;
  };
  const tokens = number("tokens", "--tokens", 1, bound("trainingTokens").max);
  const objective = (str("objective") ?? "step-time") as PlanObjective;
  if (objective === "time-to-train" && tokens === undefined) {
    throw new UltrasimError("INVALID_INPUT", "the time-to-train objective needs --tokens", { field: "--tokens" });
  }
  // $ and J per 1M tokens of each plan, from the price table and the power model (as `train` reports them).
  const operationsFlags = operationsOptions(opts, catalog);
  const systemId = scenario.system.id;
  const operations: PlanRequest["operations"] = (p) => {
    const ops = trainingOperations(
      {
        scenario: { ...scenario, system: { ...scenario.system, chips: p.chips }, run: p.run, parallelism: p.parallelism },
        model,
        systemId,
        chipId: hw.chip.id,
        prediction: p.prediction,
      },
      catalog,
      { pue: operationsFlags.pue, usdPerChipHour: operationsFlags.usdPerChipHour, priceKind: operationsFlags.priceKind },
    );
    return { usdPerMillionTokens: ops.cost.perMillionTokensUsd.value, joulesPerMillionTokens: ops.energy.perMillionTokens.joules.value };
  };
  if (objective === "cost") {
    const price = priceFor(systemId, { kind: operationsFlags.priceKind, usdPerChipHour: operationsFlags.usdPerChipHour });
    if (price.usdPerChipHour.value === null) {
      throw new UltrasimError("INVALID_INPUT", `no public price for ${systemId}: give one with --price-per-chip-hour`, {
        field: "--objective",
      });
    }
  }
  return {
    request: {
      model,
      hw,
      chips,
      globalBatch: scenario.run.globalBatch,
      seqLen: scenario.run.seqLen,
      precision: scenario.run.precision,
      ...(scenario.run.expertLoadImbalance !== undefined && { expertLoadImbalance: scenario.run.expertLoadImbalance }),
      objective,
      tokens,
      memoryHeadroom: number("headroom", "--headroom", 0, 0.9),
      batchTolerance: number("batchTolerance", "--batch-tolerance", 0, 0.5),
      topK: number("top", "--top", 1, 100),
      operations,
    },
    scenario,
    model,
    catalog,
  };
}

/** The model, its fields checked together (so an error names the file and line while they are at hand). */
function checkedModel(model: ModelSpec): ModelSpec {
  checkModelShape(model);
  return model;
}
