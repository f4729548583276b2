// Which serving fit a chip uses: its own, else the chip it borrows from (servingEfficiencyFrom, else
// efficiencyFrom), followed chip after chip, else the prior. Entries here are made up for the test,
// so the lookup is checked apart from whatever data/serving-efficiency.json holds today.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import {
  PRIOR_SERVING_EFFICIENCY,
  servingEfficiency,
  type ServingEfficiency,
  type ServingEfficiencyEntry,
} from "../src/engine/serve/servingEfficiency.js";

const catalog = builtinCatalog();
const fit = (compute: number): ServingEfficiency => ({ ...PRIOR_SERVING_EFFICIENCY, compute });
const entry = (chip: string, compute: number): ServingEfficiencyEntry => ({ chip, efficiency: fit(compute), provenance: `test ${chip}` });

describe("serving efficiency lookup", () => {
  const entries = [entry("trainium1", 0.5), entry("trainium2", 0.9), entry("b200", 0.8), entry("h100-sxm", 1.1)];

  it("a chip with its own fit uses it", () => {
    expect(servingEfficiency(catalog, "trainium2", entries).efficiency.compute).toBe(0.9);
  });
  it("Trainium3 and Trainium4 borrow Trainium2's fit (servingEfficiencyFrom), not Trainium1's (efficiencyFrom)", () => {
    for (const chip of ["trainium3", "trainium4"]) {
      const r = servingEfficiency(catalog, chip, entries);
      expect(r.efficiency.compute).toBe(0.9);
      expect(r.provenance).toContain("borrowed from trainium2");
    }
  });
  it("without a Trainium2 fit, the chain goes on to Trainium1 through Trainium2's efficiencyFrom", () => {
    const r = servingEfficiency(catalog, "trainium3", [entry("trainium1", 0.5)]);
    expect(r.efficiency.compute).toBe(0.5);
    expect(r.provenance).toContain("borrowed from trainium1");
  });
  it("Rubin reaches B200's fit through GB300", () => {
    expect(servingEfficiency(catalog, "rubin", entries).efficiency.compute).toBe(0.8);
  });
  it("H200 borrows H100's fit through efficiencyFrom", () => {
    expect(servingEfficiency(catalog, "h200", entries).efficiency.compute).toBe(1.1);
  });
  it("a chip with nothing to borrow gets the prior, marked as such", () => {
    const r = servingEfficiency(catalog, "a100-80gb", entries);
    expect(r.efficiency).toEqual(PRIOR_SERVING_EFFICIENCY);
    expect(r.provenance).toContain("prior");
  });
  it("every chip named as a lender exists in the catalog", () => {
    const ids = new Set(catalog.listChips().map((c) => c.id));
    for (const c of catalog.listChips()) {
      if (c.servingEfficiencyFrom) expect(ids.has(c.servingEfficiencyFrom), `${c.id} → ${c.servingEfficiencyFrom}`).toBe(true);
      if (c.efficiencyFrom) expect(ids.has(c.efficiencyFrom), `${c.id} → ${c.efficiencyFrom}`).toBe(true);
    }
  });
});

describe("data/serving-efficiency.json on GPUs", () => {
  // A GPU step's fixed time per kernel is the engine's kernel boundaries (CUDA graphs), the same
  // kernels on every die, and H100 and H200 are one die: one value, whatever chip serves.
  it("every GPU chip, fitted or borrowing, takes one fixed cost per layer's kernels", () => {
    const gpus = ["h100-sxm", "h200", "b200", "b300", "gb200-gpu", "gb300-gpu"];
    const overheads = new Set(gpus.map((chip) => servingEfficiency(catalog, chip).efficiency.layerOverheadUs));
    expect(overheads.size).toBe(1);
    // ... and the Neuron chips keep their own (a different runtime's per-layer cost).
    expect(servingEfficiency(catalog, "trainium1").efficiency.layerOverheadUs).not.toBe([...overheads][0]);
  });
});
