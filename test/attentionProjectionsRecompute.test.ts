// AXLearn's default remat (build_remat_spec in axlearn/common/attention.py, save pattern NATIVE_ATTENTION):
// only the q, k, v and o projections' outputs are saved; the core attention, the norms and the whole MLP
// re-run in the backward pass. `recompute: selective` under a framework whose selectiveRecompute is
// `attention-projections` means that. Derived here by hand from the layer's GEMMs, its elementwise bytes
// and the tensors the policy saves.
import { describe, expect, it } from "vitest";
import { layerCost, type StepContext } from "../src/engine/analytic/layerCost.js";
import { layerActivationBytes, MODERN_ACTIVATIONS } from "../src/engine/analytic/memory.js";
import { gemmSeconds, memorySeconds } from "../src/engine/analytic/roofline.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { allGatherSeconds } from "../src/engine/network/collectives.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ParallelismSpec } from "../src/engine/catalog/schema.js";
import type { SelectiveRecompute } from "../src/engine/calibrate/framework.js";
import { resolveLayout } from "../src/engine/plan/layout.js";
import type { Hardware } from "../src/engine/system/hardware.js";

const catalog = builtinCatalog();
const axlearn = catalog.hardware("trn2.48xlarge", {}, undefined, "axlearn");
const llama7b = catalog.model("llama2-7b"); // h 4096, 32 heads of 128 (MHA), SwiGLU 11008
const run = { seqLen: 4096, globalBatch: 64, microBatch: 1, precision: "bf16" as const };
const parallelism = (tp: number, recompute: ParallelismSpec["recompute"], sequenceParallel = false): ParallelismSpec => ({
  tp,
  pp: 1,
  dp: 16 / tp,
  cp: 1,
  ep: 1,
  etp: null,
  vpp: 1,
  sequenceParallel,
  zero: 3,
  recompute,
});
const withKind = (hw: Hardware, kind: SelectiveRecompute): Hardware => ({ ...hw, software: { ...hw.software, selectiveRecompute: kind } });
const ctx = (hw: Hardware, tp: number, recompute: ParallelismSpec["recompute"], sequenceParallel = false): StepContext => ({
  model: llama7b,
  hw,
  layout: resolveLayout(llama7b, run, parallelism(tp, recompute, sequenceParallel), 16).layout,
  seqLen: run.seqLen,
  precision: run.precision,
});

describe("attention-projections selective recompute (AXLearn's default remat)", () => {
  it("is what AXLearn's selective recompute means, sourced to build_remat_spec", () => {
    expect(axlearn.software.selectiveRecompute).toBe("attention-projections");
    const framework = catalog.framework("trainium2", "axlearn");
    expect(framework.selectiveRecompute.source).toContain("axlearn/common/attention.py");
    expect(framework.selectiveRecompute.estimate).toBeUndefined();
  });

  it("re-runs the core attention (as Megatron's selective does) plus the MLP's GEMMs, norm, residual add and SwiGLU", () => {
    const h = 4096;
    const f = 11008;
    const tokens = 4096;
    const none = layerCost(ctx(axlearn, 1, "none"), 0);
    const coreAttention = layerCost(ctx(withKind(axlearn, "core-attention"), 1, "selective"), 0);
    const projections = layerCost(ctx(axlearn, 1, "selective"), 0);
    // The MLP's GEMMs: gate and up (h -> 2f) and down (f -> h), 2mkn FLOPs each.
    const mlpFlops = 2 * tokens * h * 2 * f + 2 * tokens * f * h;
    expect(mlpFlops).toBe(6 * tokens * h * f);
    const mlpSeconds = gemmSeconds(axlearn, "bf16", tokens, h, 2 * f) + gemmSeconds(axlearn, "bf16", tokens, f, h);
    // The norm reads and writes h, the residual add reads two and writes one; SwiGLU reads 2f, writes f.
    const elementwise = memorySeconds(axlearn, 2 * (tokens * 5 * h + tokens * 3 * f));
    expect(projections.hardwareFlops - none.hardwareFlops).toBeCloseTo(coreAttention.hardwareFlops - none.hardwareFlops + mlpFlops, -3);
    expect(projections.backward.compute - none.backward.compute).toBeCloseTo(
      coreAttention.backward.compute - none.backward.compute + mlpSeconds + elementwise,
      12,
    );
    // The forward pass is untouched.
    expect(projections.forward).toEqual(none.forward);
  });

  it("keeps the input and the q, k, v and o projections: 10 s h bytes per layer at tp 1 (MHA), 10 s h / t with sequence parallelism", () => {
    const s = 4096;
    const h = 4096;
    const kept = (tp: number, sp: boolean) =>
      layerActivationBytes(llama7b, ctx(axlearn, tp, "selective", sp).layout, s, 0, {
        ...MODERN_ACTIVATIONS,
        selectiveRecompute: "attention-projections",
      });
    // 16-bit: input h, q k v 3h (MHA), o projection h.
    expect(kept(1, false)).toBe(2 * s * (h + 3 * h + h));
    expect(kept(4, true)).toBe((2 * s * (h + 3 * h + h)) / 4);
    // Without sequence parallelism the input and the o projection's result stay whole on every rank.
    expect(kept(4, false)).toBe(2 * s * (h + (3 * h) / 4 + h));
    // It keeps less than Megatron's selective recompute, which keeps the MLP's activations.
    const megatron = layerActivationBytes(llama7b, ctx(axlearn, 1, "selective").layout, s, 0, MODERN_ACTIVATIONS);
    expect(kept(1, false)).toBeLessThan(megatron / 2);
  });

  it("with sequence parallelism, gathers the MLP's input once more in the backward pass, and nothing else", () => {
    const core = layerCost(ctx(withKind(axlearn, "core-attention"), 4, "selective", true), 0);
    const projections = layerCost(ctx(axlearn, 4, "selective", true), 0);
    // One all-gather of the MLP's input, 4,096 tokens x 4,096 x 2 bytes, over the 4 tensor-parallel
    // chips (adjacent ranks: tp is the innermost dimension).
    const gather = allGatherSeconds(axlearn, { size: 4, stride: 1 }, 4096 * 4096 * 2);
    expect(gather).toBeGreaterThan(0);
    expect(projections.backward.tp - core.backward.tp).toBeCloseTo(gather, 12);
    // Without sequence parallelism the MLP's input is already whole on every rank: nothing more.
    const coreNoSp = layerCost(ctx(withKind(axlearn, "core-attention"), 4, "selective"), 0);
    const projectionsNoSp = layerCost(ctx(axlearn, 4, "selective"), 0);
    expect(projectionsNoSp.backward.tp).toBeCloseTo(coreNoSp.backward.tp, 15);
  });

  it("holds every layer's saved projections, and the one layer being re-run holds what it re-ran for a moment", () => {
    const memory = (recompute: ParallelismSpec["recompute"]) =>
      predictTraining({ model: llama7b, hw: axlearn, chips: 16, run, parallelism: parallelism(1, recompute) }).memory.activations;
    const options = { ...MODERN_ACTIVATIONS, selectiveRecompute: "attention-projections" as const };
    const kept = layerActivationBytes(llama7b, ctx(axlearn, 1, "selective").layout, 4096, 0, options);
    const all = layerActivationBytes(llama7b, ctx(axlearn, 1, "none").layout, 4096, 0, options);
    // One micro-batch in flight (no pipeline): 32 layers keep `kept` and one re-run layer holds the
    // rest of its activations, where without recompute all 32 keep `all`; the loss is the same.
    expect(memory("selective") - memory("none")).toBeCloseTo(32 * kept + (all - kept) - 32 * all, 0);
  });

  it("lands between no recompute and full recompute for a whole step", () => {
    const step = (recompute: ParallelismSpec["recompute"]) =>
      predictTraining({ model: llama7b, hw: axlearn, chips: 16, run, parallelism: parallelism(1, recompute) }).stepSeconds;
    expect(step("selective")).toBeGreaterThan(step("none"));
    expect(step("selective")).toBeLessThan(step("full"));
  });
});
