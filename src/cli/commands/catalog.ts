// `ultrasim catalog`: list chips, systems, models, frameworks or serving engines with their figures and sources.
import type { Command } from "commander";
import { UltrasimError } from "../../engine/errors.js";
import { catalogFrom, print, printJson } from "../output.js";
import { BUILTIN_SERVING_ENGINES } from "../../engine/serve/engines.js";
import { renderCalibration, renderChips, renderEngines, renderFrameworks, renderModels, renderSystems } from "../renderCatalog.js";

export function registerCatalog(program: Command): void {
  program
    .command("catalog")
    .description(
      "list the chips, systems, models, training frameworks or serving engines with their figures and sources, or the calibration with each value's provenance",
    )
    .argument("[kind]", "chips | systems | models | frameworks | engines | calibration", "chips")
    .option("--json", "print the entries, with every figure's source, as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .action((kind: string, opts: { json?: boolean; catalog?: string[] }) => {
      const catalog = catalogFrom(opts.catalog);
      const lists = {
        chips: catalog.listChips(),
        systems: catalog.listSystems(),
        models: catalog.listModels(),
        frameworks: catalog.listFrameworks(),
        engines: BUILTIN_SERVING_ENGINES,
        calibration: catalog.calibrationValues(),
      };
      if (!(kind in lists))
        throw new UltrasimError(
          "INVALID_INPUT",
          `unknown catalog '${kind}': use chips, systems, models, frameworks, engines or calibration`,
          {
            field: "kind",
          },
        );
      if (opts.json) printJson(lists[kind as keyof typeof lists]);
      else if (kind === "chips") print(renderChips(lists.chips));
      else if (kind === "systems") print(renderSystems(lists.systems));
      else if (kind === "frameworks") {
        const defaultFor: Record<string, string[]> = {};
        for (const chip of lists.chips) (defaultFor[catalog.framework(chip.id).id] ??= []).push(chip.id);
        print(renderFrameworks(lists.frameworks, defaultFor));
      } else if (kind === "engines") print(renderEngines(lists.engines));
      else if (kind === "calibration") print(renderCalibration(lists.calibration));
      else print(renderModels(lists.models));
    });
}
