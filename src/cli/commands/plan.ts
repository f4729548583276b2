// `ultrasim plan`: search every layout of a model on a cluster and rank the best.
import { Option, type Command } from "commander";
import type { TrainingScenario } from "../../engine/catalog/scenario.js";
import { UltrasimError } from "../../engine/errors.js";
import { parseChipCounts } from "../../engine/plan/chipCounts.js";
import { plan, type PlanObjective, type PlanRequest } from "../../engine/plan/search.js";
import { PRICE_KINDS, priceFor } from "../../engine/analytic/cost.js";
import { trainingOperations } from "../../engine/report/operationsReport.js";
import { operationsOptions } from "../../node/operationsFlags.js";
import { loadTrainingScenario } from "../../node/trainingScenario.js";
import { catalogFrom, print, printJson } from "../output.js";
import { progressReporter } from "../progress.js";
import { renderPlan } from "../renderPlan.js";

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("search every layout (tp, pp, dp, cp, ep, vpp, micro-batch, ZeRO, recompute, sequence parallelism) and rank the best")
    .argument("[scenario]", "a training scenario file: its model, system, chips and run are used, its layout is ignored")
    .option("--model <id>", "model id (ultrasim catalog models)")
    .option("--system <id>", "system id (ultrasim catalog systems)")
    .option("--chips <n|a..b>", "chips in total, or a range to scan, e.g. 1024..65536")
    .option("--global-batch <n>", "sequences per optimizer step")
    .option("--seq-len <n>", "sequence length in tokens")
    .option("--precision <p>", "fp16 | bf16 | fp8 | mxfp8 | nvfp4")
    .addOption(
      new Option("--objective <o>", "what to minimise").choices(["step-time", "time-to-train", "cost", "energy"]).default("step-time"),
    )
    .option("--tokens <n>", "tokens to train (time-to-train), e.g. 15e12")
    .option("--headroom <fraction>", "memory kept free", "0.1")
    .option("--top <k>", "plans to show", "5")
    .option("--json", "print the result as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .option("--pue <value>", "data-centre PUE (default: AWS's reported 1.15)")
    .option("--price-per-chip-hour <usd>", "override the price table: dollars per chip-hour")
    .option("--price-kind <kind>", `price to take from the table: ${PRICE_KINDS.join(" | ")}`)
    .action((file: string | undefined, opts: Record<string, string | boolean | string[] | undefined>) => {
      const str = (k: string) => (typeof opts[k] === "string" ? (opts[k] as string) : undefined);
      // The scenario (or the built-in default) supplies what the flags leave out.
      const { scenario } = loadTrainingScenario(file, {
        model: str("model"),
        system: str("system"),
        globalBatch: str("globalBatch"),
        seqLen: str("seqLen"),
        precision: str("precision"),
      });
      const catalog = catalogFrom(opts.catalog as string[] | undefined);
      const model = typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model;
      const hw = catalog.hardware(scenario.system.id, scenario.efficiency ?? {}, scenario.system.scaleOutGbpsPerChip);
      const chips = str("chips") ? parseChipCounts(str("chips")!, hw.system.chipsPerSystem) : [scenario.system.chips];
      const number = (k: string, flag: string, min: number, max = Infinity): number | undefined => {
        const text = str(k);
        if (text === undefined) return undefined;
        const value = Number(text);
        if (!Number.isFinite(value) || value < min || value > max) {
          throw new UltrasimError("INVALID_INPUT", `must be a number from ${min}${max < Infinity ? ` to ${max}` : ""}, got '${text}'`, {
            field: flag,
          });
        }
        return value;
      };
      const tokens = number("tokens", "--tokens", 1);
      const objective = opts.objective as PlanObjective;
      if (objective === "time-to-train" && tokens === undefined) {
        throw new UltrasimError("INVALID_INPUT", "the time-to-train objective needs --tokens", { field: "--tokens" });
      }
      // $ and J per 1M tokens of each plan, from the price table and the power model (as `train` reports them).
      const operationsFlags = operationsOptions(opts);
      const systemId = scenario.system.id;
      const modelRef = scenario.model;
      const operations: PlanRequest["operations"] = (p) => {
        const ops = trainingOperations(
          {
            scenario: {
              ...scenario,
              model: modelRef,
              system: { ...scenario.system, chips: p.chips },
              run: p.run,
              parallelism: p.parallelism,
            },
            model,
            systemId,
            chipId: hw.chip.id,
            prediction: p.prediction,
          },
          catalog,
          { pue: operationsFlags.pue, usdPerChipHour: operationsFlags.usdPerChipHour, priceKind: operationsFlags.priceKind },
        );
        return {
          usdPerMillionTokens: ops.cost.perMillionTokensUsd.value,
          joulesPerMillionTokens: ops.energy.perMillionTokens.joules.value,
        };
      };
      if (objective === "cost") {
        const price = priceFor(systemId, { kind: operationsFlags.priceKind, usdPerChipHour: operationsFlags.usdPerChipHour });
        if (price.usdPerChipHour.value === null) {
          throw new UltrasimError("INVALID_INPUT", `no public price for ${systemId}: give one with --price-per-chip-hour`, {
            field: "--objective",
          });
        }
      }
      const progress = progressReporter("planning", chips.length > 1);
      const started = performance.now();
      const result = plan({
        model,
        hw,
        chips,
        globalBatch: scenario.run.globalBatch,
        seqLen: scenario.run.seqLen,
        precision: scenario.run.precision,
        objective,
        tokens,
        memoryHeadroom: number("headroom", "--headroom", 0, 0.9),
        topK: number("top", "--top", 1, 100),
        onProgress: progress.update,
        operations,
      });
      progress.done();
      const seconds = (performance.now() - started) / 1000;
      const request = describeRequest(scenario, model.id ?? model.name, chips);
      if (opts.json) printJson({ request, ...result, wallSeconds: seconds, plans: result.plans.map(planJson) });
      else
        print(`${renderPlan(request, result)}\nin ${seconds.toFixed(2)} s: ${Math.round(result.evaluated / seconds)} layouts per second`);
    });
}

function describeRequest(scenario: TrainingScenario, model: string, chips: number[]) {
  return {
    model,
    system: scenario.system.id,
    chips,
    run: { seqLen: scenario.run.seqLen, globalBatch: scenario.run.globalBatch, precision: scenario.run.precision },
  };
}

function planJson(p: ReturnType<typeof plan>["plans"][number]) {
  const q = p.prediction;
  return {
    chips: p.chips,
    parallelism: p.parallelism,
    microBatch: p.run.microBatch,
    stepSeconds: q.stepSeconds,
    tokensPerSecond: q.tokensPerSecond,
    mfu: q.mfu,
    memoryBytesPerChip: q.memory.total,
    memoryCapacityBytes: q.memory.capacity,
    timeToTrainSeconds: p.timeToTrainSeconds,
    usdPerMillionTokens: p.operations?.usdPerMillionTokens ?? null,
    joulesPerMillionTokens: p.operations?.joulesPerMillionTokens ?? null,
    dominantCost: p.dominantCost,
    breakdownSeconds: q.breakdown,
  };
}
