// What the lent H200 measured (data/measurements/h200.json, scripts/device/derive_h200.py) and what the
// model does with it. The raw timings are re-derived here by hand, so the derived file cannot drift
// from them, and the serving fit (made on published runs alone) is checked against the measurement.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { BUILTIN_SERVING_EFFICIENCIES } from "../src/engine/serve/servingEfficiency.js";

const read = (name: string) => JSON.parse(readFileSync(new URL(`../data/measurements/${name}`, import.meta.url), "utf8"));
const derived = read("h200.json");
const layer = read("h200-torch-2026-12-04-layer.raw.json");
const prefill = read("h200-torch-2026-12-04.raw.json");
const h100 = read("h100-sxm-torch-2026-11-26.raw.json");
const catalog = builtinCatalog();

describe("H200 measured on the lent device", () => {
  it("decode layer time is fixed + bytes / (fraction x HBM peak): the fit's two figures reproduce the timings", () => {
    const hbm = catalog.chip("h200").hbmBandwidthTBps.value * 1e12;
    const { fixedUs, hbmFraction } = derived.decodeLayer;
    const rows = layer.decodeLayer.filter((r: { batch: number }) => r.batch <= 64);
    expect(rows.length).toBe(derived.decodeLayer.points);
    for (const r of rows) {
      const predicted = fixedUs * 1e-6 + (r.weightBytes + r.kvBytes) / (hbmFraction * hbm);
      expect(Math.abs(predicted / r.graphSeconds - 1)).toBeLessThan(0.12);
    }
    // A physical fraction: below the peak, above what a plain copy reaches (4.2 of 4.8 TB/s is 0.876)
    // less a margin for the layer's small kernels.
    expect(hbmFraction).toBeGreaterThan(0.7);
    expect(hbmFraction).toBeLessThan(1);
  });

  it("the same GEMM shapes run at the same rate as on the H100 (same GH100 die, same clocks)", () => {
    type Gemm = { dtype: string; model: string; tp: number; op: string; m: number; tflops: number };
    const key = (r: Gemm) => `${r.dtype} ${r.model} ${r.tp} ${r.op} ${r.m}`;
    const rate = new Map((h100.gemm as Gemm[]).map((r) => [key(r), r.tflops]));
    const ratios = (prefill.gemm as Gemm[])
      .filter((r) => rate.has(key(r)))
      .map((r) => r.tflops / rate.get(key(r))!)
      .sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)]!;
    expect(ratios.length).toBeGreaterThan(300);
    expect(Math.abs(median - 1)).toBeLessThan(0.03);
  });

  it("the serving fit's H200 HBM fraction, fitted on published runs alone, agrees with the measured decode layer", () => {
    // Independent evidence: the fit never reads the measurement. A fused engine (TensorRT-LLM) should
    // reach at least what unfused PyTorch ops reach, and not more than a plain read stream (0.898).
    const fitted = BUILTIN_SERVING_EFFICIENCIES.find((e) => e.chip === "h200")!.efficiency.memory;
    expect(fitted).toBeGreaterThan(derived.decodeLayer.hbmFraction - 0.05);
    expect(fitted).toBeLessThan(derived.hbm.readTBps / derived.hbm.peakTBps + 0.05);
  });
});
