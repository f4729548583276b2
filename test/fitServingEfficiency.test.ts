// The serving-efficiency fit (src/engine/calibrate/fitServingEfficiency.ts) recovers figures it did
// not see: cases whose "measured" values the model itself produced from known efficiencies are fitted
// back to those efficiencies. Static-batch Trainium1 cases (Llama 3 8B and 70B, short and long
// prompts, batch 1 to 8) separate the three figures: prefill is compute-bound, decode streams HBM, and
// the fixed cost per layer is felt most by the small model.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { fitServingEfficiencies, servingFamily } from "../src/engine/calibrate/fitServingEfficiency.js";
import type { ServingEfficiency } from "../src/engine/serve/servingEfficiency.js";
import { predictInferenceCase, type InferenceCase } from "../src/engine/validate/inference.js";
import { readValidationFiles } from "../src/node/validationFiles.js";

const catalog = builtinCatalog();
const input = readValidationFiles(["../shared/validation/inference.json", "../shared/validation/neuron-inference.json"]);
const trn1 = input.inference.filter((c) => c.group === "neuron_trn1_inference" && /llama-?3-(8b|70b)/i.test(c.id));

/** The cases with every published metric replaced by what the model predicts at `truth`. */
function synthetic(truth: ServingEfficiency): InferenceCase[] {
  const entries = [{ chip: "trainium1", efficiency: truth, provenance: "test truth" }];
  return trn1.map((c) => {
    const measured = { ...c.measured };
    for (const r of predictInferenceCase(c, catalog, entries, input.engineOf)) measured[r.metric] = r.predicted!;
    return { ...c, measured };
  });
}

describe("serving-efficiency fit", () => {
  it("uses cases of one chip, in one family", () => {
    expect(trn1.length).toBeGreaterThanOrEqual(6);
    expect(new Set(trn1.map((c) => servingFamily(catalog, c)))).toEqual(new Set(["trainium1"]));
  });

  it("recovers the efficiencies that produced the measurements", { timeout: 120_000 }, () => {
    const truth: ServingEfficiency = { compute: 0.55, memory: 0.68, layerOverheadUs: 60 };
    const fit = fitServingEfficiencies(synthetic(truth), catalog, { engineOf: input.engineOf });
    expect(fit.entries).toHaveLength(1);
    const e = fit.entries[0]!;
    expect(e.chip).toBe("trainium1");
    expect(e.efficiency.compute).toBeCloseTo(truth.compute, 1);
    expect(e.efficiency.memory).toBeCloseTo(truth.memory, 1);
    expect(Math.abs(e.efficiency.layerOverheadUs - truth.layerOverheadUs)).toBeLessThanOrEqual(15);
    expect(fit.atBound).toEqual([]);
    expect(e.provenance).toBe(`fitted on ${trn1.length} open inference cases`);
  });

  it("reports a figure the data push onto its bound", { timeout: 120_000 }, () => {
    // Kernels faster than the bound on the compute multiplier allows: the fit stops at 1.5 and says so.
    const fit = fitServingEfficiencies(synthetic({ compute: 1.8, memory: 0.68, layerOverheadUs: 60 }), catalog, {
      engineOf: input.engineOf,
    });
    expect(fit.atBound).toEqual(["trainium1: compute=1.5"]);
  });
});
