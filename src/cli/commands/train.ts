// `ultrasim train`: predict one training configuration.
import { Option, type Command } from "commander";
import { chromeTrace } from "../../engine/report/chromeTrace.js";
import { trainingOperations } from "../../engine/report/operationsReport.js";
import { trainingReport } from "../../engine/report/trainingReport.js";
import { predictScenario } from "../../engine/train.js";
import { locatedIn } from "../../node/loadInput.js";
import { writeOutputFile } from "../../node/outputFile.js";
import { OPERATIONS_OPTIONS, operationsOptions } from "../../node/operationsFlags.js";
import { completeLayout, layoutSource, PLAIN_LAYOUT } from "../../node/trainingLayout.js";
import { loadTrainingScenario, TRAINING_FLAGS, type TrainingFlag } from "../../node/trainingScenario.js";
import { catalogFrom, print, printJson } from "../output.js";
import { renderTraining } from "../renderTraining.js";

export function registerTrain(program: Command): void {
  const train = program
    .command("train")
    .description("predict one training configuration (no scenario: the built-in default, Llama 3.1 405B on Trn3 UltraServers)")
    .argument("[scenario]", "scenario file, YAML or JSON (schema: schema/training-scenario.json)")
    .option("--json", "print the result as JSON")
    .option("--trace <file>", "write one step's timeline as a Chrome trace (open in Perfetto)")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .option("--sp", "sequence parallelism on")
    .option("--no-sp", "sequence parallelism off")
    .option(
      "--reliability",
      "add goodput and the effective time to train (closed form and Monte Carlo; implied by --checkpoint, --hot-spares, --checkpoint-interval, --failures-per-chip-year and --seed)",
    )
    .option("--tokens <count>", "training tokens of the whole run (e.g. 15T), for per-run energy, cost and time");
  for (const [flags, help] of OPERATIONS_OPTIONS) train.option(flags, help);
  for (const [name, spec] of Object.entries(TRAINING_FLAGS)) {
    train.addOption(new Option(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`, spec.help));
  }
  train.action(async (file: string | undefined, opts: Record<string, unknown>) => {
    const flags: Partial<Record<TrainingFlag, string>> = {};
    for (const name of Object.keys(TRAINING_FLAGS) as TrainingFlag[])
      if (typeof opts[name] === "string") flags[name] = opts[name] as string;
    const spExplicit = process.argv.includes("--sp") || process.argv.includes("--no-sp");
    const source = layoutSource(file, flags, spExplicit);
    const { scenario, loaded, flagFields } = loadTrainingScenario(
      file,
      flags,
      spExplicit ? (opts.sp as boolean) : undefined,
      source === "plain" || source === "flags" ? PLAIN_LAYOUT : undefined,
    );
    const catalog = catalogFrom(opts.catalog as string[] | undefined);
    const layoutAssumptions = await completeLayout(source, scenario, flags, opts.catalog as string[] | undefined);
    const operationsFlags = operationsOptions(opts, catalog);
    const result = locatedIn(loaded, flagFields, () => predictScenario(scenario, catalog, { timeline: Boolean(opts.trace) }));
    result.prediction.assumptions.unshift(...layoutAssumptions);
    if (opts.trace) {
      writeOutputFile(
        opts.trace as string,
        JSON.stringify(chromeTrace(result.prediction, `${result.model.name} on ${scenario.system.chips} × ${result.chipId}`)),
        "--trace",
      );
    }
    const report = trainingReport(result, trainingOperations(result, catalog, operationsFlags));
    if (opts.json) printJson(report);
    else
      print(renderTraining(report) + (opts.trace ? `\ntrace written to ${opts.trace as string} (open it at https://ui.perfetto.dev)` : ""));
  });
}
