// `ultrasim schema`: write the JSON Schemas of the input files.
import { join } from "node:path";
import type { Command } from "commander";
import { TrainingScenario } from "../../engine/catalog/scenario.js";
import { ChipSpec, ModelSpec, SystemSpec } from "../../engine/catalog/schema.js";
import { ServingScenario } from "../../engine/serve/scenario.js";
import { SweepFile } from "../../engine/sweep/sweepFile.js";
import { HeteroScenario } from "../../engine/hetero/heteroComparison.js";
import { CatalogFile } from "../../node/userCatalog.js";
import { outputDirectory, writeOutputFile } from "../../node/outputFile.js";
import { print } from "../output.js";
import { plural } from "../../engine/report/plural.js";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("write the JSON Schemas of scenario and catalog files, for editors to complete and check them")
    .option("--out <dir>", "directory to write to", "schema")
    .action((opts: { out: string }) => {
      outputDirectory(opts.out, "--out");
      const schemas = {
        "training-scenario.json": TrainingScenario,
        "serving-scenario.json": ServingScenario,
        "sweep.json": SweepFile,
        "hetero-scenario.json": HeteroScenario,
        "catalog.json": CatalogFile,
        "chip.json": ChipSpec,
        "system.json": SystemSpec,
        "model.json": ModelSpec,
      };
      for (const [name, schema] of Object.entries(schemas)) {
        writeOutputFile(
          join(opts.out, name),
          JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...schema }, null, 2) + "\n",
          "--out",
        );
      }
      print(`wrote ${plural(Object.keys(schemas).length, "schema")} to ${opts.out}/`);
    });
}
