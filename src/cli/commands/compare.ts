// `ultrasim compare`: one training workload on several systems, each at its best layout, side by side.
import type { Command } from "commander";
import { compareSystems, DEFAULT_TRAINING_TOKENS } from "../../engine/compare/compareSystems.js";
import { checkPrice } from "../../engine/analytic/cost.js";
import { OPERATIONS_OPTIONS, operationsOptions } from "../../node/operationsFlags.js";
import { loadTrainingScenario, TRAINING_FLAGS } from "../../node/trainingScenario.js";
import { positiveNumber } from "../numberOption.js";
import { catalogFrom, print, printJson } from "../output.js";
import { progressReporter } from "../progress.js";
import { renderCompare } from "../renderCompare.js";

const COMPARE_FLAGS = new Set(["--pue", "--price-per-chip-hour", "--price-kind", "--prices"]);

export function registerCompare(program: Command): void {
  const command = program
    .command("compare")
    .description("one training workload on several systems side by side: time, MFU, $ and energy, with ratios against a baseline")
    .argument("[scenario]", "a training scenario file: its model and run are used; each system runs its vendor's default framework")
    .option("--model <id>", "model id (ultrasim catalog models)")
    .option("--systems <ids>", "comma-separated system ids", "trn2-ultraserver,trn3-ultraserver,trn4-fusion,gb300-nvl72,p5.48xlarge")
    .option("--baseline <id>", "the system the ratios are against", "trn3-ultraserver")
    .option("--chips <n>", "chips per system (rounded to whole systems)", "1152")
    .option("--global-batch <n>", "sequences per optimizer step")
    .option("--seq-len <n>", "sequence length in tokens")
    .option("--precision <p>", "fp16 | bf16 | fp8 | mxfp8 | nvfp4")
    .option("--expert-imbalance <x>", TRAINING_FLAGS.expertImbalance.help)
    .option("--tokens <n>", "tokens to train (default: 15e12, Llama 3's pretraining)")
    .option("--json", "print the comparison as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)");
  // Energy and price flags as train and plan take them: one --price-per-chip-hour applies to every system.
  for (const [flags, help] of OPERATIONS_OPTIONS) if (COMPARE_FLAGS.has(flags.split(" ")[0]!)) command.option(flags, help);
  command.action((file: string | undefined, opts: Record<string, string | boolean | string[] | undefined>) => {
    const str = (k: string) => (typeof opts[k] === "string" ? (opts[k] as string) : undefined);
    const { scenario } = loadTrainingScenario(file, {
      model: str("model"),
      globalBatch: str("globalBatch"),
      seqLen: str("seqLen"),
      precision: str("precision"),
      expertImbalance: str("expertImbalance"),
    });
    const catalog = catalogFrom(opts.catalog as string[] | undefined);
    const model = typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model;
    const systems = str("systems")!
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    for (const s of systems) catalog.system(s, "--systems");
    const operations = operationsOptions(opts, catalog);
    if (operations.usdPerChipHour !== undefined) checkPrice(operations.usdPerChipHour, "--price-per-chip-hour");
    if (operations.pue !== undefined) positiveNumber(String(operations.pue), "--pue");
    const progress = progressReporter("planning", true);
    const comparison = compareSystems(
      {
        model,
        modelRef: typeof scenario.model === "string" ? scenario.model : (model.id ?? model.name),
        systems,
        baseline: str("baseline")!,
        chips: positiveNumber(str("chips")!, "--chips", true, "chips"),
        globalBatch: scenario.run.globalBatch,
        seqLen: scenario.run.seqLen,
        precision: scenario.run.precision,
        expertLoadImbalance: scenario.run.expertLoadImbalance,
        tokens: str("tokens") === undefined ? DEFAULT_TRAINING_TOKENS : positiveNumber(str("tokens")!, "--tokens", false, "trainingTokens"),
        pue: operations.pue,
        usdPerChipHour: operations.usdPerChipHour,
        priceKind: operations.priceKind,
        extraPrices: operations.extraPrices,
        onProgress: progress.update,
      },
      catalog,
    );
    progress.done();
    if (opts.json) printJson(comparison);
    else print(renderCompare(comparison));
  });
}
