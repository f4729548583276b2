// Megatron-LM 2022's asynchronous tensor-parallel backward (ColumnParallelLinearWithAsyncAllreduce and
// ColumnParallelLinearWithSequenceParallelism, megatron/mpu/layers.py): each column-parallel linear
// issues its collectives beside its own GEMMs. Derived here by hand from the collectives and the GEMM
// roofline, against the 2021 code, which ran them on the compute stream.
import { describe, expect, it } from "vitest";
import { layerCost, type StepContext } from "../src/engine/analytic/layerCost.js";
import { gemmSeconds } from "../src/engine/analytic/roofline.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ModelSpec } from "../src/engine/catalog/schema.js";
import { gptLayers, tensorParallel8 } from "./modelHelpers.js";
import { allGatherSeconds, allReduceSeconds, reduceScatterSeconds } from "../src/engine/network/collectives.js";
import { resolveLayout, tpGroup } from "../src/engine/plan/layout.js";

const catalog = builtinCatalog();
const hw2022 = catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-lm");
const hw2021 = catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-lm-2021");

const gpt = (hidden: number, heads: number): ModelSpec => gptLayers(catalog, hidden, heads);
const run = { seqLen: 2048, globalBatch: 4, microBatch: 4, precision: "fp16" as const };
const parallelism = (sequenceParallel: boolean, recompute: "none" | "full") => tensorParallel8({ sequenceParallel, recompute });
const ctxFor = (model: ModelSpec, hw: typeof hw2022, sequenceParallel = false, recompute: "none" | "full" = "none"): StepContext => ({
  model,
  hw,
  layout: resolveLayout(model, run, parallelism(sequenceParallel, recompute), 8).layout,
  seqLen: run.seqLen,
  precision: run.precision,
});

/** The two column-parallel GEMMs of a layer on one of 8 ranks: QKV (3h/8 wide) and the MLP's first (4h/8). */
const projections = (hw: typeof hw2022, h: number, tokens: number) => [
  gemmSeconds(hw, "fp16", tokens, h, (3 * h) / 8),
  gemmSeconds(hw, "fp16", tokens, h, (4 * h) / 8),
];

describe("Megatron-LM 2022's asynchronous tensor-parallel backward", () => {
  it("is a feature of the 2022 code and not of the 2021 code (data/frameworks.json)", () => {
    expect(hw2022.software.tpBackwardOverlap).toBe(true);
    expect(hw2021.software.tpBackwardOverlap).toBe(false);
    expect(hw2022.software.tpCommOverlap).toBe(false);
  });

  // h = 1024: the GEMMs are shorter than the all-reduce, so part of it shows; h = 6144: they hide it.
  for (const [hidden, heads] of [
    [1024, 8],
    [6144, 64],
  ] as const) {
    it(`without sequence parallelism, h = ${hidden}: each input-gradient all-reduce shows only for what outlasts its weight-gradient GEMM`, () => {
      const tokens = 4 * 2048;
      const ctx = ctxFor(gpt(hidden, heads), hw2022);
      const allReduce = allReduceSeconds(hw2022, tpGroup(ctx.layout), tokens * hidden * 2);
      const expected = projections(hw2022, hidden, tokens).reduce((sum, g) => sum + Math.max(0, allReduce - g), 0);
      const cost = layerCost(ctx, 0);
      expect(cost.backward.tp).toBeCloseTo(expected, 12);
      // The forward's two all-reduces stay on the compute stream.
      expect(cost.forward.tp).toBeCloseTo(2 * allReduce, 12);
      // The 2021 code runs the backward's two all-reduces in full.
      expect(layerCost(ctxFor(gpt(hidden, heads), hw2021), 0).backward.tp).toBeCloseTo(2 * allReduce, 12);
    });
  }

  it("the h = 1024 layer shows some of its backward all-reduces and the h = 6144 layer none (the cases above are not vacuous)", () => {
    expect(layerCost(ctxFor(gpt(1024, 8), hw2022), 0).backward.tp).toBeGreaterThan(0);
    expect(layerCost(ctxFor(gpt(6144, 64), hw2022), 0).backward.tp).toBe(0);
  });

  it("with sequence parallelism: the row-parallel linears' gathers show, the re-gather and the reduce-scatter hide behind the GEMMs", () => {
    const tokens = 4 * 2048;
    for (const [hidden, heads] of [
      [1024, 8],
      [6144, 64],
    ] as const) {
      const ctx = ctxFor(gpt(hidden, heads), hw2022, true);
      const bytes = tokens * hidden * 2;
      const gather = allGatherSeconds(hw2022, tpGroup(ctx.layout), bytes);
      const scatter = reduceScatterSeconds(hw2022, tpGroup(ctx.layout), bytes);
      const expected =
        2 * gather + projections(hw2022, hidden, tokens).reduce((sum, g) => sum + Math.max(0, gather - g) + Math.max(0, scatter - g), 0);
      expect(layerCost(ctx, 0).backward.tp).toBeCloseTo(expected, 12);
    }
  });

  it("under full recompute the recomputed forward's all-reduces come first, on the compute stream", () => {
    const model = gpt(1024, 8);
    const plain = layerCost(ctxFor(model, hw2022), 0);
    const recomputed = layerCost(ctxFor(model, hw2022, false, "full"), 0);
    expect(recomputed.backward.tp).toBeCloseTo(plain.backward.tp + plain.forward.tp, 12);
  });

  it("never shows more of the backward's all-reduces than the 2021 code, at any width", () => {
    for (const hidden of [512, 1024, 2048, 4096, 8192, 16384]) {
      const model = gpt(hidden, hidden / 64);
      const async = layerCost(ctxFor(model, hw2022), 0).backward.tp;
      const blocking = layerCost(ctxFor(model, hw2021), 0).backward.tp;
      expect(async).toBeLessThanOrEqual(blocking);
    }
  });
});
