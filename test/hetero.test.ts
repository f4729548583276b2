// Trainium4 + Rubin in one NVLink Fusion domain (examples/trn4-rubin-fusion.json): heterogeneous
// pipelines never beat what their parts allow, layers balance by speed, serving's KV link matters.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { predictHeteroServing } from "../src/engine/hetero/heteroServing.js";
import { predictHeteroTraining, sharedZeroStage, type HeteroRequest } from "../src/engine/hetero/heteroTraining.js";
import { fusionDomain } from "../src/engine/hetero/fusionDomain.js";
import { compareHetero } from "../src/engine/hetero/heteroComparison.js";
import { peakFlopsPerSecond } from "../src/engine/system/hardware.js";

const catalog = builtinCatalog();
const example = JSON.parse(readFileSync(new URL("../examples/trn4-rubin-fusion.json", import.meta.url), "utf8"));
const model = catalog.model(example.training.model);
const request = (parts: { system: string; stages: number; tp: number }[]): HeteroRequest => ({
  model,
  parts: parts.map((p) => ({ hw: catalog.hardware(p.system), stages: p.stages, tp: p.tp })),
  dp: example.training.dp,
  run: example.training.run,
});

describe("NVLink Fusion domain", () => {
  it("has Trainium4 (projected) and Rubin (announced) members in the catalog", () => {
    const d = fusionDomain(example.domain);
    const chips = d.members.map((m) => catalog.chip(catalog.system(m.system).chip));
    expect(chips.map((c) => c.status)).toEqual(["projected", "announced"]);
    // Trainium4 peak is AWS's 3x FP8 over Trainium3: the catalog's arithmetic.
    expect(peakFlopsPerSecond(chips[0]!, "fp8")).toBeCloseTo(3 * peakFlopsPerSecond(catalog.chip("trainium3"), "fp8"), 0);
  });

  it("a part on a system outside the domain is refused, naming the part's field", () => {
    const outside = structuredClone(example);
    outside.training.parts[1].system = "dgx-h100";
    expect(() => compareHetero(outside, catalog)).toThrow(
      expect.objectContaining({ where: expect.objectContaining({ field: "training.parts.1.system" }) }),
    );
    const servedOutside = structuredClone(example);
    servedOutside.serving.decode.system = "dgx-h100";
    expect(() => compareHetero(servedOutside, catalog)).toThrow(/'dgx-h100' is not a member of the NVLink Fusion domain/);
    expect(compareHetero(example, catalog).domain).toBe(example.domain);
  });

  it("a pipeline or a serving replica larger than the domain, or more stages than layers, is refused", () => {
    const long = structuredClone(example);
    long.training.parts[0].stages = 5; // 5 x tp 8 = 40 Trainium4 chips of the domain's 36
    expect(() => compareHetero(long, catalog)).toThrow(/takes 40 trn4-fusion chips, more than the 36/);
    const wide = structuredClone(example);
    wide.serving.decode.tp = 64;
    expect(() => compareHetero(wide, catalog)).toThrow(/a decode replica \(tp x pp\) takes 64 rubin-nvl72 chips/);
    // Llama 3.1 8B has 32 layers: 20 + 20 single-chip stages fit the domain but not the model.
    const deep = structuredClone(example);
    deep.training.model = "llama3-8b";
    deep.training.parts = [
      { system: "trn4-fusion", stages: 20, tp: 1 },
      { system: "rubin-nvl72", stages: 20, tp: 1 },
    ];
    expect(() => compareHetero(deep, catalog)).toThrow(/40 pipeline stages in all, more than the model's 32 layers/);
  });
});

describe("heterogeneous training", () => {
  const mixed = predictHeteroTraining(request(example.training.parts));
  const trn4 = predictHeteroTraining(request([{ system: "trn4-fusion", stages: 4, tp: 8 }]));
  const rubin = predictHeteroTraining(request([{ system: "rubin-nvl72", stages: 4, tp: 8 }]));

  it("is never faster than the fluid bound of its parts", () => {
    for (const r of [mixed, trn4, rubin]) expect(r.stepSeconds).toBeGreaterThanOrEqual(r.lowerBoundStepSeconds);
    // And sits between its all-slow and all-fast versions.
    const [slow, fast] = trn4.stepSeconds > rubin.stepSeconds ? [trn4, rubin] : [rubin, trn4];
    expect(mixed.tokensPerSecond).toBeLessThanOrEqual(fast.tokensPerSecond);
    expect(mixed.tokensPerSecond).toBeGreaterThanOrEqual(slow.tokensPerSecond);
  });

  it("shards as the parts' frameworks can: ZeRO-2 where Trainium4's TorchTitan Neuron has no ZeRO-1", () => {
    const part = (system: string) => ({ hw: catalog.hardware(system), stages: 1, tp: 8 });
    expect(catalog.hardware("trn4-fusion").software.framework).toBe("torchtitan-neuron");
    expect(sharedZeroStage([part("trn4-fusion"), part("rubin-nvl72")])).toBe(2);
    expect(sharedZeroStage([part("rubin-nvl72"), part("rubin-nvl72")])).toBe(1);
  });

  it("gives the faster chip more layers, all of them placed", () => {
    const layers = mixed.stages.map((s) => s.layers);
    expect(layers.reduce((a, b) => a + b, 0)).toBe(model.layers);
    const perChip = (chip: string) => mixed.stages.filter((s) => s.chip === chip).map((s) => s.layers);
    const fasterChip = trn4.stepSeconds > rubin.stepSeconds ? "rubin" : "trainium4";
    const slowerChip = fasterChip === "rubin" ? "trainium4" : "rubin";
    expect(Math.min(...perChip(fasterChip))).toBeGreaterThan(Math.max(...perChip(slowerChip)));
    expect(mixed.fits).toBe(true);
  });

  it("an even split across unequal chips costs bubble time that balancing removes", () => {
    const even = predictHeteroTraining({ ...request(example.training.parts), layersPerStage: [32, 32, 31, 31] });
    expect(even.stepSeconds).toBeGreaterThan(mixed.stepSeconds);
    expect(even.imbalanceSeconds).toBeGreaterThan(mixed.imbalanceSeconds);
  });
});

describe("heterogeneous serving", () => {
  it("prefill on Trainium4 and decode on Rubin: the KV cache over NVLink Fusion is no slower than over EFA", () => {
    const s = example.serving;
    const r = predictHeteroServing(
      { scenario: { schemaVersion: 1, model: s.model, traffic: s.traffic, seed: 1 }, prefill: s.prefill, decode: s.decode },
      catalog,
    );
    expect(r.overFusion.feasible).toBe(true);
    expect(r.ttftP90Ratio).not.toBeNull();
    expect(r.ttftP90Ratio!).toBeLessThanOrEqual(1 + 1e-9);
  });
});
