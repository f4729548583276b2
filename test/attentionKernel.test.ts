// The framework's attention kernels: flash attention (one fused kernel, no s x s scores in HBM) or
// Megatron-LM 2021-22's unfused attention (batched QK^T and AV GEMMs around a softmax and dropout that
// move the scores through HBM), derived here by hand from the catalog's figures.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ModelSpec } from "../src/engine/catalog/schema.js";
import { gptLayers } from "./modelHelpers.js";
import { coreAttentionCost, layerCost, type StepContext } from "../src/engine/analytic/layerCost.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { resolveLayout } from "../src/engine/plan/layout.js";

const catalog = builtinCatalog();
const unfusedHw = catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-lm");
const flashHw = catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-core");

// GPT-3-style model: h = 6144, 64 heads of 96, s = 2048 (Korthikanti et al.'s 22B).
const gpt = (hidden: number, heads: number): ModelSpec => gptLayers(catalog, hidden, heads);
const run = { seqLen: 2048, globalBatch: 4, microBatch: 4, precision: "fp16" as const };
const par = { tp: 8, pp: 1, dp: 1, cp: 1, ep: 1, etp: null, vpp: 1, sequenceParallel: false, zero: 0 as const, recompute: "none" as const };
const ctxFor = (model: ModelSpec, hw = unfusedHw): StepContext => ({
  model,
  hw,
  layout: resolveLayout(model, run, par, 8).layout,
  seqLen: run.seqLen,
  precision: run.precision,
});

describe("the framework's attention kernels", () => {
  it("megatron-lm's is unfused, the others' flash (data/frameworks.json)", () => {
    expect(unfusedHw.software.attentionKernel).toBe("unfused");
    expect(flashHw.software.attentionKernel).toBe("flash");
  });

  it("unfused attention costs two batched GEMMs plus 9 bytes per score forward, worked by hand", () => {
    const model = gpt(6144, 64);
    const ctx = ctxFor(model);
    const tokens = 4 * 2048;
    const e = unfusedHw.efficiency;
    const peak = unfusedHw.chip.peakTflops.fp16!.value * 1e12;
    const bandwidth = unfusedHw.chip.hbmBandwidthTBps.value * 1e12 * e.memory;
    // One 2048 x 2048 score matrix per sequence and local head: 4 sequences x 64/8 heads.
    const matrices = 4 * (64 / 8);
    const scores = matrices * 2048 * 2048;
    // QK^T: (2048 x 96) by (96 x 2048), smallest dimension 96; AV: (2048 x 2048) by (2048 x 96).
    const gemmEff = (e.gemm.b16 * 96) / (96 + e.gemmHalfDim);
    const flopsEach = matrices * 2 * 2048 * 96 * 2048;
    const qkBytes = matrices * ((2048 * 96 + 96 * 2048) * 2 + 2048 * 2048 * 2);
    const avBytes = matrices * ((2048 * 2048 + 2048 * 96) * 2 + 2048 * 96 * 2);
    const qk = Math.max(flopsEach / (peak * gemmEff), qkBytes / bandwidth);
    const av = Math.max(flopsEach / (peak * gemmEff), avBytes / bandwidth);
    const forward = qk + av + (9 * scores) / bandwidth;
    const backward = 2 * (qk + av) + (11 * scores) / bandwidth;
    const cost = coreAttentionCost(ctx, tokens);
    expect(cost.attentionForward).toBeCloseTo(forward, 12);
    expect(cost.attentionBackward).toBeCloseTo(backward, 12);
    // Every key is computed (the causal mask is applied, not skipped): 2·T·s·heads/tp·(96 + 96) FLOPs.
    expect(cost.attentionFlops).toBe(2 * tokens * 2048 * 8 * 192);
  });

  it("its share of a layer falls as the model widens: score traffic grows as s²·heads, GEMMs as s·h²", () => {
    const share = (hidden: number, heads: number) => {
      const ctx = ctxFor(gpt(hidden, heads));
      const attention = coreAttentionCost(ctx, 4 * 2048).attentionForward;
      const layer = layerCost(ctx, 0);
      return attention / layer.forward.compute;
    };
    const shares = [share(2048, 16), share(6144, 64), share(12288, 96), share(25600, 160)];
    for (let i = 1; i < shares.length; i++) expect(shares[i]!).toBeLessThan(shares[i - 1]!);
  });

  it("keeps the s x s scores in memory without recompute (Korthikanti's 5as²b), and not with flash attention", () => {
    const model = gpt(6144, 64);
    const input = { model, chips: 8, run, parallelism: par };
    const unfused = predictTraining({ ...input, hw: unfusedHw }).memory.activations;
    const flash = predictTraining({ ...input, hw: flashHw }).memory.activations;
    // 5·a·s²·b bytes per layer over tp (scores, softmax output: 2 bytes each; dropout mask: 1), 8 layers.
    const scoresBytes = ((5 * 64 * 2048 * 2048 * 4) / 8) * 8;
    expect(unfused - flash).toBeGreaterThan(0.9 * scoresBytes);
  });
});
