// Which attention kernel a framework release runs: the die's best (cuDNN, FlashAttention-3 on Hopper)
// or FlashAttention-2, which PyTorch's scaled_dot_product_attention ran on Hopper until cuDNN became
// its default (data/attention-kernels.json, data/frameworks.json). torchtitan's 2024 benchmarks ran
// FlashAttention-2; today's torchtitan puts cuDNN first.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import kernels from "../data/attention-kernels.json" with { type: "json" };
import caseFrameworks from "../data/validation/case-frameworks.json" with { type: "json" };
import { attentionKernelRate } from "../src/engine/analytic/attentionKernels.js";
import { coreAttentionCost, layerCost, type StepContext } from "../src/engine/analytic/layerCost.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { resolveLayout } from "../src/engine/plan/layout.js";
import { validateCases } from "../src/engine/validate/validation.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { tensorParallel8 } from "./modelHelpers.js";

const catalog = builtinCatalog();
const model = catalog.model("llama3.1-8b");
const run = { seqLen: 8192, globalBatch: 16, microBatch: 2, precision: "bf16" as const };
// torchtitan's Table 1 layout: FSDP over 8 GPUs, op-level selective recompute.
const parallelism = tensorParallel8({ tp: 1, dp: 8, zero: 3, recompute: "selective" });
const hardware = (system: string, framework: string) => catalog.hardware(system, {}, undefined, framework);
const ctxFor = (hw: ReturnType<typeof hardware>): StepContext => ({
  model,
  hw,
  layout: resolveLayout(model, run, parallelism, 8).layout,
  seqLen: run.seqLen,
  precision: run.precision,
});
const flash2 = kernels.kernels.flash2.bySilicon as Record<string, { fraction: number; source: string; estimate?: boolean }>;

describe("FlashAttention-2 as a framework release's attention kernel", () => {
  it("torchtitan of 2024 runs FlashAttention-2, today's torchtitan and Megatron-Core the die's best kernel", () => {
    expect(hardware("hgx-h100-96gb", "torchtitan-2024").software.attentionKernel).toBe("flash2");
    expect(hardware("hgx-h100-96gb", "torchtitan-compile-2024").software.attentionKernel).toBe("flash2");
    expect(hardware("hgx-h100-96gb", "torchtitan").software.attentionKernel).toBe("flash");
    expect(hardware("dgx-h100", "megatron-core").software.attentionKernel).toBe("flash");
    // A dated release shares its line's fitted values: only the sourced features differ.
    expect(hardware("hgx-h100-96gb", "torchtitan-2024").efficiency).toEqual(hardware("hgx-h100-96gb", "torchtitan").efficiency);
  });

  it("on an H100 its attention takes 1 / 0.57 of the best kernel's time, forward and backward, with the same FLOPs", () => {
    const fraction = flash2.gh100!.fraction;
    expect(fraction).toBe(0.57); // (329/631 + 370/600) / 2, the two sourced H100 measurements
    const tokens = run.microBatch * run.seqLen;
    const old = coreAttentionCost(ctxFor(hardware("hgx-h100-96gb", "torchtitan-2024")), tokens);
    const best = coreAttentionCost(ctxFor(hardware("hgx-h100-96gb", "torchtitan")), tokens);
    expect(old.attentionFlops).toBe(best.attentionFlops);
    expect(old.attentionForward).toBeCloseTo(best.attentionForward / fraction, 12);
    expect(old.attentionBackward).toBeCloseTo(best.attentionBackward / fraction, 12);
    // Nothing else in the layer moves: the difference is the attention's alone.
    const a = layerCost(ctxFor(hardware("hgx-h100-96gb", "torchtitan-2024")), 0);
    const b = layerCost(ctxFor(hardware("hgx-h100-96gb", "torchtitan")), 0);
    expect(a.forward.compute - b.forward.compute).toBeCloseTo(best.attentionForward * (1 / fraction - 1), 12);
  });

  it("on an A100 FlashAttention-2 is the best kernel there is: nothing changes", () => {
    const tokens = run.microBatch * run.seqLen;
    const old = coreAttentionCost(ctxFor(hardware("dgx-a100-80gb", "torchtitan-2024")), tokens);
    const best = coreAttentionCost(ctxFor(hardware("dgx-a100-80gb", "torchtitan")), tokens);
    expect(old.attentionForward).toBe(best.attentionForward);
  });

  it("every NVIDIA die in the catalog has a sourced figure, and the unmeasured Blackwell ones say they are estimates", () => {
    const dies = new Set(
      catalog
        .listChips()
        .filter((c) => c.vendor === "NVIDIA" && c.silicon)
        .map((c) => c.silicon!),
    );
    expect(dies.size).toBeGreaterThanOrEqual(4);
    for (const die of dies) {
      const f = flash2[die];
      expect(f, die).toBeDefined();
      expect(f!.fraction).toBeGreaterThan(0);
      expect(f!.fraction).toBeLessThanOrEqual(1);
      expect(f!.source.length).toBeGreaterThan(0);
    }
    expect(flash2.gb100!.estimate).toBe(true);
    expect(flash2.gh100!.estimate).toBeUndefined();
  });

  it("a prediction under it says so", () => {
    const assumptions = (framework: string) =>
      predictTraining({ model, hw: hardware("hgx-h100-96gb", framework), chips: 8, run, parallelism }).assumptions;
    expect(assumptions("torchtitan-2024").some((a) => a.includes("runs FlashAttention-2, 0.57 of the rate of gh100's best"))).toBe(true);
    expect(assumptions("torchtitan").some((a) => a.includes("FlashAttention-2"))).toBe(false);
  });

  it("on a die with no figure (a user's chip) attention keeps the die's own rate, and the prediction says that instead", () => {
    const known = hardware("hgx-h100-96gb", "torchtitan-2024");
    const hw = { ...known, chip: { ...known.chip, silicon: "user-die" } };
    expect(attentionKernelRate(hw)).toEqual({ fraction: 1, source: null, estimate: false });
    const { assumptions } = predictTraining({ model, hw, chips: 8, run, parallelism });
    expect(assumptions.some((a) => a.includes("has no figure for it on user-die"))).toBe(true);
  });
});

describe("the release each shared torchtitan case ran (data/validation/case-frameworks.json)", () => {
  const shared = JSON.parse(readFileSync(fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url)), "utf8")) as {
    id: string;
    assumptions: string[];
  }[];
  const frameworks = new Set(catalog.listFrameworks().map((f) => f.id));

  it("names cases that exist and frameworks of the catalog, and reads torch.compile from each case's own words", () => {
    expect(caseFrameworks.cases.length).toBeGreaterThan(0);
    for (const e of caseFrameworks.cases) {
      const c = shared.find((x) => x.id === e.case);
      expect(c, e.case).toBeDefined();
      expect(frameworks.has(e.framework)).toBe(true);
      const compiled = c!.assumptions.some((a) => a.startsWith("torch.compile enabled"));
      expect(e.framework.includes("compile")).toBe(compiled);
    }
  });

  it("validate reads it: a shared case runs the listed release, a case's own framework still comes first", () => {
    const input = readValidationFiles([fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url))]);
    for (const e of caseFrameworks.cases) {
      const c = input.training.find((x) => x.id === e.case)!;
      expect(input.frameworkOf(c)).toBe(e.framework);
    }
    const other = input.training.find((x) => x.group === "megatron_sc21_weak_scaling")!;
    expect(input.frameworkOf(other)).toBe("megatron-lm-2021");
    expect(input.frameworkOf({ ...other, framework: "megatron-core" })).toBe("megatron-core");
  });
});

describe("torchtitan's 17 published H100 runs (data/validation/torchtitan-performance.json), none of them fitted", () => {
  it("step time within 8% at the median and 15% at the 90th percentile (17.8% and 38.8%, all fast, before FlashAttention-2)", () => {
    const file = fileURLToPath(new URL("../data/validation/torchtitan-performance.json", import.meta.url));
    const input = readValidationFiles([file]);
    const report = validateCases(input.training, catalog, input.frameworkOf);
    expect(report.summary.count).toBe(17);
    expect(report.summary.medianAbsErrorPct!).toBeLessThanOrEqual(8);
    expect(report.summary.p90AbsErrorPct!).toBeLessThanOrEqual(15);
  });
});
