// How Megatron-LM (2021-22, before Megatron-Core) reduces gradients over data parallelism
// (data/frameworks.json: dataParallelOverlap "without-pipeline", fp16GradientReduce). Its default local
// DDP all-reduces one contiguous gradient buffer after the whole forward-backward pass, so a pipelined
// run waits for all of it; torch DDP, which the schedules defer to the last micro-batch only without
// pipelining, hides it behind the backward. The buffer takes the parameters' dtype in an fp16 run.
// Derived here by hand from the all-reduce and a GPT layer's parameter count.
import { describe, expect, it } from "vitest";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { gradientReduceBytes, overlapsGradientReduction } from "../src/engine/calibrate/framework.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { RunSpec } from "../src/engine/catalog/schema.js";
import { allReduceSeconds } from "../src/engine/network/collectives.js";
import { dataParallelGroup, resolveLayout } from "../src/engine/plan/layout.js";
import { gptLayers, tensorParallel8 } from "./modelHelpers.js";

type Precision = RunSpec["precision"];
const catalog = builtinCatalog();
const megatronLm = catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-lm-2021");

// GPT 22B of Korthikanti et al. 2022 (48 layers, h 6144, tied embeddings of 51200 x h) on 32 A100s.
const h = 6144;
const model = { ...gptLayers(catalog, h, 64), layers: 48, vocab: 51200, tiedEmbeddings: true };
const run = (precision: Precision, microBatch = 1) => ({ seqLen: 2048, globalBatch: 16 * microBatch, microBatch, precision });
const pipelined = tensorParallel8({ pp: 2, dp: 2, recompute: "full" });
const unpipelined = tensorParallel8({ pp: 1, dp: 4, recompute: "full" });
const predict = (hw: typeof megatronLm, parallelism: typeof pipelined, precision: Precision = "fp16", microBatch = 1) =>
  predictTraining({ model, hw, chips: 32, run: run(precision, microBatch), parallelism });

/** The all-reduce of one pipeline stage's gradients (24 layers and the tied embedding, a tensor-parallel eighth) in `bytes` per parameter. */
function stageAllReduce(hw: typeof megatronLm, bytes: number): number {
  // Per layer: QKV 3h^2 + 3h, output projection h^2 + h, MLP 4h^2 + 4h and 4h^2 + h, two layer norms 4h;
  // each end stage also holds the tied embedding V h (Megatron keeps a copy on the last stage).
  const params = (24 * (12 * h * h + 13 * h) + 51200 * h) / 8;
  const { layout } = resolveLayout(model, run("fp16"), pipelined, 32);
  return allReduceSeconds(hw, dataParallelGroup(layout), params * bytes);
}

describe("Megatron-LM's data-parallel gradient reduction", () => {
  it("overlaps the backward only without pipeline parallelism, and reduces fp16 gradients in fp16", () => {
    expect(overlapsGradientReduction(megatronLm.software, 1)).toBe(true);
    expect(overlapsGradientReduction(megatronLm.software, 2)).toBe(false);
    expect(gradientReduceBytes(megatronLm.software, "fp16")).toBe(2);
    // Megatron accumulates and reduces in fp32 for bf16 (--accumulate-allreduce-grads-in-fp32).
    expect(gradientReduceBytes(megatronLm.software, "bf16")).toBe(4);
    // FSDP2 reduces in fp32 whatever the parameters' dtype; Megatron-Core overlaps at any pipeline depth.
    const torchtitan = catalog.hardware("dgx-h100", {}, undefined, "torchtitan");
    expect(gradientReduceBytes(torchtitan.software, "fp16")).toBe(4);
    expect(overlapsGradientReduction(catalog.hardware("dgx-h100", {}, undefined, "megatron-core").software, 8)).toBe(true);
  });

  it("pipelined (local DDP): the whole 2-byte all-reduce of a stage follows its last backward", () => {
    const dataParallel = predict(megatronLm, pipelined).breakdown.dataParallel;
    // Position embeddings and the final norm are under 0.1% of a stage's parameters.
    expect(dataParallel / stageAllReduce(megatronLm, 2)).toBeCloseTo(1, 2);
    // In bf16 the same buffer is fp32: the 4-byte all-reduce.
    expect(predict(megatronLm, pipelined, "bf16").breakdown.dataParallel / stageAllReduce(megatronLm, 4)).toBeCloseTo(1, 2);
  });

  it("unpipelined (torch DDP): the buckets hide behind the last backward, all but the last layer's", () => {
    // Micro-batch 4: the last micro-batch's backward (48 layers of 4 x 2048 tokens) outlasts the reduction.
    const p = predict(megatronLm, unpipelined, "fp16", 4);
    const { layout } = resolveLayout(model, run("fp16", 4), unpipelined, 32);
    const params = (48 * (12 * h * h + 13 * h) + 51200 * h) / 8;
    const whole = allReduceSeconds(megatronLm, dataParallelGroup(layout), params * 2);
    // What shows is the last layer's bucket, 1/48 of it, where the local DDP would show all of it.
    expect(p.breakdown.dataParallel / (whole / 48)).toBeCloseTo(1, 2);
  });

  it("charges the pipelined run's exposed reduction to the step time, not beside it", () => {
    const local = predict(megatronLm, pipelined);
    const overlapped = predict(catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-core"), pipelined);
    // Megatron-Core's buckets hide its (fp32) reduction behind the backward instead.
    expect(overlapped.breakdown.dataParallel).toBeLessThan(local.breakdown.dataParallel);
    const parts = Object.values(local.breakdown).reduce((a, b) => a + b, 0);
    expect(parts).toBeCloseTo(local.stepSeconds, 6);
  });

  it("holds the gradient buffer it reduces: 2 bytes per parameter in fp16, 4 in bf16", () => {
    // Stage 0: 24 layers and the tied embedding, a tensor-parallel eighth; no ZeRO, so unsharded.
    const params = (24 * (12 * h * h + 13 * h) + 51200 * h) / 8;
    const fp16 = predict(megatronLm, pipelined).memory.gradients;
    const bf16 = predict(megatronLm, pipelined, "bf16").memory.gradients;
    // Position embeddings and the final norm are under 0.1% of a stage's parameters.
    expect(fp16 / (2 * params)).toBeCloseTo(1, 2);
    expect(bf16 / (4 * params)).toBeCloseTo(1, 2);
  });
});
