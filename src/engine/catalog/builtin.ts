// The built-in catalog, from the data files that carry every figure's source.
import chips from "../../../data/chips.json" with { type: "json" };
import calibration from "../../../data/calibration.json" with { type: "json" };
import frameworks from "../../../data/frameworks.json" with { type: "json" };
import models from "../../../data/models.json" with { type: "json" };
import networks from "../../../data/networks.json" with { type: "json" };
import systems from "../../../data/systems.json" with { type: "json" };
import fusionSystems from "../../../data/systems-fusion.json" with { type: "json" };
import { Calibration } from "../calibrate/calibration.js";
import { FrameworkCatalog } from "../calibrate/framework.js";
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
    efficiencies: [],
    frameworks: checkEntry<FrameworkCatalog>(FrameworkCatalog, frameworks, "data/frameworks.json"),
    calibration: checkEntry<Calibration>(Calibration, calibration, "data/calibration.json"),
    networks: networks.networks.map((n) => checkEntry<ScaleOutNetwork>(ScaleOutNetwork, n, "data/networks.json")),
  });
  return builtin;
}
