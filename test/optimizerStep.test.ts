// The optimizer step as each framework's code runs it (data/frameworks.json, optimizerBytesPerParam):
// a memory-bound sequence of passes over gradients, fp32 master weights and Adam's moments. Derived
// here by hand from the passes each source lists and from a GPT layer's parameter count.
import { describe, expect, it } from "vitest";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { Hardware } from "../src/engine/system/hardware.js";
import { gptLayers, tensorParallel8 } from "./modelHelpers.js";

const catalog = builtinCatalog();
const frameworks = catalog.listFrameworks();
const bytesOf = (id: string) => frameworks.find((f) => f.id === id)!.optimizerBytesPerParam.value;

// GPT 22B of Korthikanti et al. 2022 on one DGX A100 at tensor parallel 8: no data parallelism, so
// every rank updates all of its 1/8 of the weights.
const h = 6144;
const model = { ...gptLayers(catalog, h, 64), layers: 48, vocab: 51200, tiedEmbeddings: true };
const run = { seqLen: 2048, globalBatch: 4, microBatch: 4, precision: "fp16" as const };
const parallelism = tensorParallel8({ recompute: "full" });
const optimizerSeconds = (hw: Hardware) => predictTraining({ model, hw, chips: 8, run, parallelism }).breakdown.optimizer;

describe("the optimizer step, framework by framework", () => {
  it("counts the passes each framework's code makes (bytes per parameter, from its source)", () => {
    // Megatron-LM 2021-22, Float16OptimizerWithFloat16Params.step: 16-bit gradients copied to fp32
    // (2 + 4), unscale and inf check (4 + 4), gradient norm (4), FusedAdam (4 x 4 read, 3 x 4 written),
    // fp32 weights copied back to 16 bits (4 + 2).
    expect(bytesOf("megatron-lm")).toBe(6 + 8 + 4 + 28 + 6);
    expect(bytesOf("megatron-lm-2021")).toBe(bytesOf("megatron-lm"));
    // Megatron-Core's distributed optimizer in bf16: the fp32 gradient shard is used as it is and
    // nothing is unscaled: norm (4), Adam (28), copy back (4 + 2).
    expect(bytesOf("megatron-core")).toBe(4 + 28 + 6);
    // FSDP2 keeps the fp32 shard as the master weight: norm and AdamW only.
    expect(bytesOf("torchtitan")).toBe(4 + 28);
    for (const f of frameworks) expect(f.optimizerBytesPerParam.source.length).toBeGreaterThan(0);
  });

  it("moves the framework's bytes for every weight a rank holds, at the chip's achieved HBM bandwidth", () => {
    const hw = catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-lm");
    // Per layer: QKV 3h^2 + 3h, output projection h^2 + h, MLP 4h^2 + 4h and 4h^2 + h, two layer norms
    // 4h; the tied embedding V h. Position embeddings and the final norm are under 0.1% of it.
    const params = (48 * (12 * h * h + 13 * h) + 51200 * h) / 8;
    const expected = (52 * params) / (hw.hbmBytesPerSecond * hw.efficiency.memory);
    expect(optimizerSeconds(hw) / expected).toBeCloseTo(1, 2);
  });

  it("scales with the framework's passes and nothing else: the same layout under 52 and 38 bytes", () => {
    const megatronLm = optimizerSeconds(catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-lm"));
    const megatronCore = optimizerSeconds(catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-core"));
    // The two frameworks share the chip's memory efficiency (silicon, not software).
    expect(megatronLm / megatronCore).toBeCloseTo(52 / 38, 6);
  });
});
