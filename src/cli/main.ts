#!/usr/bin/env node
// The ultrasim command line: argument wiring only. Work happens in the engine (pure) and src/node (files).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { builtinCatalog } from "../engine/catalog/builtin.js";
import type { Catalog } from "../engine/catalog/catalog.js";
import { TrainingCase, TrainingScenario } from "../engine/catalog/scenario.js";
import { ChipSpec, ModelSpec, SystemSpec } from "../engine/catalog/schema.js";
import { UltrasimError } from "../engine/errors.js";
import { chromeTrace } from "../engine/report/chromeTrace.js";
import { trainingReport } from "../engine/report/trainingReport.js";
import { predictScenario } from "../engine/train.js";
import { summarize, validateCases, type CaseResult } from "../engine/validate/validation.js";
import { checkSchema, lineOf, locate } from "../node/loadInput.js";
import { loadTrainingScenario, readCasesFile, TRAINING_FLAGS, type TrainingFlag } from "../node/trainingScenario.js";
import { CatalogFile, extendCatalog } from "../node/userCatalog.js";
import { renderChips, renderModels, renderSystems } from "./renderCatalog.js";
import { renderTraining } from "./renderTraining.js";
import { renderValidation } from "./renderValidation.js";

const print = (text: string) => process.stdout.write(text.endsWith("\n") ? text : text + "\n");
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

function catalogFrom(files: string[] | undefined): Catalog {
  return files?.length ? extendCatalog(builtinCatalog(), files) : builtinCatalog();
}

const program = new Command()
  .name("ultrasim")
  .description("Simulate and plan AI training on accelerator clusters: Trainium3 UltraServers and the systems weighed against them.")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.startsWith("error:") ? `ultrasim: ${text.slice(7)}` : text) });

const train = program
  .command("train")
  .description("predict one training configuration (no scenario: the built-in default, Llama 3.1 405B on Trn3 UltraServers)")
  .argument("[scenario]", "scenario file, YAML or JSON (schema: schema/training-scenario.json)")
  .option("--json", "print the result as JSON")
  .option("--trace <file>", "write one step's timeline as a Chrome trace (open in Perfetto)")
  .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
  .option("--sp", "sequence parallelism on")
  .option("--no-sp", "sequence parallelism off");
for (const [name, spec] of Object.entries(TRAINING_FLAGS)) {
  train.addOption(new Option(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`, spec.help));
}
train.action((file: string | undefined, opts: Record<string, unknown>) => {
  const flags: Partial<Record<TrainingFlag, string>> = {};
  for (const name of Object.keys(TRAINING_FLAGS) as TrainingFlag[]) if (typeof opts[name] === "string") flags[name] = opts[name] as string;
  const spExplicit = process.argv.includes("--sp") || process.argv.includes("--no-sp");
  const { scenario, loaded, flagFields } = loadTrainingScenario(file, flags, spExplicit ? (opts.sp as boolean) : undefined);
  const catalog = catalogFrom(opts.catalog as string[] | undefined);
  let result;
  try {
    result = predictScenario(scenario, catalog, { timeline: Boolean(opts.trace) });
  } catch (e) {
    if (e instanceof UltrasimError) {
      const flag = e.where.field ? flagFields.get(e.where.field) : undefined;
      if (flag) e.where.field = flag;
      else if (loaded) locate(e, loaded);
    }
    throw e;
  }
  if (opts.trace) {
    writeFileSync(opts.trace as string, JSON.stringify(chromeTrace(result.prediction, `${result.model.name} on ${scenario.system.chips} × ${result.chipId}`)));
  }
  const report = trainingReport(result);
  if (opts.json) printJson(report);
  else print(renderTraining(report) + (opts.trace ? `\ntrace written to ${opts.trace as string} (open it at https://ui.perfetto.dev)` : ""));
});

program
  .command("validate")
  .description("predict published training runs and report the step-time error per case, per group and overall")
  .argument("<cases>", "a JSON array of cases in the format of ../shared/validation/README.md")
  .option("--json", "print the result as JSON")
  .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
  .action((file: string, opts: { json?: boolean; catalog?: string[] }) => {
    const catalog = catalogFrom(opts.catalog);
    const { loaded, cases } = readCasesFile(file);
    const training: TrainingCase[] = [];
    const invalid: CaseResult[] = [];
    cases.forEach((raw, i) => {
      const c = raw as Partial<TrainingCase>;
      if (c.kind !== "training") return; // inference cases are validated by `ultrasim serve` (not yet built)
      try {
        training.push(checkSchema<TrainingCase>(TrainingCase, loaded, raw, `${i}.`));
      } catch (e) {
        if (!(e instanceof UltrasimError)) throw e;
        invalid.push({
          id: String(c.id ?? `#${i}`),
          group: String(c.group ?? "unknown"),
          systemId: String(c.system?.id ?? "?"),
          chips: Number(c.system?.chips ?? 0),
          predicted: null,
          measured: { stepSeconds: Number(c.measured?.stepSeconds ?? NaN) },
          errorPct: null,
          failure: e.describe(),
        });
      }
    });
    const report = validateCases(training, catalog);
    // Failures raised by the engine name a field of the case; say where the case is in the file.
    for (const r of report.cases) {
      if (!r.failure) continue;
      const index = cases.findIndex((c) => (c as TrainingCase).id === r.id);
      r.failure = `${file}:${lineOf(loaded, String(index))}: ${r.failure}`;
    }
    if (invalid.length) {
      report.cases.push(...invalid);
      for (const g of new Set(invalid.map((r) => r.group))) report.groups[g] = summarize(report.cases.filter((r) => r.group === g));
      report.summary = summarize(report.cases);
    }
    if (opts.json) printJson(report);
    else print(renderValidation(report));
  });

program
  .command("catalog")
  .description("list the chips, systems or models with their key figures and sources")
  .argument("[kind]", "chips | systems | models", "chips")
  .option("--json", "print the entries, with every figure's source, as JSON")
  .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
  .action((kind: string, opts: { json?: boolean; catalog?: string[] }) => {
    const catalog = catalogFrom(opts.catalog);
    const lists = { chips: catalog.listChips(), systems: catalog.listSystems(), models: catalog.listModels() };
    if (!(kind in lists)) throw new UltrasimError("INVALID_INPUT", `unknown catalog '${kind}': use chips, systems or models`, { field: "kind" });
    if (opts.json) printJson(lists[kind as keyof typeof lists]);
    else if (kind === "chips") print(renderChips(lists.chips));
    else if (kind === "systems") print(renderSystems(lists.systems));
    else print(renderModels(lists.models));
  });

program
  .command("schema")
  .description("write the JSON Schemas of scenario and catalog files, for editors to complete and check them")
  .option("--out <dir>", "directory to write to", "schema")
  .action((opts: { out: string }) => {
    mkdirSync(opts.out, { recursive: true });
    const schemas = { "training-scenario.json": TrainingScenario, "catalog.json": CatalogFile, "chip.json": ChipSpec, "system.json": SystemSpec, "model.json": ModelSpec };
    for (const [name, schema] of Object.entries(schemas)) {
      writeFileSync(join(opts.out, name), JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...schema }, null, 2) + "\n");
    }
    print(`wrote ${Object.keys(schemas).length} schemas to ${opts.out}/`);
  });

// One clear line and exit code 2 for bad input; a stack trace only for a bug in ultrasim itself.
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof UltrasimError) {
    process.stderr.write(`ultrasim: ${e.describe()}\n`);
    process.exit(2);
  }
  // Commander has already printed its one-line message (unknown option, missing argument); help exits 0.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  throw e;
}
