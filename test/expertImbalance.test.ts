// MoE routing imbalance (`run.expertLoadImbalance`, `--expert-imbalance`): the busiest expert-parallel
// rank receives that many times the mean routed tokens, and every rank waits for it. Derived by hand
// from the GEMM roofline and the layer's activation formula, and run through the CLI.
import { describe, expect, it } from "vitest";
import { layerCost, type StepContext } from "../src/engine/analytic/layerCost.js";
import { layerActivationBytes, MODERN_ACTIVATIONS } from "../src/engine/analytic/memory.js";
import { gemmSeconds } from "../src/engine/analytic/roofline.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { resolveLayout } from "../src/engine/plan/layout.js";
import type { IterationWork } from "../src/engine/serve/iterationTime.js";
import { plainIterationModel } from "./modelHelpers.js";
import { ultrasim } from "./cliHelpers.js";

const catalog = builtinCatalog();
const hw = catalog.hardware("dgx-h100");
const qwen = catalog.model("qwen3-30b-a3b"); // 128 experts, top-8, expert FFN 768, SwiGLU, no shared experts
const run = { seqLen: 4096, globalBatch: 64, microBatch: 1, precision: "bf16" as const };
const parallelism = {
  tp: 1,
  pp: 1,
  dp: 16,
  cp: 1,
  ep: 8,
  etp: null,
  vpp: 1,
  sequenceParallel: false,
  zero: 1 as const,
  recompute: "none" as const,
};
const layout = resolveLayout(qwen, run, parallelism, 16).layout;
const ctx = (expertLoadImbalance: number): StepContext => ({
  model: qwen,
  hw,
  layout,
  seqLen: 4096,
  precision: "bf16",
  expertLoadImbalance,
});
const moeLayer = qwen.moe!.denseLayers;

describe("MoE routing imbalance", () => {
  it("the busiest rank's expert GEMMs take its tokens: 1.5x the mean routed tokens, worked by hand", () => {
    const moe = qwen.moe!;
    const h = qwen.hidden;
    const f = moe.expertFfnHidden;
    const localExperts = moe.experts / layout.ep; // 16
    const routed = 4096 * moe.topK; // tokens x top-k copies on this rank, tp 1
    const experts = (tokensPerExpert: number) =>
      (gemmSeconds(hw, "bf16", tokensPerExpert, h, 2 * f, localExperts) + gemmSeconds(hw, "bf16", tokensPerExpert, f, h, localExperts)) /
      hw.efficiency.groupedGemm;
    const balanced = layerCost(ctx(1), moeLayer);
    const skewed = layerCost(ctx(1.5), moeLayer);
    expect(skewed.forward.compute - balanced.forward.compute).toBeCloseTo(
      experts((1.5 * routed) / localExperts) - experts(routed / localExperts),
      12,
    );
    // Dispatch and combine: the busiest rank receives and returns 1.5x the mean.
    expect(balanced.forward.ep).toBeGreaterThan(0);
    expect(skewed.forward.ep).toBeCloseTo(1.5 * balanced.forward.ep, 12);
    // The FLOPs counted are the mean rank's: the work done, not the time waited.
    expect(skewed.hardwareFlops).toBe(balanced.hardwareFlops);
  });

  it("the busiest rank holds its routed tokens' activations: (x - 1) x routed x (2h + 5f) bytes more", () => {
    const moe = qwen.moe!;
    const routed = 4096 * moe.topK;
    // Per routed token: the expert input (2 bytes x h) and SwiGLU's gate and up outputs (2 x 2 x f) and product (2 x f).
    const perToken = 2 * qwen.hidden + 2 * 2 * moe.expertFfnHidden + 2 * moe.expertFfnHidden;
    const bytes = (x: number) => layerActivationBytes(qwen, layout, 4096, moeLayer, { ...MODERN_ACTIVATIONS, expertLoadImbalance: x });
    expect(bytes(1.25) - bytes(1)).toBeCloseTo(0.25 * routed * perToken, 3);
  });

  it("never makes a step faster or a chip's memory smaller, and leaves dense models alone", () => {
    const input = (x: number, model = qwen) => ({ model, hw, chips: 16, run: { ...run, expertLoadImbalance: x }, parallelism });
    let last = predictTraining(input(1));
    for (const x of [1.1, 1.3, 2, 4]) {
      const p = predictTraining(input(x));
      expect(p.stepSeconds).toBeGreaterThan(last.stepSeconds);
      expect(p.memory.total).toBeGreaterThanOrEqual(last.memory.total);
      last = p;
    }
    const dense = catalog.model("llama3-8b");
    const denseLayout = { ...parallelism, ep: 1 };
    const d1 = predictTraining({ ...input(1, dense), parallelism: denseLayout });
    const d2 = predictTraining({ ...input(2, dense), parallelism: denseLayout });
    expect(d2.stepSeconds).toBe(d1.stepSeconds);
    // Without expert parallelism every rank holds a slice of every expert: no rank is the busiest.
    const noEp = { ...parallelism, ep: 1 };
    expect(predictTraining({ ...input(2), parallelism: noEp }).stepSeconds).toBe(
      predictTraining({ ...input(1), parallelism: noEp }).stepSeconds,
    );
  });

  it("from the CLI: --expert-imbalance slows train and plan, shows on the run line, and refuses less than 1", () => {
    const args = ["--model", "qwen3-30b-a3b", "--system", "dgx-h100", "--chips", "16", "--global-batch", "64", "--seq-len", "4096"];
    const layoutArgs = ["--tp", "1", "--pp", "1", "--ep", "8", "--micro-batch", "1", "--recompute", "selective", "--json"];
    const step = (extra: string[]) => {
      const r = ultrasim("train", ...args, ...layoutArgs, ...extra);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { stepSeconds: number; run: { expertLoadImbalance?: number } };
    };
    const balanced = step([]);
    const skewed = step(["--expert-imbalance", "1.4"]);
    expect(skewed.stepSeconds).toBeGreaterThan(balanced.stepSeconds);
    expect(skewed.run.expertLoadImbalance).toBe(1.4);
    const text = ultrasim("train", ...args, ...layoutArgs.slice(0, -1), "--expert-imbalance", "1.4");
    expect(text.stdout).toContain("busiest expert rank 1.4x the mean load");

    const best = (extra: string[]) => {
      const r = ultrasim("plan", ...args, "--top", "1", "--json", ...extra);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as { request: { run: { expertLoadImbalance?: number } }; plans: { stepSeconds: number }[] };
      // The request says what it planned for: the imbalance, or nothing for balanced routing.
      expect(json.request.run.expertLoadImbalance).toBe(extra.length ? 1.4 : undefined);
      return json.plans[0]!.stepSeconds;
    };
    expect(best(["--expert-imbalance", "1.4"])).toBeGreaterThan(best([]));
    // compare plans each system with the same run: the H100's best layout spreads experts, so it slows.
    const compared = (extra: string[]) => {
      const r = ultrasim(
        "compare",
        "--model",
        "qwen3-30b-a3b",
        "--systems",
        "dgx-h100",
        "--baseline",
        "dgx-h100",
        "--chips",
        "16",
        "--json",
        ...extra,
      );
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { rows: { stepSeconds: number }[] }).rows[0]!.stepSeconds;
    };
    expect(compared(["--expert-imbalance", "1.5"])).toBeGreaterThan(compared([]));

    const bad = ultrasim("train", ...args, "--expert-imbalance", "0.5");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expert-imbalance/);
  });
});

describe("MoE routing imbalance in serving", () => {
  const iteration = (expertLoadImbalance: number, ep: number) =>
    plainIterationModel({ model: qwen, hw, ep, attentionDp: 8, expertLoadImbalance });
  const decode: IterationWork = {
    prefillTokens: 0,
    prefillAttendedKeys: 0,
    decodeTokens: 64,
    decodeContextTokens: 64 * 2000,
    logitsTokens: 64,
  };

  it("with tp 1 the only collective is the expert all-to-all: the busiest rank's 1.3x makes it exactly 1.3x", () => {
    const balanced = iteration(1, 8)(decode);
    const skewed = iteration(1.3, 8)(decode);
    expect(balanced.communication).toBeGreaterThan(0);
    expect(skewed.communication).toBeCloseTo(1.3 * balanced.communication, 12);
    expect(skewed.gemm).toBeGreaterThanOrEqual(balanced.gemm);
    expect(skewed.seconds).toBeGreaterThan(balanced.seconds);
  });

  it("with one expert-parallel rank every chip holds a slice of every expert: nothing changes", () => {
    expect(iteration(1.3, 1)(decode)).toEqual(iteration(1, 1)(decode));
  });

  it("from the CLI: serve --expert-imbalance slows an expert-parallel MoE deployment and refuses less than 1", () => {
    const args = ["serve", "examples/serve-deepseek-v3-ep.yaml", "--json"];
    const tpot = (extra: string[]) => {
      const r = ultrasim(...args, ...extra);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { latency: { tpotSeconds: { mean: number } } }).latency.tpotSeconds.mean;
    };
    expect(tpot(["--expert-imbalance", "1.5"])).toBeGreaterThan(tpot([]));
    const bad = ultrasim(...args, "--expert-imbalance", "0.9");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expert-imbalance/);
  });
});
