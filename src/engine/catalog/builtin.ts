// The built-in catalog, from the data files that carry every figure's source.
import chips from "../../../data/chips.json" with { type: "json" };
import efficiencies from "../../../data/efficiency.json" with { type: "json" };
import models from "../../../data/models.json" with { type: "json" };
import networks from "../../../data/networks.json" with { type: "json" };
import systems from "../../../data/systems.json" with { type: "json" };
import fusionSystems from "../../../data/systems-fusion.json" with { type: "json" };
import type { EfficiencyEntry } from "../system/efficiency.js";
import { ScaleOutNetwork } from "../system/scaleOutNetwork.js";
import { Catalog, checkEntry } from "./catalog.js";
import { SystemSpec, type ChipSpec, type ModelSpec } from "./schema.js";

let builtin: Catalog | undefined;

export function builtinCatalog(): Catalog {
  builtin ??= new Catalog({
    chips: chips as ChipSpec[],
    // Projected NVLink Fusion systems live in their own file (data/systems-fusion.json), checked here.
    systems: [...(systems as SystemSpec[]), ...fusionSystems.map((s) => checkEntry<SystemSpec>(SystemSpec, s, "data/systems-fusion.json"))],
    models: models as ModelSpec[],
    efficiencies: efficiencies as EfficiencyEntry[],
    networks: networks.networks.map((n) => checkEntry<ScaleOutNetwork>(ScaleOutNetwork, n, "data/networks.json")),
  });
  return builtin;
}
