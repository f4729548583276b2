// `ultrasim reliability`: how goodput falls with scale, and the best checkpoint interval at each scale.
import type { Command } from "commander";
import { checkBound, checkWork } from "../../engine/bounds.js";
import { UltrasimError } from "../../engine/errors.js";
import { DEFAULT_SEED } from "../../engine/reliability/reliability.js";
import { inputFigure } from "../../engine/report/figure.js";
import { estimatedStepSeconds, logSpacedCounts, scanScale } from "../../engine/reliability/scaleScan.js";
import { FORCE_HELP, FORCE_OPTION } from "../numberOption.js";
import { GBIT_TO_BYTES } from "../../engine/units.js";
import { paramCounts } from "../../engine/workload/transformer.js";
import { parseRange } from "../../engine/flagSyntax.js";
import { numberFlag, OPERATIONS_OPTIONS, operationsOptions } from "../../node/operationsFlags.js";
import { catalogFrom, print, printJson } from "../output.js";
import { renderReliabilityScan } from "../renderReliability.js";

const RELIABILITY_FLAGS = new Set(["--checkpoint", "--hot-spares", "--checkpoint-interval", "--failures-per-chip-year", "--seed"]);

export function registerReliability(program: Command): void {
  const command = program
    .command("reliability")
    .description("goodput and the best checkpoint interval as the cluster grows (closed form and Monte Carlo)")
    .option("--system <id>", "system id (ultrasim catalog systems)", "trn3-ultraserver")
    .option("--model <id>", "model whose weights and optimizer state are checkpointed", "llama3.1-405b")
    .option("--chips <range>", "chip counts, A..B (log-spaced) or one number", "1000..1000000")
    .option("--points <n>", "how many chip counts in the range", "7")
    .option("--days <days>", "failure-free training time each simulated run needs", "30")
    .option(
      "--step-seconds <s>",
      "training step time: the checkpoint interval is at least one step (default: an estimate from the model and chip)",
    )
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .option("--json", "print the result as JSON")
    .option(FORCE_OPTION, FORCE_HELP);
  for (const [flags, help] of OPERATIONS_OPTIONS) if (RELIABILITY_FLAGS.has(flags.split(" ")[0]!)) command.option(flags, help);
  command.action((opts: Record<string, unknown>) => {
    const catalog = catalogFrom(opts.catalog as string[] | undefined);
    const system = catalog.system(opts.system as string, "--system");
    const model = catalog.model(opts.model as string, "--model");
    const { from, to } = parseRange(opts.chips as string, "--chips");
    checkBound("chips", to, "--chips");
    const points = numberFlag(opts.points, "--points")!;
    checkWork("scanPoints", points, "--points", Boolean(opts.force));
    const counts = logSpacedCounts(from, to, points);
    const days = numberFlag(opts.days, "--days")!;
    if (!(days > 0))
      throw new UltrasimError("INVALID_INPUT", `must be a positive number of days, got '${String(opts.days)}'`, { field: "--days" });
    checkBound("trainingDays", days, "--days");
    const o = operationsOptions(opts, catalog);
    const givenStep = numberFlag(opts.stepSeconds, "--step-seconds");
    if (givenStep !== undefined && !(givenStep > 0))
      throw new UltrasimError("INVALID_INPUT", `must be a positive number of seconds, got '${String(opts.stepSeconds)}'`, {
        field: "--step-seconds",
      });
    const step =
      givenStep !== undefined
        ? inputFigure(givenStep, "s", "--step-seconds")
        : estimatedStepSeconds(paramCounts(model).total, system.chipsPerSystem, catalog.chip(system.chip).peakTflops.bf16.value * 1e12);
    const scan = scanScale(
      {
        chipId: system.chip,
        parameters: paramCounts(model).total,
        peerBytesPerSecond: system.scaleOut.gbpsPerChip.value * GBIT_TO_BYTES,
        checkpoint: o.checkpoint ?? "sync",
        hotSpares: o.hotSpares ?? 0,
        workSeconds: days * 86400,
        intervalSeconds: o.checkpointIntervalSeconds,
        stepSeconds: step.value!,
        stepSecondsFigure: step,
        failuresPerChipYear: o.failuresPerChipYear,
        seed: o.seed ?? DEFAULT_SEED,
      },
      counts,
      { chipId: system.chip, systemId: system.id },
    );
    if (opts.json) printJson({ schemaVersion: 1, model: model.id ?? model.name, ...scan });
    else print(renderReliabilityScan(scan, model.name));
  });
}
