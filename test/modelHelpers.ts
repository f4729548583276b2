// Models for tests that derive a layer's costs by hand.
import type { Catalog } from "../src/engine/catalog/catalog.js";
import type { ModelSpec } from "../src/engine/catalog/schema.js";

/** A GPT-3-style model of 8 layers at the given width (MHA, GeLU MLP of 4h): Korthikanti et al.'s shapes. */
export function gptLayers(catalog: Catalog, hidden: number, heads: number): ModelSpec {
  return {
    ...catalog.model("gpt3-175b"),
    id: undefined,
    name: `gpt h${hidden}`,
    hidden,
    heads,
    kvHeads: heads,
    ffnHidden: 4 * hidden,
    layers: 8,
  };
}
