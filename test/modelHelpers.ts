// Models and layouts for tests that derive a layer's costs by hand.
import type { Catalog } from "../src/engine/catalog/catalog.js";
import type { ModelSpec, ParallelismSpec } from "../src/engine/catalog/schema.js";
import { createIterationModel, type IterationModel, type IterationModelOptions } from "../src/engine/serve/iterationTime.js";

/**
 * One serving replica's iteration model with nothing fitted in the way of a hand derivation: bf16
 * weights and KV cache, compute at the kernels' efficiency, memory at 0.8, no host or layer overhead,
 * tp 1 and pp 1 unless `o` says otherwise; `o` names the model, the hardware and the expert parallelism.
 */
export function plainIterationModel(
  o: Pick<IterationModelOptions, "model" | "hw" | "ep"> & Partial<Omit<IterationModelOptions, "model" | "hw" | "ep">>,
): IterationModel {
  return createIterationModel({
    serving: { compute: 1, memory: 0.8, layerOverheadUs: 0 },
    precision: "bf16",
    kvPrecision: "bf16",
    tp: 1,
    pp: 1,
    logicalCoresPerChip: 1,
    iterationOverheadUs: 0,
    ...o,
  });
}

/** Korthikanti et al.'s one-node layout: tensor parallel 8, nothing else split, no ZeRO, no recompute; `p` overrides. */
export function tensorParallel8(p: Partial<ParallelismSpec> = {}): ParallelismSpec {
  return { tp: 8, pp: 1, dp: 1, cp: 1, ep: 1, etp: null, vpp: 1, sequenceParallel: false, zero: 0, recompute: "none", ...p };
}

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
