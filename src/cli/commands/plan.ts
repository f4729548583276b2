// `ultrasim plan`: search every layout of a model on a cluster and rank the best.
import { Option, type Command } from "commander";
import type { TrainingScenario } from "../../engine/catalog/scenario.js";
import type { plan } from "../../engine/plan/search.js";
import { trainingPrecisionAssumption } from "../../engine/system/hardware.js";
import { trainingIntervals } from "../../engine/train.js";
import { trainingEvidenceKey } from "../../engine/validate/intervals.js";
import { PRICE_KINDS, buildPlanRequest, type PlanOptions } from "../../node/planRequest.js";
import { TRAINING_FLAGS } from "../../node/trainingScenario.js";
import { planInParallel } from "../../node/planPool.js";
import { formatLikelyLine, formatSeconds } from "../format.js";
import { print, printJson } from "../output.js";
import { progressReporter } from "../progress.js";
import { renderPlan } from "../renderPlan.js";

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("search every layout (tp, pp, dp, cp, ep, vpp, micro-batch, ZeRO, recompute, sequence parallelism) and rank the best")
    .argument("[scenario]", "a training scenario file: its model, system, chips, run and framework are used, its layout is ignored")
    .option("--model <id>", "model id (ultrasim catalog models)")
    .option("--system <id>", "system id (ultrasim catalog systems)")
    .option("--chips <n|a..b>", "chips in total, or a range to scan, e.g. 1024..65536")
    .option("--global-batch <n>", "sequences per optimizer step")
    .option("--seq-len <n>", "sequence length in tokens")
    .option("--precision <p>", "fp16 | bf16 | fp8 | mxfp8 | nvfp4")
    .option("--expert-imbalance <x>", TRAINING_FLAGS.expertImbalance.help)
    .option("--framework <id>", "training framework (ultrasim catalog frameworks); default: the chip vendor's")
    .addOption(
      new Option("--objective <o>", "what to minimise").choices(["step-time", "time-to-train", "cost", "energy"]).default("step-time"),
    )
    .option("--tokens <n>", "tokens to train (time-to-train), e.g. 15e12")
    .option("--headroom <fraction>", "memory kept free", "0.1")
    .option(
      "--batch-tolerance <fraction>",
      "let the global batch shrink by up to this fraction to the nearest size a layout divides (off: 0); plans are then ranked per token and each shows its batch",
    )
    .option("--top <k>", "plans to show", "5")
    .option("--json", "print the result as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .option("--pue <value>", "data-centre PUE (default: AWS's reported 1.15)")
    .option("--price-per-chip-hour <usd>", "override the price table: dollars per chip-hour")
    .option("--price-kind <kind>", `price to take from the table: ${PRICE_KINDS.join(" | ")}`)
    .action(async (file: string | undefined, opts: PlanOptions) => {
      const { request, scenario, model, catalog } = buildPlanRequest(file, opts);
      // Every plan rests on the same evidence: this chip's kernels under this framework, this model.
      const evidence = trainingEvidenceKey(catalog.efficiency(request.hw.chip.id, scenario.framework).basis, !!model.moe);
      const progress = progressReporter("planning", request.chips.length > 1);
      const started = performance.now();
      const result = await planInParallel(file, opts, progress.update);
      progress.done();
      const seconds = (performance.now() - started) / 1000;
      const described = describeRequest(scenario, model.id ?? model.name, request.chips);
      const precision = trainingPrecisionAssumption(request.hw.chip, request.hw.software, request.precision);
      const assumptions = precision ? [precision] : [];
      const plans = result.plans.map((p) => planJson(p, evidence));
      if (opts.json) printJson({ request: described, assumptions, ...result, wallSeconds: seconds, plans });
      else
        print(
          [
            renderPlan(described, result),
            ...(plans[0]?.likely.stepSeconds ? [formatLikelyLine("the best plan's step", plans[0].likely.stepSeconds, formatSeconds)] : []),
            ...assumptions.map((a) => `assumed: ${a}`),
            `in ${seconds.toFixed(2)} s: ${Math.round(result.evaluated / seconds)} layouts per second`,
          ].join("\n"),
        );
    });
}

function describeRequest(scenario: TrainingScenario, model: string, chips: number[]) {
  return {
    model,
    system: scenario.system.id,
    chips,
    run: {
      seqLen: scenario.run.seqLen,
      globalBatch: scenario.run.globalBatch,
      precision: scenario.run.precision,
      ...(scenario.run.expertLoadImbalance !== undefined && { expertLoadImbalance: scenario.run.expertLoadImbalance }),
    },
  };
}

function planJson(p: ReturnType<typeof plan>["plans"][number], evidence: string) {
  const q = p.prediction;
  return {
    chips: p.chips,
    parallelism: p.parallelism,
    microBatch: p.run.microBatch,
    globalBatch: p.run.globalBatch,
    stepSeconds: q.stepSeconds,
    tokensPerSecond: q.tokensPerSecond,
    mfu: q.mfu,
    /** 80% ranges of the step, tokens/s and MFU (validate/intervals.ts). */
    likely: trainingIntervals(q, evidence),
    memoryBytesPerChip: q.memory.total,
    memoryCapacityBytes: q.memory.capacity,
    timeToTrainSeconds: p.timeToTrainSeconds,
    usdPerMillionTokens: p.operations?.usdPerMillionTokens ?? null,
    joulesPerMillionTokens: p.operations?.joulesPerMillionTokens ?? null,
    dominantCost: p.dominantCost,
    breakdownSeconds: q.breakdown,
  };
}
