// `ultrasim catalog`: list chips, systems or models with their figures and sources.
import type { Command } from "commander";
import { UltrasimError } from "../../engine/errors.js";
import { catalogFrom, print, printJson } from "../output.js";
import { renderChips, renderModels, renderSystems } from "../renderCatalog.js";

export function registerCatalog(program: Command): void {
  program
    .command("catalog")
    .description("list the chips, systems or models with their key figures and sources")
    .argument("[kind]", "chips | systems | models", "chips")
    .option("--json", "print the entries, with every figure's source, as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .action((kind: string, opts: { json?: boolean; catalog?: string[] }) => {
      const catalog = catalogFrom(opts.catalog);
      const lists = { chips: catalog.listChips(), systems: catalog.listSystems(), models: catalog.listModels() };
      if (!(kind in lists))
        throw new UltrasimError("INVALID_INPUT", `unknown catalog '${kind}': use chips, systems or models`, { field: "kind" });
      if (opts.json) printJson(lists[kind as keyof typeof lists]);
      else if (kind === "chips") print(renderChips(lists.chips));
      else if (kind === "systems") print(renderSystems(lists.systems));
      else print(renderModels(lists.models));
    });
}
