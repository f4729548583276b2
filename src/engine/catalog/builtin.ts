// The built-in catalog, from the data files that carry every figure's source.
import chips from "../../../data/chips.json" with { type: "json" };
import efficiencies from "../../../data/efficiency.json" with { type: "json" };
import models from "../../../data/models.json" with { type: "json" };
import systems from "../../../data/systems.json" with { type: "json" };
import type { EfficiencyEntry } from "../system/efficiency.js";
import { Catalog } from "./catalog.js";
import type { ChipSpec, ModelSpec, SystemSpec } from "./schema.js";

let builtin: Catalog | undefined;

export function builtinCatalog(): Catalog {
  builtin ??= new Catalog({
    chips: chips as ChipSpec[],
    systems: systems as SystemSpec[],
    models: models as ModelSpec[],
    efficiencies: efficiencies as EfficiencyEntry[],
  });
  return builtin;
}
